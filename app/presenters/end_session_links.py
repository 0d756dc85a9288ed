"""What an end-session link's page says when the link can no longer end anything."""

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.services.end_session_links import LinkState

_UNUSABLE: dict[str, tuple[LazyString, LazyString]] = {
    LinkState.INVALID: (
        _l("This link doesn’t work"),
        _l("This link is not valid. Check that you opened the whole link from the email. Nothing was changed."),
    ),
    LinkState.EXPIRED: (
        _l("This link has expired"),
        _l("Links in security emails only work for a few days, so nothing was changed. "
           "Sign in to see your devices and end any session there."),
    ),
    LinkState.USED: (
        _l("This link has already been used"),
        _l("The session it names was already ended with it. Nothing more was changed."),
    ),
    LinkState.SESSION_ENDED: (
        _l("That session has already ended"),
        _l("It was signed out before this link was used, so nothing was changed."),
    ),
}


def unusable_link(state: str) -> tuple[str, str]:
    """(title, explanation) for a link in ``state``: invalid, expired, used, or its session already ended."""
    title, explanation = _UNUSABLE.get(state, _UNUSABLE[LinkState.INVALID])
    return str(title), str(explanation)
