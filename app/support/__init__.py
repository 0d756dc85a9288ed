"""The support console: find an account, see its sessions, sign them out with a reason."""

from flask import Blueprint

bp = Blueprint("support", __name__, url_prefix="/support")

from app.support import routes  # noqa: E402,F401
