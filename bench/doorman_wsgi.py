"""Doorman as gunicorn serves it, plus the smallest page that needs a signed-in session.

``gunicorn 'bench.doorman_wsgi:create_bench_app()'`` with the usual environment
(DATABASE_URL, SECRET_KEY, DOORMAN_ENV). The page is registered here, not in the app: it
exists only so the request-path benchmark measures the session and nothing
else a real page would render.
"""

from typing import Any

from flask import Blueprint, Flask
from flask_login import current_user, login_required

from app import create_app

whoami_bp = Blueprint("bench", __name__, url_prefix="/bench")


@whoami_bp.get("/whoami")
@login_required
def whoami() -> str:
    """The signed-in account's email, as plain as a page gets."""
    return current_user.email


def create_bench_app(config: dict[str, Any] | None = None) -> Flask:
    app = create_app(config)
    app.register_blueprint(whoami_bp)
    return app
