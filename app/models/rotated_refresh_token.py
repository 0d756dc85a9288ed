"""Refresh tokens an app session has already exchanged, kept so that presenting one again is caught."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime


class RotatedRefreshToken(Base):
    """One refresh token that was exchanged for a new pair (RFC 9700 4.14.2).

    Only its SHA-256 is kept. Seeing it again means two clients hold the
    session's tokens, so the session ends. Rows go with their session
    (ON DELETE CASCADE), and cleanup removes those of sessions that have
    ended or expired, for which there is nothing left to protect.
    """

    __tablename__ = "rotated_refresh_tokens"

    refresh_token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True
    )
    rotated_at: Mapped[datetime] = mapped_column(UTCDateTime)
