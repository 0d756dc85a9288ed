"""The devices and countries an account has signed in from, so that a new one can be told apart."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime

KNOWN_DEVICE_NAME_MAX_LENGTH = 40


class KnownDevice(Base):
    """A browser (its device cookie) or an app (its ``device_id``) this account has signed in from.

    Only the SHA-256 of the cookie's value or of the app's id is kept. Cleanup
    removes the rows not seen for KNOWN_DEVICE_LIFETIME.
    """

    __tablename__ = "known_devices"
    __table_args__ = (UniqueConstraint("user_id", "device_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    device_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # What the person calls it, once they can name it; None until then.
    name: Mapped[str | None] = mapped_column(String(KNOWN_DEVICE_NAME_MAX_LENGTH))


class KnownCountry(Base):
    """A country this account has signed in from (ISO 3166 alpha-2)."""

    __tablename__ = "known_countries"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
