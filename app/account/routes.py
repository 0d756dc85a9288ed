"""The devices page."""

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.account import bp
from app.services import session_service


@bp.get("/")
def index() -> Response:
    """Send visitors to their devices, or to sign in."""
    return redirect(url_for("account.devices" if current_user.is_authenticated else "auth.sign_in"))


@bp.get("/devices")
@login_required
def devices() -> str:
    """List where this account is signed in."""
    sessions = session_service().list_active(current_user.id)
    return render_template("account/devices.html", sessions=sessions)
