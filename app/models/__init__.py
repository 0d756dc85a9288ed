"""Typed models. Importing this package registers every table on ``Base.metadata``."""

from app.models.base import Base
from app.models.end_session_link import EndSessionLink
from app.models.known_device import KnownCountry, KnownDevice
from app.models.organisation import Organisation
from app.models.outbox_mail import MailKind, MailStatus, OutboxMail
from app.models.rotated_refresh_token import RotatedRefreshToken
from app.models.security_event import ActorKind, EventType, SecurityEvent
from app.models.user import ROLES, STAFF_ROLES, Role, User
from app.models.user_session import CLIENT_NAME_MAX_LENGTH, DeviceType, EndReason, SessionKind, UserSession

__all__ = [
    "CLIENT_NAME_MAX_LENGTH", "ActorKind", "Base", "DeviceType", "EndReason", "EndSessionLink", "EventType",
    "KnownCountry", "KnownDevice", "MailKind", "MailStatus", "Organisation", "OutboxMail", "ROLES", "Role",
    "RotatedRefreshToken", "STAFF_ROLES", "SecurityEvent", "SessionKind", "User", "UserSession",
]
