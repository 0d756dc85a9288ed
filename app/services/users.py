"""Accounts: creating them, changing roles and passwords, disabling them, checking passwords."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import ROLES, ActorKind, EndReason, EventType, Organisation, User
from app.services.audit import AuditService, Snapshot
from app.services.credentials import VerifiedCredentials
from app.services.errors import EmailTaken, IncorrectPassword, InvalidCredentials, InvalidRole, UserNotFound
from app.services.passwords import Passwords
from app.services.sessions import Ending, SessionService

if TYPE_CHECKING:
    from app.services.password_attempts import PasswordAttemptLimits


def normalize_email(email: str) -> str:
    return email.strip().lower()


class UserService:
    """Accounts. Every password it verifies is paid for from ``attempt_limits`` first.

    ``authenticate``, ``check_password`` and ``change_password`` raise
    TooManyAttempts, having verified nothing, when a budget of the client
    (``client_ip``) or of the account is spent.
    """

    def __init__(
        self,
        db: Session,
        *,
        passwords: Passwords,
        attempt_limits: "PasswordAttemptLimits",
        audit: AuditService,
        sessions: SessionService,
    ) -> None:
        self._db = db
        self._passwords = passwords
        self._attempt_limits = attempt_limits
        self._audit = audit
        self._sessions = sessions

    def find_by_email(self, email: str) -> User | None:
        return self._db.scalar(select(User).where(User.email == normalize_email(email)))

    def create(
        self, email: str, password: str, *, role: str = "user", organisation: Organisation | None = None
    ) -> User:
        """A new account, in ``organisation`` if given (which its activity records)."""
        if role not in ROLES:
            raise InvalidRole(role)
        if self.find_by_email(email) is not None:
            raise EmailTaken(email)
        user = User(email=normalize_email(email), password_hash=self._passwords.hash(password), role=role)
        self._db.add(user)
        self._db.flush()
        if organisation is not None:
            self._move_to(user, organisation, changed_by=None)
        return user

    def set_organisation(self, email: str, organisation: Organisation, *, changed_by: int | None = None) -> User:
        """Put the account in ``organisation`` and record it; ``changed_by`` is the staff member, None the command line.

        Its sessions keep the organisation they were opened in; from now on
        its support staff are the ones of ``organisation``.
        """
        user = self.find_by_email(email)
        if user is None:
            raise UserNotFound(email)
        if user.organisation_id != organisation.id:
            self._move_to(user, organisation, changed_by=changed_by)
        return user

    def _move_to(self, user: User, organisation: Organisation, *, changed_by: int | None) -> None:
        previous = self._db.get(Organisation, user.organisation_id) if user.organisation_id else None
        user.organisation_id = organisation.id
        self._db.flush()
        self._audit.record(
            EventType.ORGANISATION_CHANGED,
            subject_id=user.id,
            actor_kind=ActorKind.SYSTEM if changed_by is None else ActorKind.STAFF,
            actor_id=changed_by,
            details={"from": previous.name if previous else None, "to": organisation.name},
        )

    def save_preferences(self, user_id: int, *, language: str | None, time_zone: str | None) -> None:
        """Keep the person's language and time zone; None leaves the choice to app.i18n again."""
        self._db.execute(update(User).where(User.id == user_id).values(language=language, time_zone=time_zone))

    def wants_new_device_emails(self, user_id: int) -> bool:
        return bool(self._db.scalar(select(User.new_device_emails).where(User.id == user_id)))

    def save_new_device_emails(self, user_id: int, wanted: bool) -> None:
        """Whether a sign-in from a new device or country is emailed (the password-changed mail always is)."""
        self._db.execute(update(User).where(User.id == user_id).values(new_device_emails=wanted))

    def save_language(self, user_id: int, language: str) -> None:
        self._db.execute(update(User).where(User.id == user_id).values(language=language))

    def set_role(self, email: str, role: str, *, changed_by: int | None = None) -> User:
        """Change an account's role and record it; ``changed_by`` is the staff member, None the command line."""
        if role not in ROLES:
            raise InvalidRole(role)
        user = self.find_by_email(email)
        if user is None:
            raise UserNotFound(email)
        previous, user.role = user.role, role
        self._db.flush()
        if previous != role:
            self._audit.record(
                EventType.ROLE_CHANGED,
                subject_id=user.id,
                actor_kind=ActorKind.SYSTEM if changed_by is None else ActorKind.STAFF,
                actor_id=changed_by,
                details={"from": previous, "to": role},
            )
        return user

    def check_password(self, user_id: int, password: str, *, client_ip: str | None = None) -> bool:
        """Whether ``password`` is the current password of this (active) account."""
        user = self._db.get(User, user_id)
        return (
            user is not None
            and user.is_active
            and self._verify_within_budgets(user.email, user.password_hash, password, client_ip)
        )

    def authenticate(
        self, email: str, password: str, *, attempt: Mapping[str, Any] | None = None, client_ip: str | None = None
    ) -> VerifiedCredentials:
        """The active user with that email and password, and the credentials version the password
        belongs to (what a session opened with it is bound to); or InvalidCredentials.

        A failure against an existing account is recorded as sign_in_failed,
        with ``attempt`` (the request's ``sign_in_details``) saying where it
        came from; the caller commits it. An unknown email records nothing:
        there is no account to attach it to.
        """
        user = self.find_by_email(email)
        # Read with the hash, before argon2 runs: a change committed meanwhile is not what was verified.
        verified_version = user.credentials_version if user else 0
        if not self._verify_within_budgets(email, user.password_hash if user else None, password, client_ip):
            if user is not None:
                self._record_failed_sign_in(user, attempt)
            raise InvalidCredentials()
        assert user is not None
        if not user.is_active:
            self._record_failed_sign_in(user, attempt)
            raise InvalidCredentials()
        if self._passwords.needs_rehash(user.password_hash):
            user.password_hash = self._passwords.hash(password)
            self._db.flush()
        return VerifiedCredentials(user, verified_version)

    def _record_failed_sign_in(self, user: User, attempt: Mapping[str, Any] | None) -> None:
        self._audit.record_failed_sign_in(subject_id=user.id, attempt=attempt)

    def change_password(
        self, user_id: int, current: str, new: str, *, context: Mapping[str, Any] | None = None,
        client_ip: str | None = None,
    ) -> User:
        """Replace the password, or raise IncorrectPassword if ``current`` is not it.

        The one place a password changes. Every session opened with the old
        password stops opening anything once this commits (the credentials
        version goes up). Ending the other sessions, and moving the one to keep
        to the new version (``rotate_token``), is the caller's next step,
        because only the caller knows which session to keep.
        """
        # The row lock makes two concurrent changes take turns: the second one
        # then checks its "current" password against the first one's result.
        # It is the account lock every path changing sessions takes first
        # (SessionLifecycle._lock_user): FOR NO KEY UPDATE, in the same order.
        user = self._db.scalar(select(User).where(User.id == user_id).with_for_update(key_share=True))
        if (
            user is None
            or not user.is_active
            or not self._verify_within_budgets(user.email, user.password_hash, current, client_ip)
        ):
            raise IncorrectPassword()
        user.password_hash = self._passwords.hash(new)
        # Counted by the database: SQLite ignores FOR UPDATE, so only it knows the version being replaced.
        user.credentials_version = User.credentials_version + 1
        self._db.flush()
        self._audit.record(
            EventType.PASSWORD_CHANGED, subject_id=user.id, actor_kind=ActorKind.USER, actor_id=user.id,
            where=Snapshot.of(context),
        )
        return user

    def _verify_within_budgets(
        self, email: str, password_hash: str | None, password: str, client_ip: str | None
    ) -> bool:
        """Verify ``password`` if the budgets of this client and account allow it.

        The attempt is paid for before argon2 runs, so concurrent guesses can
        never verify more passwords than the budgets hold; a correct password
        gets its attempt back, so only wrong ones are spent. ``client_ip`` is
        None only for attempts from no client (the command line): those share
        one per-client budget.
        """
        reservation = self._attempt_limits.reserve(client_ip, email)
        if not self._passwords.verify(password_hash, password):
            return False
        reservation.give_back()
        return True

    def disable(self, user_id: int) -> int:
        """Disable the account and end every session it has (ASVS 5.0 7.4.2).

        Both happen in the caller's transaction, so there is no moment when the
        account is disabled but a session of it still works. Returns how many
        sessions were ended.
        """
        user = self._db.scalar(select(User).where(User.id == user_id).with_for_update(key_share=True))
        if user is None:
            raise UserNotFound(str(user_id))
        user.is_active = False
        self._db.flush()
        return self._sessions.end_all(user.id, Ending.by_system(EndReason.ACCOUNT_DISABLED))
