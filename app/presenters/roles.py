"""Role names in the reader's language: the word staff read for ``user``, ``support`` and ``admin``."""

from flask_babel import gettext

from app.models import Role


def role_name(role: str) -> str:
    """"User", "Support", "Administrator" (or their Spanish); a role Doorman does not know is shown as stored."""
    names = {
        Role.USER: gettext("User"),
        Role.SUPPORT: gettext("Support"),
        Role.ADMIN: gettext("Administrator"),
    }
    return names.get(role, role)  # type: ignore[call-overload]


def account_status(is_active: bool) -> str:
    """"Active" or "Disabled": whether the account may sign in."""
    return gettext("Active") if is_active else gettext("Disabled")
