"""Typed models. Importing this package registers every table on ``Base.metadata``."""

from app.models.base import Base
from app.models.security_event import ActorKind, EventType, SecurityEvent
from app.models.user import ROLES, STAFF_ROLES, Role, User
from app.models.user_session import DeviceType, EndReason, UserSession

__all__ = [
    "ActorKind", "Base", "DeviceType", "EndReason", "EventType", "ROLES", "Role",
    "STAFF_ROLES", "SecurityEvent", "User", "UserSession",
]
