"""An append-only record of what happened to an account's security.

Rows are only ever inserted (by ``AuditService``) and, past the retention,
purged; the one change a row ever sees is its addresses being cut to their
networks once they are older than IP_RETENTION_DAYS. The IP, and the browser, OS, device, country
and city (as facts under ``details["where"]``), are copied onto the row when
the event happens, because the session they describe may be deleted by
cleanup, and a later change must never rewrite history. Presenters word
them when shown; ``device_summary`` and ``place`` hold the words events
recorded before facts were kept, and are no longer written.

On PostgreSQL the table is partitioned by month of ``created_at`` (migration
0011, app/services/event_partitions.py) and its primary key there is
``(id, created_at)``, as partitioning requires; ``id`` alone is unique all
the same (one sequence), and is what the ORM knows rows by. SQLite keeps one
table keyed by ``id``.
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IPAddress, UTCDateTime, one_of
from app.models.user import User

STAFF_REASON_MAX_LENGTH = 500


class EventType(StrEnum):
    """What happened (``event_type``)."""

    SIGNED_IN = "signed_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGNED_OUT = "signed_out"
    SESSION_REVOKED = "session_revoked"
    OTHER_SESSIONS_REVOKED = "other_sessions_revoked"
    ALL_SESSIONS_REVOKED = "all_sessions_revoked"
    SESSION_LIMIT_EVICTED = "session_limit_evicted"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"
    PASSWORD_CHANGED = "password_changed"
    ROLE_CHANGED = "role_changed"
    ORGANISATION_CHANGED = "organisation_changed"
    STAFF_REVEALED_IP = "staff_revealed_ip"
    STAFF_VIEWED_SESSIONS = "staff_viewed_sessions"
    SESSION_MOVED = "session_moved"


class ActorKind(StrEnum):
    """Who did it: the account holder, a staff member, or Doorman itself."""

    USER = "user"
    STAFF = "staff"
    SYSTEM = "system"


class SecurityEvent(Base):
    __tablename__ = "security_events"
    __table_args__ = (
        CheckConstraint(one_of("actor_kind", ActorKind), name="actor_kind"),
        Index("ix_security_events_subject_id_created_at", "subject_id", "created_at"),
        Index("ix_security_events_actor_id_created_at", "actor_id", "created_at"),
    )

    # BIGINT: one row per sign-in attempt adds up. SQLite autoincrements only INTEGER.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # None for the system, for an unidentified person (a failed sign-in), or
    # once the acting account has been deleted.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_kind: Mapped[str] = mapped_column(String(8))
    event_type: Mapped[str] = mapped_column(String(40))
    # No foreign key: sessions are deleted by cleanup, their history stays.
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    ip_address: Mapped[str | None] = mapped_column(IPAddress)
    device_summary: Mapped[str | None] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(200))
    # Why a staff member did it, in their words.
    reason: Mapped[str | None] = mapped_column(String(STAFF_REASON_MAX_LENGTH))
    # Facts specific to one type: a count, the sessions of a batch, old and new role.
    details: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(postgresql.JSONB(), "postgresql"), default=dict
    )
    # Set from the injected clock by the audit service; deliberately no default.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the addresses it kept were cut to their networks (IP_RETENTION_DAYS):
    # from then on ``ip_address`` and every address in ``details`` is a network's first address.
    ip_masked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subject: Mapped[User] = relationship(foreign_keys=[subject_id], lazy="raise")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="raise")

    def __repr__(self) -> str:
        return f"<SecurityEvent {self.id} {self.event_type} subject={self.subject_id}>"
