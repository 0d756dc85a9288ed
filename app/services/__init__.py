"""Domain services. ``container.build_services`` builds them all, wired together, into one ``Services``."""

from typing import TYPE_CHECKING

from app.extensions import services

if TYPE_CHECKING:
    from app.clock import Clock
    from app.services.audit import AuditService
    from app.services.sessions import SessionService
    from app.services.support import SupportService
    from app.services.users import UserService


def session_service() -> "SessionService":
    return services().sessions


def user_service() -> "UserService":
    return services().users


def support_service() -> "SupportService":
    return services().support


def audit_service() -> "AuditService":
    return services().audit


def clock() -> "Clock":
    return services().clock
