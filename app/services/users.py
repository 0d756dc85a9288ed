"""Accounts: creating them, changing roles, checking passwords."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ROLES, User
from app.services.errors import EmailTaken, InvalidCredentials, InvalidRole, UserNotFound
from app.services.passwords import Passwords


def normalize_email(email: str) -> str:
    return email.strip().lower()


class UserService:
    def __init__(self, db: Session, *, passwords: Passwords) -> None:
        self._db = db
        self._passwords = passwords

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
