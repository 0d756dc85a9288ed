"""Doorman as gunicorn serves it, plus the smallest pages that need a signed-in session.

``gunicorn 'bench.doorman_wsgi:create_bench_app()'`` with the usual environment
(DATABASE_URL, SECRET_KEY, DOORMAN_ENV). The pages are registered here, not in
the app: they exist only so the request-path benchmark measures the session
and nothing else a real page would render. ``/bench/whoami`` takes the
browser's cookie, ``/bench/bearer-whoami`` an app's access token (through the
API's own ``bearer_required``).

``create_reference_app`` serves the same app with its session lookup swapped
for something cheaper, to split what a request costs into Doorman's own work,
a database round trip as such, and the lookup itself.
"""

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response
from flask_babel import format_datetime, get_locale
from flask_login import current_user, login_required
from sqlalchemy import literal_column, select

from app import create_app
from app.api.problems import ApiProblem, problem_response
from app.api.requests import api_user, bearer_required
from app.clock import Clock
from app.database import DirectSelect
from app.extensions import db, services

whoami_bp = Blueprint("bench", __name__, url_prefix="/bench")

REFERENCE_LOOKUPS = ("none", "select_one")


@whoami_bp.get("/whoami")
@login_required
def whoami() -> str:
    """The signed-in account's email, as plain as a page gets."""
    return current_user.email


@whoami_bp.get("/localized-whoami")
@login_required
def localized_whoami() -> str:
    """The email with the time in the reader's language and zone: what choosing both costs."""
    return f"{get_locale()} {format_datetime(datetime.now(UTC))} {current_user.email}"


@whoami_bp.get("/bearer-whoami")
@bearer_required
def bearer_whoami() -> str:
    """The email of the account whose access token came in the Authorization header."""
    return api_user().email


@whoami_bp.errorhandler(ApiProblem)
def _answer_problem(problem: ApiProblem) -> Response:
    return problem_response(problem)  # a refused token is the API's 401, not a 500


def create_bench_app(*, environ: Mapping[str, str] | None = None, clock: Clock | None = None) -> Flask:
    app = create_app(environ=environ, clock=clock)
    app.register_blueprint(whoami_bp)
    return app


def create_reference_app(lookup: str) -> Flask:
    """Doorman whose ``resolve`` answers BENCH_TOKEN's session, looked up once at start.

    ``lookup="none"``: no query at all per request (what the app costs
    around the lookup). ``lookup="select_one"``: ``SELECT 1`` per request,
    sent the way ``resolve`` sends its query (the least any session checked
    against the database can cost). The session is never due for a touch,
    so neither ever writes. Never for serving anyone: every cookie gets the
    same session.
    """
    if lookup not in REFERENCE_LOOKUPS:
        raise ValueError(f"lookup must be one of {REFERENCE_LOOKUPS}")
    app = create_bench_app()
    sessions = services(app).sessions
    with app.app_context():
        signed_in = sessions.resolve(os.environ["BENCH_TOKEN"])
        select_one = DirectSelect(db.engine, select(literal_column("1")))
    if signed_in is None:
        raise RuntimeError("BENCH_TOKEN does not open a session")
    # Active in the far future: touch_if_due never finds it due.
    signed_in = signed_in._replace(last_activity_at=datetime.max.replace(tzinfo=UTC))

    def resolve(token: str) -> Any:
        if lookup == "select_one":
            select_one.first()
        return signed_in

    sessions.resolve = resolve  # this instance only; the class is untouched
    return app
