"""Who on staff may do what, in one place.

Reading an account and changing it are separate permissions, so a read-only
role can be added without touching a view. Every support view checks a
permission (``app.support.access.staff_required``); every support action on a
particular account also goes through ``ensure_can_act_on``.
"""

import uuid
from typing import Protocol

from app.models import STAFF_ROLES, Role
from app.services.errors import NotAllowed


class Permission:
    VIEW_ACCOUNTS = "support.view_accounts"  # search, sessions, activity
    END_SESSIONS = "support.end_sessions"
    VIEW_STAFF_AUDIT = "support.view_staff_audit"
    VIEW_SYSTEM_DETAILS = "support.view_system_details"  # how Doorman itself is set up: its GeoIP database
    VIEW_FAILED_MAIL = "support.view_failed_mail"  # the emails Doorman gave up sending: recipients and errors


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.USER: frozenset(),
    Role.SUPPORT: frozenset({Permission.VIEW_ACCOUNTS, Permission.END_SESSIONS}),
    Role.ADMIN: frozenset({
        Permission.VIEW_ACCOUNTS, Permission.END_SESSIONS, Permission.VIEW_STAFF_AUDIT, Permission.VIEW_SYSTEM_DETAILS,
        Permission.VIEW_FAILED_MAIL,
    }),
}


class HasRole(Protocol):
    @property
    def role(self) -> str: ...


class HasOrganisation(HasRole, Protocol):
    @property
    def organisation_id(self) -> uuid.UUID | None: ...


def sees_every_organisation(staff: HasOrganisation) -> bool:
    """Admins, and staff who belong to no organisation, handle the accounts of every organisation."""
    return staff.role == Role.ADMIN or staff.organisation_id is None


def within_reach(staff: HasOrganisation, subject: HasOrganisation) -> bool:
    """Whether ``staff`` may find ``subject`` at all: one of their organisation's, unless they see every one.

    An account out of reach is treated exactly like one that does not exist
    (404, never 403), so staff cannot learn which accounts other
    organisations have.
    """
    return sees_every_organisation(staff) or subject.organisation_id == staff.organisation_id


def has_permission(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def can_act_on(staff: HasRole, subject: HasRole) -> bool:
    """Support staff handle customers' accounts; only admins handle staff accounts."""
    if staff.role not in STAFF_ROLES:
        return False
    return subject.role not in STAFF_ROLES or staff.role == Role.ADMIN


def ensure_can_act_on(staff: HasRole, subject: HasRole) -> None:
    if not can_act_on(staff, subject):
        raise NotAllowed(f"{staff.role} may not act on a {subject.role} account")


def ensure_permission(staff: HasRole, permission: str) -> None:
    if not has_permission(staff.role, permission):
        raise NotAllowed(f"{staff.role} lacks {permission}")
