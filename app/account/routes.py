"""The devices page: where this account is signed in, and signing any of it out."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from app.account import bp
from app.account.forms import EndSessionForm, SignOutOthersForm
from app.auth.cookies import set_session_cookie
from app.auth.reauth import ask_for_password, recently_authenticated
from app.auth.routes import end_this_session
from app.auth.throttle import password_form
from app.extensions import db, services
from app.models import EndReason
from app.presenters.sessions import signed_out_one, signed_out_others
from app.request_details import client_ip, sign_in_details
from app.services.errors import SessionNotFound
from app.services.sessions import Ending

NO_SUCH_SESSION = "That session does not exist or is already signed out."
WRONG_PASSWORD = "That password is not correct, so no sessions were signed out."


@bp.get("/")
def index() -> Response:
    """Send visitors to their devices, or to sign in."""
    return redirect(url_for("account.devices" if current_user.is_authenticated else "auth.sign_in"))


@bp.get("/devices")
@login_required
def devices() -> str:
    """List where this account is signed in, this device first."""
    return _devices_page(SignOutOthersForm())


def _devices_page(others_form: SignOutOthersForm) -> str:
    sessions = services().sessions.list_active(current_user.id)
    sessions.sort(key=lambda row: row.id != current_user.session_id)  # stable: keeps recency order
    return render_template(
        "account/devices.html", sessions=sessions, now=services().clock.now(), others_form=others_form
    )


@bp.post("/devices/<session_id>/sign-out")
@login_required
def end_session(session_id: str) -> Response:
    """Sign out one session; this device's own is an ordinary sign-out."""
    if not EndSessionForm().validate_on_submit():
        flash("That form had expired, so nothing was changed. Please try again.", "warning")
        return redirect(url_for("account.devices"))
    if session_id == str(current_user.session_id):
        return end_this_session()
    if not recently_authenticated():
        return ask_for_password(url_for("account.devices"))
    try:
        ended = services().sessions.end(
            session_id, owner_id=current_user.id,
            ending=Ending.by_user(current_user.id, EndReason.REVOKED_BY_USER, context=sign_in_details(request)),
        )
    except SessionNotFound:
        raise NotFound(NO_SUCH_SESSION) from None
    db.session.commit()
    flash(signed_out_one(ended), "success")
    return redirect(url_for("account.devices"))


@bp.post("/devices/sign-out-others")
@login_required
@password_form(_devices_page, SignOutOthersForm)
def end_other_sessions() -> Response | str:
    """Sign out every session but this one, after checking the password."""
    form = SignOutOthersForm()
    if not form.validate_on_submit():
        return _devices_page(form)
    if not services().users.check_password(current_user.id, form.password.data, client_ip=client_ip(request)):
        form.password.errors.append(WRONG_PASSWORD)
        return _devices_page(form)
    sessions = services().sessions
    count = sessions.end_others(
        current_user.id, keep_session_id=current_user.session_id,
        ending=Ending.by_user(current_user.id, EndReason.REVOKED_BY_USER, context=sign_in_details(request)),
    )
    # Entering the password was a re-authentication: a new token and a fresh window.
    sessions.record_authentication(current_user.session_id)
    token = sessions.rotate_token(current_user.session_id)
    db.session.commit()
    flash(signed_out_others(count), "success")
    response = redirect(url_for("account.devices"))
    set_session_cookie(response, token, expires=sessions.policy.cookie_expiry(current_user.created_at))
    return response
