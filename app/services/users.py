"""Accounts: creating them, changing roles and passwords, disabling them, checking passwords."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ROLES, EndReason, User
from app.services.errors import EmailTaken, IncorrectPassword, InvalidCredentials, InvalidRole, UserNotFound
from app.services.passwords import Passwords
from app.services.sessions import SessionService


def normalize_email(email: str) -> str:
    return email.strip().lower()


class UserService:
    def __init__(self, db: Session, *, passwords: Passwords, sessions: SessionService) -> None:
        self._db = db
        self._passwords = passwords
        self._sessions = sessions

    def find_by_email(self, email: str) -> User | None:
        return self._db.scalar(select(User).where(User.email == normalize_email(email)))

    def create(self, email: str, password: str, *, role: str = "user") -> User:
        if role not in ROLES:
            raise InvalidRole(role)
        if self.find_by_email(email) is not None:
            raise EmailTaken(email)
        user = User(email=normalize_email(email), password_hash=self._passwords.hash(password), role=role)
        self._db.add(user)
        self._db.flush()
        return user

    def set_role(self, email: str, role: str) -> User:
        if role not in ROLES:
            raise InvalidRole(role)
        user = self.find_by_email(email)
        if user is None:
            raise UserNotFound(email)
        user.role = role
        self._db.flush()
        return user

    def check_password(self, user_id: int, password: str) -> bool:
        """Whether ``password`` is the current password of this (active) account."""
        user = self._db.get(User, user_id)
        return user is not None and user.is_active and self._passwords.verify(user.password_hash, password)

    def authenticate(self, email: str, password: str) -> User:
        """The active user with that email and password, or InvalidCredentials."""
        user = self.find_by_email(email)
        if not self._passwords.verify(user.password_hash if user else None, password):
            raise InvalidCredentials()
        assert user is not None
        if not user.is_active:
            raise InvalidCredentials()
        if self._passwords.needs_rehash(user.password_hash):
            user.password_hash = self._passwords.hash(password)
            self._db.flush()
        return user

    def change_password(self, user_id: int, current: str, new: str) -> User:
        """Replace the password, or raise IncorrectPassword if ``current`` is not it.

        The one place a password changes. Ending the other sessions is the
        caller's next step, because only the caller knows which session to keep.
        """
        # The row lock makes two concurrent changes take turns: the second one
        # then checks its "current" password against the first one's result.
        user = self._db.scalar(select(User).where(User.id == user_id).with_for_update())
        if user is None or not user.is_active or not self._passwords.verify(user.password_hash, current):
            raise IncorrectPassword()
        user.password_hash = self._passwords.hash(new)
        self._db.flush()
        return user

    def disable(self, user_id: int) -> int:
        """Disable the account and end every session it has (ASVS 5.0 7.4.2).

        Both happen in the caller's transaction, so there is no moment when the
        account is disabled but a session of it still works. Returns how many
        sessions were ended.
        """
        user = self._db.scalar(select(User).where(User.id == user_id).with_for_update())
        if user is None:
            raise UserNotFound(str(user_id))
        user.is_active = False
        self._db.flush()
        return self._sessions.end_all(user.id, reason=EndReason.ACCOUNT_DISABLED, ended_by=None)
