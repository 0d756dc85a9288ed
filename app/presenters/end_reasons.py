"""What each end reason is called: a label in a table ("Password changed"),
the sentences of the activity page that say the system ended sessions for it
("Safari on iPhone in Valencia, Spain was signed out because the password was
changed"), and the message on the sign-in page when a cookie no longer opens
a session.

Whole sentences per reason, not a "because ..." ending glued on: other
languages put the reason elsewhere in the sentence.
"""

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString

from app.models import EndReason

_LABELS: dict[str, LazyString] = {
    EndReason.SIGNED_OUT: _l("Signed out"),
    EndReason.REVOKED_BY_USER: _l("Signed out from another device"),
    EndReason.REVOKED_BY_SUPPORT: _l("Signed out by support"),
    EndReason.SESSION_LIMIT: _l("Too many devices"),
    EndReason.PASSWORD_CHANGED: _l("Password changed"),
    EndReason.SUPERSEDED: _l("Replaced by a new sign-in"),
    EndReason.ACCOUNT_DISABLED: _l("Account disabled"),
    EndReason.REFRESH_TOKEN_REUSED: _l("An old token was used again"),
    EndReason.ENDED_FROM_ALERT_EMAIL: _l("Ended from a security email"),
}
_ENDED = _l("Ended")

# The system ended one session: "%(session)s" is the session ("Safari on iPhone in Valencia, Spain").
_ONE_ENDED: dict[str, LazyString] = {
    EndReason.PASSWORD_CHANGED: _l("%(session)s was signed out because the password was changed"),
    EndReason.ACCOUNT_DISABLED: _l("%(session)s was signed out because the account was disabled"),
    EndReason.SESSION_LIMIT: _l(
        "%(session)s was signed out because the account was signed in on too many devices"),
    EndReason.REVOKED_BY_SUPPORT: _l("%(session)s was signed out by support"),
    EndReason.REFRESH_TOKEN_REUSED: _l("%(session)s was signed out because an old token was used again"),
    EndReason.ENDED_FROM_ALERT_EMAIL: _l("%(session)s was signed out from the link in a security email"),
}
_ONE_ENDED_DEFAULT = _l("%(session)s was signed out")

# The system ended a batch of sessions: the other ones, or all of them.
_Counted = Callable[[int], str]
_OTHERS_ENDED: dict[str, _Counted] = {
    EndReason.PASSWORD_CHANGED: lambda n: ngettext(
        "%(num)d other session signed out because the password was changed",
        "%(num)d other sessions signed out because the password was changed", n),
    EndReason.ACCOUNT_DISABLED: lambda n: ngettext(
        "%(num)d other session signed out because the account was disabled",
        "%(num)d other sessions signed out because the account was disabled", n),
    EndReason.REVOKED_BY_SUPPORT: lambda n: ngettext(
        "%(num)d other session signed out by support", "%(num)d other sessions signed out by support", n),
}


def _others_ended_default(n: int) -> str:
    return ngettext("%(num)d other session signed out", "%(num)d other sessions signed out", n)


_ALL_ENDED: dict[str, _Counted] = {
    EndReason.PASSWORD_CHANGED: lambda n: ngettext(
        "All sessions signed out because the password was changed (%(num)d session)",
        "All sessions signed out because the password was changed (%(num)d sessions)", n),
    EndReason.ACCOUNT_DISABLED: lambda n: ngettext(
        "All sessions signed out because the account was disabled (%(num)d session)",
        "All sessions signed out because the account was disabled (%(num)d sessions)", n),
    EndReason.REVOKED_BY_SUPPORT: lambda n: ngettext(
        "All sessions signed out by support (%(num)d session)",
        "All sessions signed out by support (%(num)d sessions)", n),
}


def _all_ended_default(n: int) -> str:
    return ngettext("All sessions signed out (%(num)d session)", "All sessions signed out (%(num)d sessions)", n)


# Shown on the sign-in page when a cookie no longer opens a session;
# "expired" is not an end reason stored on a row but what an idle or old session is.
EXPIRED = "expired"
_ENDED_SESSION_MESSAGES: dict[str, LazyString] = {
    EndReason.REVOKED_BY_USER: _l("This session was signed out from another device."),
    EndReason.REVOKED_BY_SUPPORT: _l("This session was signed out by Doorman support."),
    EndReason.SESSION_LIMIT: _l(
        "This session was signed out because the account signed in on too many devices."),
    EndReason.PASSWORD_CHANGED: _l("This session was signed out because the password was changed."),
    EndReason.ACCOUNT_DISABLED: _l("This account has been disabled."),
    EndReason.ENDED_FROM_ALERT_EMAIL: _l("This session was ended from the link in a security email."),
    EXPIRED: _l("Your session expired. Please sign in again."),
}
_DEFAULT_ENDED_MESSAGE = _l("You are signed out. Please sign in again.")


def end_reason_label(reason: str | None) -> str:
    """"Password changed"; "Ended" for a reason with no words of its own."""
    return str(_LABELS.get(reason or "", _ENDED))


def session_ended_for(reason: str | None, session: str) -> str:
    """"Safari on iPhone in Valencia, Spain was signed out because the password was changed"."""
    return str(_ONE_ENDED.get(reason or "", _ONE_ENDED_DEFAULT)) % {"session": session}


def others_ended_for(reason: str | None, count: int) -> str:
    """"2 other sessions signed out because the password was changed"."""
    return _OTHERS_ENDED.get(reason or "", _others_ended_default)(count)


def all_ended_for(reason: str | None, count: int) -> str:
    """"All sessions signed out because the account was disabled (3 sessions)"."""
    return _ALL_ENDED.get(reason or "", _all_ended_default)(count)


def ended_session_message(reason: str | None) -> str:
    """What the sign-in page says to a browser whose session ended for ``reason``."""
    return str(_ENDED_SESSION_MESSAGES.get(reason or "", _DEFAULT_ENDED_MESSAGE))
