"""Typed models. Importing this package registers every table on ``Base.metadata``."""

from app.models.base import Base
from app.models.user import ROLES, STAFF_ROLES, User
from app.models.user_session import DEVICE_TYPES, EndReason, UserSession

__all__ = ["Base", "DEVICE_TYPES", "EndReason", "ROLES", "STAFF_ROLES", "User", "UserSession"]
