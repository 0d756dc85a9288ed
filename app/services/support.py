"""What support staff do with an account: find it, look at it, sign its sessions out.

Every method takes the acting staff member and checks, here rather than in
the views, both the permission and whether this staff member may act on that
account. Methods flush; the view commits.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import STAFF_ROLES, ActorKind, EndReason, SecurityEvent, User, UserSession
from app.services.audit import AuditService
from app.services.errors import SessionNotFound, UserNotFound, ViewNotRecorded
from app.services.paging import Page, paginate
from app.services.permissions import (
    Permission,
    ensure_can_act_on,
    ensure_permission,
    sees_every_organisation,
    within_reach,
)
from app.services.sessions import ActiveSession, EndedSession, Ending, SessionService
from app.services.users import normalize_email

SEARCH_PER_PAGE = 20
ACTIVITY_PER_PAGE = 25
ENDED_SESSIONS_SHOWN = 20


class StaffMember(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def organisation_id(self) -> uuid.UUID | None: ...


def escape_like(text: str, escape: str = "\\") -> str:
    """``text`` matched literally by LIKE: its ``%`` and ``_`` are not wildcards."""
    return text.replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")


@dataclass(frozen=True, slots=True)
class AccountOverview:
    user: User
    active_sessions: list[ActiveSession]
    ended_sessions: list[EndedSession]
    # The staff event behind each session staff ended: who did it and why.
    staff_revocations: dict[uuid.UUID, SecurityEvent]
    activity: Page[SecurityEvent]
    # Sessions whose full address this staff member revealed within STAFF_VIEW_WINDOW; the rest show networks.
    revealed: set[uuid.UUID]


class SupportService:
    def __init__(
        self, db: Session, *, sessions: SessionService, audit: AuditService, clock: Clock,
        history: Session | None = None,
    ) -> None:
        """``history`` is read by the account search and the audit page's staff list: it may be a replica's."""
        self._db = db
        self._history = history if history is not None else db
        self._sessions = sessions
        self._audit = audit
        self._clock = clock

    def find_accounts(self, staff: StaffMember, query: str, *, page: int) -> Page[User]:
        """Accounts whose email starts with ``query``, whatever its case, among those ``staff`` may reach."""
        ensure_permission(staff, Permission.VIEW_ACCOUNTS)
        # Emails are stored lower-cased, so a lower-cased prefix is case-insensitive.
        pattern = escape_like(normalize_email(query)) + "%"
        statement = select(User).where(User.email.like(pattern, escape="\\")).order_by(User.email, User.id)
        if not sees_every_organisation(staff):
            statement = statement.where(User.organisation_id == staff.organisation_id)
        return paginate(self._history, statement, page=page, per_page=SEARCH_PER_PAGE)

    def record_view(self, staff: StaffMember, user_id: int, *, context: Mapping[str, Any] | None = None) -> User:
        """Record that ``staff`` is looking at the account (once per STAFF_VIEW_WINDOW); returns it."""
        ensure_permission(staff, Permission.VIEW_ACCOUNTS)
        subject = self._subject(staff, user_id)
        self._audit.record_staff_view(staff_id=staff.id, subject_id=subject.id, context=context)
        return subject

    def open_account(
        self,
        staff: StaffMember,
        user_id: int,
        *,
        page: int,
        may_record: bool,
        context: Mapping[str, Any] | None = None,
    ) -> AccountOverview:
        """Everything support sees about one account, never without the look on record.

        ``may_record`` says whether this request may record the look (the
        caller judged that it came from the staff member's own navigation).
        When it may not and no look is recorded within STAFF_VIEW_WINDOW,
        raises ViewNotRecorded, so that seeing an account and telling its
        holder about it cannot be separated either way.
        """
        ensure_permission(staff, Permission.VIEW_ACCOUNTS)
        subject = self._subject(staff, user_id)
        if may_record:
            self._audit.record_staff_view(staff_id=staff.id, subject_id=subject.id, context=context)
        elif not self._audit.staff_viewed_recently(staff_id=staff.id, subject_id=subject.id):
            raise ViewNotRecorded(str(user_id))
        ended = self._sessions.list_recently_ended(subject.id, limit=ENDED_SESSIONS_SHOWN)
        oldest_end = min((e.row.revoked_at for e in ended if e.row.revoked_at), default=self._clock.now())
        return AccountOverview(
            user=subject,
            active_sessions=self._sessions.list_active(subject.id),
            ended_sessions=ended,
            staff_revocations=self._audit.staff_revocation_reasons(subject.id, since=oldest_end),
            activity=self._audit.activity(subject.id, since=None, page=page, per_page=ACTIVITY_PER_PAGE),
            revealed=self._audit.revealed_sessions(staff_id=staff.id, subject_id=subject.id),
        )

    def reveal_ip(
        self,
        staff: StaffMember,
        user_id: int,
        session_id: uuid.UUID,
        *,
        reason: str,
        context: Mapping[str, Any] | None = None,
    ) -> UserSession:
        """Record that ``staff`` sees one session's full address, and why; the page shows it for a while.

        Any session row of the account still kept, open or ended
        (SessionNotFound otherwise); ReasonRequired without a usable reason.
        """
        ensure_permission(staff, Permission.VIEW_ACCOUNTS)
        subject = self._subject(staff, user_id)
        row = self._sessions.find_kept(session_id, owner_id=subject.id)
        if row is None:
            raise SessionNotFound(str(session_id))
        self._audit.record_ip_revealed(
            staff_id=staff.id, subject_id=subject.id, session=row, reason=reason, context=context
        )
        return row

    def end_session(
        self,
        staff: StaffMember,
        user_id: int,
        session_id: uuid.UUID,
        *,
        reason: str,
        context: Mapping[str, Any] | None = None,
    ) -> UserSession:
        """Sign out one of the account's sessions (SessionNotFound if it is not an active one of theirs)."""
        ensure_permission(staff, Permission.END_SESSIONS)
        subject = self._subject(staff, user_id)
        return self._sessions.end(
            session_id,
            owner_id=subject.id,
            ending=Ending.by_staff(staff.id, EndReason.REVOKED_BY_SUPPORT, staff_reason=reason, context=context),
        )

    def end_all_sessions(
        self, staff: StaffMember, user_id: int, *, reason: str, context: Mapping[str, Any] | None = None
    ) -> tuple[User, int]:
        """Sign out every session of the account; returns it and how many ended."""
        ensure_permission(staff, Permission.END_SESSIONS)
        subject = self._subject(staff, user_id)
        count = self._sessions.end_all(
            subject.id,
            Ending.by_staff(staff.id, EndReason.REVOKED_BY_SUPPORT, staff_reason=reason, context=context),
        )
        return subject, count

    def staff_members(self, staff: StaffMember) -> list[User]:
        """Accounts that are staff now or have acted as staff: the audit page's choices."""
        ensure_permission(staff, Permission.VIEW_STAFF_AUDIT)
        acted = select(SecurityEvent.actor_id).where(SecurityEvent.actor_kind == ActorKind.STAFF).distinct()
        return list(
            self._history.scalars(
                select(User).where(or_(User.role.in_(STAFF_ROLES), User.id.in_(acted))).order_by(User.email)
            )
        )

    def staff_actions(
        self, staff: StaffMember, *, staff_id: int | None, subject_email: str | None, page: int
    ) -> Page[SecurityEvent]:
        """What staff did, optionally by one staff member or to the account with ``subject_email``.

        UserNotFound if no account ``staff`` may reach has that email.
        """
        ensure_permission(staff, Permission.VIEW_STAFF_AUDIT)
        subject_id = None
        if subject_email:
            subject = self._db.scalar(select(User).where(User.email == normalize_email(subject_email)))
            if subject is None or not within_reach(staff, subject):
                raise UserNotFound(subject_email)
            subject_id = subject.id
        return self._audit.staff_actions(
            staff_id=staff_id, subject_id=subject_id, page=page, per_page=ACTIVITY_PER_PAGE
        )

    def account_for(self, staff: StaffMember, user_id: int, permission: str) -> User:
        """The account, if ``staff`` has ``permission`` and may act on it (NotAllowed, UserNotFound)."""
        ensure_permission(staff, permission)
        return self._subject(staff, user_id)

    def _subject(self, staff: StaffMember, user_id: int) -> User:
        subject = self._db.get(User, user_id)
        if subject is None or not within_reach(staff, subject):
            raise UserNotFound(str(user_id))
        ensure_can_act_on(staff, subject)
        return subject
