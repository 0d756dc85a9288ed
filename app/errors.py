"""Error pages, and the one place a stale form turns into a message."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
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

# Each page's own title and words: werkzeug's descriptions are English only. A description
# the code gave when raising (already in the reader's language) is shown instead.
ERROR_PAGES: dict[int, tuple[LazyString, LazyString]] = {
    400: (_l("Bad request"),
          _l("Doorman could not make sense of that request, so nothing was changed. Please go back and try again.")),
    403: (_l("Not allowed"), _l("You are not allowed to see this page or to do this.")),
    404: (_l("Page not found"), _l("There is no page at this address. It may have moved, or the link may be wrong.")),
    405: (_l("Not allowed here"), _l("This address does not take that kind of request, so nothing was changed.")),
    429: (_l("Too many requests"),
          _l("Too many requests came from here in a short time. Please wait a minute and try again.")),
    500: (_l("Something went wrong"),
          _l("Something went wrong on our side. Nothing you did caused it; please try again.")),
    503: (_l("Doorman is unavailable"),
          _l("Doorman cannot reach its database right now, so nobody can be signed in. "
             "Please try again in a minute.")),
}
OTHER_ERROR = (_l("That did not work"), _l("Doorman could not do what was asked, so nothing was changed."))


def error_page(error: HTTPException) -> tuple[str, int]:
    """The error page for ``error`` in the reader's language, and its status code."""
    code = error.code or 500
    title, description = ERROR_PAGES.get(code) or (ERROR_PAGES[500] if code >= 500 else OTHER_ERROR)
    # werkzeug keeps a description given when raising on the instance; its stock one is the class's.
    given = vars(error).get("description")
    page = render_template("errors/error.html", code=code, title=title, description=given or description)
    return page, code


@bp.app_errorhandler(CSRFError)
def stale_form(error: CSRFError) -> Response:
    """A form without a valid CSRF token changes nothing and says so."""
    flash(_("That form had expired, so nothing was changed. Please try again."), "warning")
    referrer_path = None
    if request.referrer and request.referrer.startswith(request.host_url):
        referrer_path = "/" + request.referrer[len(request.host_url):]
    return redirect(safe_next(referrer_path) or url_for("account.index"))


@bp.app_errorhandler(SessionNotFound)
def session_ended_meanwhile(error: SessionNotFound) -> Response:
    """This browser's own session was ended (elsewhere) while its request was running."""
    db.session.rollback()
    return signed_out_response(_("This session was signed out from another device."), "info")


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
    return error_page(ServiceUnavailable())


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[str, int] | Response:
    """A short page in the site's layout for 4xx and 5xx answers; problem details under the API's path.

    The API blueprint answers its own views' errors; this catches those no
    view of it raised (an unknown path, a method a path does not take).
    """
    if is_api_path(request.path):
        return http_problem(error)
    return error_page(error)
