"""The account holder's security activity page, and the download of their sessions and activity."""

import json
from datetime import timedelta

from flask import Response, render_template, request
from flask_login import current_user, login_required

from app.account import bp
from app.extensions import db, services
from app.models import Organisation, User
from app.presenters.activity import describe_all
from app.presenters.export import AccountExport, account_export

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
    # The names given to the devices of the page's sessions: one statement for the page, not one per entry.
    names = services().known_devices.names_of_sessions(
        current_user.id, {event.session_id for event in page.items if event.session_id is not None}
    )
    return render_template(
        "account/activity.html", page=page, entries=describe_all(page.items, device_names=names),
        days=ACTIVITY_DAYS,
    )


@bp.get("/activity/export.json")
@login_required
def export_json() -> Response:
    """Download this account's sessions and last 90 days of activity as JSON."""
    body = json.dumps(_export().as_json(), ensure_ascii=False, indent=2)
    return _download(body, "application/json; charset=utf-8", "json")


@bp.get("/activity/export.csv")
@login_required
def export_csv() -> Response:
    """Download this account's sessions and last 90 days of activity as CSV."""
    # With a byte order mark, spreadsheets read the file as UTF-8.
    return _download("\ufeff" + _export().as_csv(), "text/csv; charset=utf-8", "csv")


def _export() -> AccountExport:
    now = services().clock.now()
    user = db.session.get(User, current_user.id)
    assert user is not None  # the session lookup found an active account
    organisation = db.session.get(Organisation, user.organisation_id) if user.organisation_id else None
    return account_export(
        email=user.email, created_at=user.created_at, organisation=organisation.name if organisation else None,
        now=now, days=ACTIVITY_DAYS,
        sessions=services().sessions.list_kept(user.id),
        events=services().audit.history(user.id, since=now - timedelta(days=ACTIVITY_DAYS)),
    )


def _download(body: str, mimetype: str, extension: str) -> Response:
    today = services().clock.now().date().isoformat()
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="doorman-activity-{today}.{extension}"'
    return response
