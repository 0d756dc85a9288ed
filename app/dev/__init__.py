"""Development-only pages: registered only when DOORMAN_ENV is development (see create_app)."""

from flask import Blueprint

bp = Blueprint("dev", __name__, url_prefix="/dev")

from app.dev import routes  # noqa: E402,F401  (registers the views)
