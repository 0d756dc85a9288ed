"""One "Not you? End this session" link, as sent in an alert email: what it may end, until when, and whether it has."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime


class EndSessionLink(Base):
    """A signed, single-use, expiring link that ends exactly one session.

    The link names this row's id and a random nonce; only the nonce's
    SHA-256 is kept, so the table alone cannot rebuild a link. It carries no
    session token: it can end ``session_id`` and nothing else, and signs no
    one in. ``used_at`` is set once, by the one request that ends the
    session. Rows go with their session (ON DELETE CASCADE).
    """

    __tablename__ = "end_session_links"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True
    )
    nonce_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<EndSessionLink {self.id} session={self.session_id} used={self.used_at is not None}>"
