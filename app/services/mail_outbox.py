"""The mail outbox: the only code that writes to ``mail_outbox``.

``enqueue`` writes a rendered mail in the caller's transaction (the caller
commits with the event it tells about). The worker (``app.mail.delivery``)
``claim``s due rows in a short transaction of its own, sends them outside
any transaction, and records how it went. A claim moves the row's
``next_attempt_at`` a lease ahead, so a second worker (PostgreSQL: SKIP
LOCKED) or a worker that died mid-send leaves it to be tried again later,
never twice at once: at-least-once, with the same Message-ID every time.
"""

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import MailStatus, OutboxMail
from app.services.paging import Page, paginate

# How long a claimed mail is left to its worker before another may try it.
CLAIM_LEASE = timedelta(minutes=5)
# Retries wait 1, 2, 4 ... minutes, at most this long; after MAX_ATTEMPTS the mail has failed.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
MAX_ATTEMPTS = 8
ERROR_MAX_LENGTH = 500
FAILED_PER_PAGE = 25


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: exponential, capped."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


class MailOutbox:
    def __init__(self, db: Session, *, clock: Clock, message_id_domain: str) -> None:
        self._db = db
        self._clock = clock
        self._domain = message_id_domain

    def enqueue(self, *, user_id: int | None, kind: str, recipient: str, subject: str,
                text_body: str, html_body: str) -> OutboxMail:
        now = self._clock.now()
        mail = OutboxMail(
            user_id=user_id, kind=kind, recipient=recipient, subject=subject, text_body=text_body,
            html_body=html_body, message_id=f"<{uuid.uuid4().hex}@{self._domain}>",
            status=MailStatus.PENDING.value, attempts=0, next_attempt_at=now, created_at=now,
        )
        self._db.add(mail)
        self._db.flush()
        return mail

    def claim(self, limit: int = 20) -> Sequence[OutboxMail]:
        """The due pending mails, each counted as one more attempt and leased; the caller commits at once."""
        now = self._clock.now()
        due = (
            select(OutboxMail)
            .where(OutboxMail.status == MailStatus.PENDING.value, OutboxMail.next_attempt_at <= now)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite runs one worker and ignores it
        )
        mails = self._db.scalars(due).all()
        for mail in mails:
            mail.attempts += 1
            mail.next_attempt_at = now + CLAIM_LEASE
        self._db.flush()
        return mails

    def sent(self, mail_id: int) -> None:
        self._db.execute(update(OutboxMail).where(OutboxMail.id == mail_id).values(
            status=MailStatus.SENT.value, sent_at=self._clock.now(), last_error=None))

    def failed_attempt(self, mail_id: int, error: str, *, permanent: bool) -> str:
        """Record a failed attempt: retried later, or failed for good; returns the status it is left in."""
        mail = self._db.get(OutboxMail, mail_id)
        if mail is None:
            return MailStatus.FAILED.value
        mail.last_error = error[:ERROR_MAX_LENGTH]
        if permanent or mail.attempts >= MAX_ATTEMPTS:
            mail.status = MailStatus.FAILED.value
        else:
            mail.next_attempt_at = self._clock.now() + retry_delay(mail.attempts)
        self._db.flush()
        return mail.status

    def failed(self, *, page: int = 1, per_page: int = FAILED_PER_PAGE) -> Page[OutboxMail]:
        """One page of the mails given up on, newest first (for admins)."""
        return paginate(self._db, select(OutboxMail).where(OutboxMail.status == MailStatus.FAILED.value)
                        .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc()), page=page, per_page=per_page)
