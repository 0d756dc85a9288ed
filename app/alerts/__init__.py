"""The pages an alert email links to: "Not you? End this session"."""

from flask import Blueprint

bp = Blueprint("alerts", __name__)

from app.alerts import routes  # noqa: E402,F401
