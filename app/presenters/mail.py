"""What each kind of email is called, for the admins' list of emails Doorman gave up sending."""

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.models import MailKind

_KIND_NAMES: dict[str, LazyString] = {
    MailKind.NEW_DEVICE: _l("New sign-in"),
    MailKind.PASSWORD_CHANGED: _l("Password changed"),
    MailKind.SESSIONS_ENDED_BY_SUPPORT: _l("Signed out by support"),
    MailKind.OTHER_SESSIONS_SIGNED_OUT: _l("Other sessions signed out"),
    MailKind.APP_TOKEN_REUSED: _l("App signed out: old token used again"),
    MailKind.SESSION_MOVED: _l("Session used from another country"),
}


def mail_kind_name(kind: str) -> str:
    """The kind's name in the reader's language; a kind this version does not know is shown as stored."""
    name = _KIND_NAMES.get(kind)
    return str(name) if name is not None else kind
