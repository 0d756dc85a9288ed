"""Sign-in and sign-out views."""

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.auth import bp
from app.auth.forms import ConfirmPasswordForm, SignInForm
from app.auth.redirects import safe_next
from app.auth.responses import end_quietly, end_this_session, reauthenticated_response, signed_in_response
from app.auth.throttle import password_form
from app.extensions import db, services
from app.models import EndReason
from app.request_details import client_ip, sign_in_details
from app.services.errors import CredentialsChanged, InvalidCredentials
from app.services.sessions import NewSession


@bp.route("/sign-in", methods=["GET", "POST"])
@password_form("auth/sign_in.html", SignInForm)
def sign_in() -> Response | str | tuple[str, int]:
    """Show the sign-in form; on valid credentials start a new session."""
    form = SignInForm(next=request.args.get("next"))
    destination = safe_next(form.next.data) or url_for("account.devices")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(destination)
    if not form.validate_on_submit():
        return render_template("auth/sign_in.html", form=form)
    opened = _open_session(form)
    if opened is None:
        form.password.errors.append(_("The email or password is incorrect."))
        return render_template("auth/sign_in.html", form=form)
    new_session, device_cookie = opened
    return signed_in_response(destination, new_session, device_cookie=device_cookie)


def _open_session(form: SignInForm) -> tuple[NewSession, str] | None:
    """A new session for the form's email and password, committed, and the browser's device cookie.

    None if they are not right. A sign-in from a device or country the
    account has not seen enqueues its alert in the same transaction.
    """
    details = sign_in_details(request)
    try:
        credentials = services().users.authenticate(
            form.email.data, form.password.data, attempt=details, client_ip=details["ip_address"]
        )
    except InvalidCredentials:
        db.session.commit()  # the failed attempt is recorded on the account's activity
        return None
    if current_user.is_authenticated:
        # Signing in again from a signed-in browser replaces its session.
        end_quietly(current_user.session_id, current_user.id, EndReason.SUPERSEDED)
    try:
        new_session = services().sessions.create(credentials, **details)
    except CredentialsChanged:
        # The password was changed while it was being checked: it is simply wrong now.
        db.session.rollback()
        return None
    sighting = services().known_devices.browser_signed_in(
        new_session.row, request.cookies.get(current_app.config["KNOWN_DEVICE_COOKIE"])
    )
    services().new_device_alerts.signed_in(credentials.user, new_session.row, sighting)
    db.session.commit()
    assert sighting.cookie_value is not None  # a browser's sighting always carries its cookie
    return new_session, sighting.cookie_value


@bp.post("/sign-out")
@login_required
def sign_out() -> Response:
    """End this browser's session (CSRFProtect has already refused a form without a valid token)."""
    return end_this_session()


@bp.route("/confirm-password", methods=["GET", "POST"])
@login_required
@password_form("auth/confirm_password.html", ConfirmPasswordForm)
def confirm_password() -> Response | str:
    """Ask for the password before a sensitive action; a correct one counts for a few minutes."""
    form = ConfirmPasswordForm(next=request.args.get("next"))
    if form.validate_on_submit():
        if services().users.check_password(current_user.id, form.password.data, client_ip=client_ip(request)):
            return reauthenticated_response(safe_next(form.next.data) or url_for("account.devices"))
        form.password.errors.append(_("That password is not correct."))
    return render_template("auth/confirm_password.html", form=form)
