"""The signed-in person's own pages."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from app.account import routes  # noqa: E402,F401
from app.account import activity  # noqa: E402,F401
from app.account import password  # noqa: E402,F401
from app.account import settings  # noqa: E402,F401
