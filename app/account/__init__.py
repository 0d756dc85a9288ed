"""The signed-in person's own pages."""

from flask import Blueprint

from app.account import presenters

bp = Blueprint("account", __name__)

for _name in ("session_title", "session_place", "session_label", "short_date", "time_ago", "exact_utc"):
    bp.add_app_template_filter(getattr(presenters, _name), _name)

from app.account import routes  # noqa: E402,F401
from app.account import activity  # noqa: E402,F401
from app.account import password  # noqa: E402,F401
