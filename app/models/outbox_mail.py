"""The transactional outbox: each email, written in the transaction of the event it tells about."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, one_of


class MailStatus(StrEnum):
    """Where a mail is (``status``): waiting for the worker, handed to the SMTP server, or given up on."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class MailKind(StrEnum):
    """What a mail is about (``kind``)."""

    NEW_DEVICE = "new_device"
    PASSWORD_CHANGED = "password_changed"
    SESSIONS_ENDED_BY_SUPPORT = "sessions_ended_by_support"
    OTHER_SESSIONS_SIGNED_OUT = "other_sessions_signed_out"
    APP_TOKEN_REUSED = "app_token_reused"
    SESSION_MOVED = "session_moved"


# The mails a person can turn off (settings' new_device_emails): they carry List-Unsubscribe.
SWITCHABLE_MAIL_KINDS = frozenset({MailKind.NEW_DEVICE, MailKind.SESSION_MOVED})


class OutboxMail(Base):
    """One email, rendered at enqueue in its reader's language and zone; the worker only sends it.

    ``message_id`` is made at enqueue, so every retry carries the same
    Message-ID and a receiver can recognise a duplicate.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint(one_of("status", MailStatus), name="status"),
        Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(8), default=MailStatus.PENDING.value,
                                        server_default=MailStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
