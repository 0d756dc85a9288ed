"""Why a session ended, in words: the one home of every end reason's wording.

The same reason reads three ways: a label in a table ("Password changed"),
the end of an activity sentence (" because the password was changed"), and
the message on the sign-in page when a cookie no longer opens a session.
"""

from app.models import EndReason

_LABELS: dict[str, str] = {
    EndReason.SIGNED_OUT: "Signed out",
    EndReason.REVOKED_BY_USER: "Signed out from another device",
    EndReason.REVOKED_BY_SUPPORT: "Signed out by support",
    EndReason.SESSION_LIMIT: "Too many devices",
    EndReason.PASSWORD_CHANGED: "Password changed",
    EndReason.SUPERSEDED: "Replaced by a new sign-in",
    EndReason.ACCOUNT_DISABLED: "Account disabled",
    EndReason.REFRESH_TOKEN_REUSED: "An old token was used again",
}

# Why the system ended sessions, as the end of a sentence.
_BECAUSE: dict[str, str] = {
    EndReason.PASSWORD_CHANGED: " because the password was changed",
    EndReason.ACCOUNT_DISABLED: " because the account was disabled",
    EndReason.SESSION_LIMIT: " because the account was signed in on too many devices",
    EndReason.REVOKED_BY_SUPPORT: " by support",
    EndReason.REFRESH_TOKEN_REUSED: " because an old token was used again",
}

# Shown on the sign-in page when a cookie no longer opens a session;
# "expired" is not an end reason stored on a row but what an idle or old session is.
EXPIRED = "expired"
_ENDED_SESSION_MESSAGES = {
    EndReason.REVOKED_BY_USER: "This session was signed out from another device.",
    EndReason.REVOKED_BY_SUPPORT: "This session was signed out by Doorman support.",
    EndReason.SESSION_LIMIT: "This session was signed out because the account signed in on too many devices.",
    EndReason.PASSWORD_CHANGED: "This session was signed out because the password was changed.",
    EndReason.ACCOUNT_DISABLED: "This account has been disabled.",
    EXPIRED: "Your session expired. Please sign in again.",
}
_DEFAULT_ENDED_MESSAGE = "You are signed out. Please sign in again."


def end_reason_label(reason: str | None) -> str:
    """"Password changed"; "Ended" for a reason with no words of its own."""
    return _LABELS.get(reason or "", "Ended")


def because(reason: str | None) -> str:
    """" because the password was changed", or nothing when the reason needs no telling."""
    return _BECAUSE.get(reason or "", "")


def ended_session_message(reason: str | None) -> str:
    """What the sign-in page says to a browser whose session ended for ``reason``."""
    return _ENDED_SESSION_MESSAGES.get(reason or "", _DEFAULT_ENDED_MESSAGE)
