"""Who one request is signed in as: the row the hot path returns."""

import uuid
from datetime import datetime
from typing import NamedTuple

from app.models import STAFF_ROLES


class SignedInUser(NamedTuple):
    """What one request knows about who is signed in: a plain row, no ORM object.

    It is also Flask-Login's ``current_user``.
    """

    session_id: uuid.UUID
    id: int
    email: str
    role: str
    created_at: datetime
    last_activity_at: datetime
    authenticated_at: datetime
    # The person's saved language and zone, and the zone this session signed in from (app.i18n).
    language: str | None = None
    time_zone: str | None = None
    session_time_zone: str | None = None
    # The account's organisation now: which accounts a staff member may handle (app.services.permissions).
    organisation_id: uuid.UUID | None = None
    # Whether new-device sign-ins are emailed (the settings page shows it without another query).
    new_device_emails: bool = True
    # The address its requests came from last (its sign-in's until one came from elsewhere).
    last_ip_address: str | None = None

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES
