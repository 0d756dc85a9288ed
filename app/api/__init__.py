"""The JSON API for Doorman's own apps (mobile, desktop, CLI): bearer tokens, no cookies, no CSRF."""

from flask import Blueprint

from app.api.paths import API_PREFIX

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)

from app.api import routes  # noqa: E402,F401  (registers the views on bp)
