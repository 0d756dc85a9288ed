"""The account holder's security activity page."""

from datetime import timedelta

from flask import render_template, request
from flask_login import current_user, login_required

from app.account import bp
from app.extensions import services
from app.presenters.activity import describe_all

ACTIVITY_DAYS = 90
ACTIVITY_PER_PAGE = 25


@bp.get("/activity")
@login_required
def activity() -> str:
    """What happened to this account in the last 90 days, newest first."""
    since = services().clock.now() - timedelta(days=ACTIVITY_DAYS)
    page = services().audit.activity(
        current_user.id, since=since, page=request.args.get("page", 1, type=int), per_page=ACTIVITY_PER_PAGE
    )
    return render_template(
        "account/activity.html", page=page, entries=describe_all(page.items), days=ACTIVITY_DAYS
    )
