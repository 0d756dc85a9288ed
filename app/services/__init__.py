"""Domain services. Views reach them through these accessors."""

from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from app.clock import Clock
    from app.services.audit import AuditService
    from app.services.sessions import SessionService
    from app.services.support import SupportService
    from app.services.users import UserService


def session_service() -> "SessionService":
    return current_app.extensions["doorman.sessions"]


def user_service() -> "UserService":
    return current_app.extensions["doorman.users"]


def support_service() -> "SupportService":
    return current_app.extensions["doorman.support"]


def audit_service() -> "AuditService":
    return current_app.extensions["doorman.audit"]


def clock() -> "Clock":
    return current_app.extensions["doorman.clock"]
