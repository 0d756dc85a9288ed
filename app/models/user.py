"""Accounts that can sign in."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Uuid, true
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, one_of, utcnow


class Role(StrEnum):
    """What an account may do (``role``): its own account only, or support's pages too."""

    USER = "user"
    SUPPORT = "support"
    ADMIN = "admin"


# Plain strings: what forms and the command line offer as choices.
ROLES = tuple(role.value for role in Role)
STAFF_ROLES = frozenset({Role.SUPPORT, Role.ADMIN})


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", Role), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (trimmed, lower-cased), which is what makes the
    # unique constraint case-insensitive on every backend.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.USER.value, server_default=Role.USER.value)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Which password the account has: every change adds one. A session
    # records the version its password was verified against and opens
    # nothing once the account has moved on (SessionService).
    credentials_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Saved choices, empty until the person makes them (app.i18n chooses meanwhile).
    language: Mapped[str | None] = mapped_column(String(8))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # The organisation the account belongs to, if any. No ON DELETE: an
    # organisation with accounts cannot be deleted, because its support
    # staff, left with none, would then see every account.
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    # Whether a sign-in from a new device or country is emailed (the settings page's switch).
    new_device_emails: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
