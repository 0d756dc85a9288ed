"""Error pages, and the one place a stale form turns into a message."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.wrappers import Response

from app.api.paths import is_api_path
from app.api.problems import http_problem
from app.auth.redirects import safe_next
from app.auth.responses import signed_out_response
from app.extensions import db
from app.services.errors import SessionNotFound

bp = Blueprint("errors", __name__)


@bp.app_errorhandler(CSRFError)
def stale_form(error: CSRFError) -> Response:
    """A form without a valid CSRF token changes nothing and says so."""
    flash("That form had expired, so nothing was changed. Please try again.", "warning")
    referrer_path = None
    if request.referrer and request.referrer.startswith(request.host_url):
        referrer_path = "/" + request.referrer[len(request.host_url):]
    return redirect(safe_next(referrer_path) or url_for("account.index"))


@bp.app_errorhandler(SessionNotFound)
def session_ended_meanwhile(error: SessionNotFound) -> Response:
    """This browser's own session was ended (elsewhere) while its request was running."""
    db.session.rollback()
    return signed_out_response("This session was signed out from another device.", "info")


@bp.app_errorhandler(SQLAlchemyError)
def database_failed(error: SQLAlchemyError) -> tuple[str, int]:
    """The database failed mid-request: nothing was committed, and the page claims nothing.

    Whatever the view was about to report ("Signed out", "Password changed")
    never reaches the browser, and nobody is signed in by it; the details stay
    in the log (without the values it failed on: app/database_logging.py),
    not on the page.
    """
    current_app.logger.error("database error; answering 503", exc_info=error)
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection may be the thing that is gone
        pass
    return render_template("errors/error.html", error=ServiceUnavailable()), 503


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[str, int] | Response:
    """A short page in the site's layout for 4xx and 5xx answers; problem details under the API's path.

    The API blueprint answers its own views' errors; this catches those no
    view of it raised (an unknown path, a method a path does not take).
    """
    if is_api_path(request.path):
        return http_problem(error)
    return render_template("errors/error.html", error=error), error.code or 500
