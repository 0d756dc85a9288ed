"""One row per sign-in: the server-side record that a browser's cookie, or an app's tokens, point at."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Uuid, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IPAddress, UTCDateTime, one_of, utcnow
from app.models.user import User

USER_AGENT_MAX_LENGTH = 512
CLIENT_NAME_MAX_LENGTH = 60


class SessionKind(StrEnum):
    """What holds a session (``kind``): a browser's cookie, or an app's access and refresh tokens."""

    BROWSER = "browser"
    APP = "app"


class DeviceType(StrEnum):
    """What kind of device a session was opened on (``device_type``)."""

    DESKTOP = "desktop"
    MOBILE = "mobile"
    TABLET = "tablet"
    BOT = "bot"
    UNKNOWN = "unknown"


class EndReason(StrEnum):
    """Why a session row stopped being active (``revoked_reason``)."""

    SIGNED_OUT = "signed_out"
    REVOKED_BY_USER = "revoked_by_user"
    REVOKED_BY_SUPPORT = "revoked_by_support"
    SESSION_LIMIT = "session_limit"
    PASSWORD_CHANGED = "password_changed"
    SUPERSEDED = "superseded"
    ACCOUNT_DISABLED = "account_disabled"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"
    # The "Not you? End this session" link of an alert email.
    ENDED_FROM_ALERT_EMAIL = "ended_from_alert_email"


# A browser row is reached by its cookie's hash; an app row by its access and refresh tokens' hashes.
TOKENS_OF_KIND = (
    f"(kind = '{SessionKind.BROWSER}' AND session_token_hash IS NOT NULL) OR "
    f"(kind = '{SessionKind.APP}' AND access_token_hash IS NOT NULL AND refresh_token_hash IS NOT NULL)"
)


class UserSession(Base):
    __tablename__ = "user_sessions"
    __table_args__ = (
        CheckConstraint(one_of("device_type", DeviceType), name="device_type"),
        CheckConstraint("expires_at > created_at", name="valid_expires"),
        CheckConstraint(one_of("kind", SessionKind), name="kind"),
        CheckConstraint(TOKENS_OF_KIND, name="tokens_of_kind"),
        Index("ix_user_sessions_user_id_is_active", "user_id", "is_active"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The account's organisation when the session was opened (no foreign
    # key: like an event, the row records what was so at the time).
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(
        String(8), default=SessionKind.BROWSER.value, server_default=SessionKind.BROWSER.value
    )
    # What an app calls itself ("Doorman for iOS"); None for browsers.
    client_name: Mapped[str | None] = mapped_column(String(CLIENT_NAME_MAX_LENGTH))
    # SHA-256 hex digests; the tokens themselves are never stored. A browser
    # holds the session token; an app the access and refresh tokens.
    session_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The access token stops working then, or when the session does, whichever comes first.
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX_LENGTH))
    ip_address: Mapped[str | None] = mapped_column(IPAddress)
    device_type: Mapped[str] = mapped_column(
        String(16), default=DeviceType.UNKNOWN.value, server_default=DeviceType.UNKNOWN.value
    )
    browser: Mapped[str | None] = mapped_column(String(100))
    os: Mapped[str | None] = mapped_column(String(100))
    device: Mapped[str | None] = mapped_column(String(100))
    country_code: Mapped[str | None] = mapped_column(String(2))
    country: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    # The IANA zone of the place it signed in from: the reader's zone until they choose one.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the user last proved who they are (password) on this session.
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The account's credentials_version whose password opened this session.
    # No default: every way of opening a session must say which it verified.
    credentials_version: Mapped[int]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Where its requests came from last, recorded at the throttled touch when the address changes
    # (the sign-in's are the columns above; the place's other names are under extra["last_places"]).
    last_ip_address: Mapped[str | None] = mapped_column(IPAddress)
    last_country_code: Mapped[str | None] = mapped_column(String(2))
    last_country: Mapped[str | None] = mapped_column(String(100))
    last_city: Mapped[str | None] = mapped_column(String(100))
    # When its requests last came from another city or country; None once the person dismissed it.
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "metadata" is reserved on declarative classes, hence the attribute name.
    extra: Mapped[dict[str, Any]] = mapped_column(
        "metadata",
        JSON().with_variant(postgresql.JSONB(), "postgresql"),
        default=dict,
    )

    # The browser or app it was opened from, when known (app.services.known_devices). No ON DELETE:
    # SQLite cannot add one to an existing table without rebuilding it; cleanup unlinks first.
    known_device_id: Mapped[int | None] = mapped_column(ForeignKey("known_devices.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def places(self) -> dict[str, dict[str, str]] | None:
        """The names of its place in other languages, stored at sign-in: {"es": {"country": "España"}}."""
        places = (self.extra or {}).get("places")
        return places if isinstance(places, dict) else None

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id} active={self.is_active}>"
