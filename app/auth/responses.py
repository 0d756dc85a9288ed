"""Responses every blueprint shares: the session cookie, signing in and out, re-authentication.

The cookie is the only place the raw token ever leaves the server. Views
in any blueprint (and the error handlers) come here rather than to each
other's routes.
"""

import uuid
from datetime import datetime

from flask import current_app, flash, g, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import db, services
from app.models import EndReason
from app.services.errors import SessionNotFound
from app.services.sessions import Ending, NewSession


def set_session_cookie(response: Response, token: str, *, expires: datetime) -> None:
    response.set_cookie(
        current_app.config["SESSION_TOKEN_COOKIE"],
        token,
        expires=expires,
        path="/",
        secure=current_app.config["COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        current_app.config["SESSION_TOKEN_COOKIE"],
        path="/",
        secure=current_app.config["COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def set_device_cookie(response: Response, value: str) -> None:
    """The browser's device cookie: lets the next sign-in know this browser (only ever set at sign-in)."""
    response.set_cookie(
        current_app.config["KNOWN_DEVICE_COOKIE"],
        value,
        max_age=current_app.config["KNOWN_DEVICE_LIFETIME"],
        path="/",
        secure=current_app.config["COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def signed_in_response(destination: str, new_session: NewSession, *, device_cookie: str | None = None) -> Response:
    """To ``destination`` with the new session's cookie, and a fresh CSRF secret for it."""
    session.clear()
    response = redirect(destination)
    expires = services().sessions.policy.cookie_expiry(new_session.row.created_at)
    set_session_cookie(response, new_session.token, expires=expires)
    if device_cookie is not None:
        set_device_cookie(response, device_cookie)
    g.issued_session = True
    return response


def reauthenticated_response(
    destination: str, *, success_message: str | None = None, credentials_version: int | None = None
) -> Response:
    """The password was just entered again on this session: a fresh window and a new token, committed.

    The message is flashed only once the commit has succeeded, so a failed
    commit never reports what did not happen. ``credentials_version``, after
    a password change, binds this session to the new password.
    """
    sessions = services().sessions
    sessions.record_authentication(current_user.session_id)
    token = sessions.rotate_token(current_user.session_id, credentials_version=credentials_version)
    db.session.commit()
    if success_message:
        flash(success_message, "success")
    response = redirect(destination)
    set_session_cookie(response, token, expires=sessions.policy.cookie_expiry(current_user.created_at))
    return response


def end_this_session() -> Response:
    """End the session this request came with, and forget its cookie."""
    end_quietly(current_user.session_id, current_user.id, EndReason.SIGNED_OUT)
    db.session.commit()
    return signed_out_response(_("You have signed out."), "success")


def signed_out_response(message: str, category: str) -> Response:
    """To the sign-in page with a message, forgetting the cookie and the CSRF secret."""
    session.clear()
    flash(message, category)
    response = redirect(url_for("auth.sign_in"))
    clear_session_cookie(response)
    return response


def end_quietly(session_id: uuid.UUID, user_id: int, reason: EndReason) -> None:
    # The row may have been ended by another device a moment ago; either
    # way it is over, which is what the caller wants.
    try:
        services().sessions.end(session_id, owner_id=user_id, ending=Ending.by_user(user_id, reason))
    except SessionNotFound:
        pass
