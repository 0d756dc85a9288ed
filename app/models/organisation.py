"""Organisations: the customers a Doorman serves, each with its own accounts and, often, its own support staff."""

import uuid
from datetime import datetime

from sqlalchemy import String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow

ORGANISATION_NAME_MAX_LENGTH = 100


class Organisation(Base):
    """An account belongs to at most one; support staff who belong to one handle its accounts only.

    Its id is a UUID because sessions recorded one from the start (the
    ``tenant_id`` of the first migration, now ``organisation_id``).
    """

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # As typed at the command line, trimmed; unique as stored.
    name: Mapped[str] = mapped_column(String(ORGANISATION_NAME_MAX_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"
