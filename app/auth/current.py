"""Who is signed in: the session cookie resolved against the database on every request."""

from flask import Flask, Request, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.api.paths import is_api_path
from app.auth.redirects import current_path
from app.auth.responses import clear_session_cookie
from app.extensions import db, login_manager, services
from app.health import ENDPOINTS as HEALTH_ENDPOINTS
from app.presenters.end_reasons import ended_session_message
from app.request_details import client_ip
from app.services.sessions import SignedInUser


def load_signed_in_user(req: Request) -> SignedInUser | None:
    """Flask-Login's request loader: the cookie's active session, or nobody.

    A database error here must never let a request through as signed in:
    the request is marked, treated as anonymous, and answered with a 503.
    """
    if is_api_path(req.path):
        # The API takes bearer tokens only: a cookie there would need CSRF protection it does not have.
        return None
    token = req.cookies.get(current_app.config["SESSION_TOKEN_COOKIE"])
    if not token:
        return None
    sessions = services().sessions
    try:
        signed_in = sessions.resolve(token)
        if signed_in is None:
            g.ended_session_reason = sessions.why_not_active(token)
            return None
        if sessions.touch_if_due(signed_in, client_ip(req)):
            db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        # The app's logger writes database errors without their values (no
        # token hash): see app/database_logging.py.
        current_app.logger.exception("session lookup failed; answering 503")
        g.session_lookup_failed = True
        return None
    return signed_in


def _resolve_before_request() -> None:
    if request.endpoint == "static" or request.endpoint in HEALTH_ENDPOINTS or is_api_path(request.path):
        # Health checks answer for the process, not for anyone: no cookie is looked up.
        return
    # Resolve now rather than lazily mid-template, so a failure is a clean 503.
    current_user._get_current_object()
    if g.get("session_lookup_failed"):
        abort(503)
    reason = g.get("ended_session_reason")
    signing_in = request.endpoint == "auth.sign_in" and request.method == "POST"
    if reason and not signing_in:
        flash(ended_session_message(reason), "info")


def _forget_dead_cookie(response: Response) -> Response:
    if g.get("ended_session_reason") and not g.get("issued_session"):
        clear_session_cookie(response)
    return response


def _send_to_sign_in() -> Response:
    if not g.get("ended_session_reason"):
        flash(_("Please sign in to continue."), "info")
    next_path = current_path() if request.method == "GET" else None
    return redirect(url_for("auth.sign_in", next=next_path))


def init_current_session(app: Flask) -> None:
    login_manager.request_loader(load_signed_in_user)
    login_manager.unauthorized_handler(_send_to_sign_in)
    # Authentication lives in the server-side session row, not in Flask's
    # signed cookie, so Flask-Login's cookie-session protection has nothing to do.
    login_manager.session_protection = None
    app.before_request(_resolve_before_request)
    app.after_request(_forget_dead_cookie)
