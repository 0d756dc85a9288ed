"""Sign-in and sign-out views."""

import uuid

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.auth import bp
from app.auth.cookies import clear_session_cookie, set_session_cookie
from app.auth.forms import ConfirmPasswordForm, SignInForm, SignOutForm
from app.auth.redirects import safe_next
from app.auth.throttle import password_form
from app.extensions import db, services
from app.models import EndReason
from app.request_details import client_ip, sign_in_details
from app.services.errors import CredentialsChanged, InvalidCredentials, SessionNotFound
from app.services.sessions import Ending

SIGN_IN_FAILED = "The email or password is incorrect."


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
    details = sign_in_details(request)
    try:
        credentials = services().users.authenticate(
            form.email.data, form.password.data, attempt=details, client_ip=details["ip_address"]
        )
    except InvalidCredentials:
        db.session.commit()  # the failed attempt is recorded on the account's activity
        return _sign_in_failed(form)
    if current_user.is_authenticated:
        # Signing in again from a signed-in browser replaces its session.
        _end_quietly(current_user.session_id, current_user.id, EndReason.SUPERSEDED)
    sessions = services().sessions
    try:
        new_session = sessions.create(credentials, **details)
    except CredentialsChanged:
        # The password was changed while it was being checked: it is simply wrong now.
        db.session.rollback()
        return _sign_in_failed(form)
    db.session.commit()
    session.clear()  # a fresh CSRF secret for the new session
    response = redirect(destination)
    set_session_cookie(
        response, new_session.token, expires=sessions.policy.cookie_expiry(new_session.row.created_at)
    )
    g.issued_session = True
    return response


def _sign_in_failed(form: SignInForm) -> tuple[str, int]:
    form.password.errors.append(SIGN_IN_FAILED)
    return render_template("auth/sign_in.html", form=form), 200


@bp.post("/sign-out")
@login_required
def sign_out() -> Response:
    """End this browser's session."""
    if not SignOutForm().validate_on_submit():
        flash("That form had expired, so nothing was changed. Please try again.", "warning")
        return redirect(url_for("account.devices"))
    return end_this_session()


def end_this_session() -> Response:
    """End the session this request came with, and forget its cookie."""
    _end_quietly(current_user.session_id, current_user.id, EndReason.SIGNED_OUT)
    db.session.commit()
    return signed_out_response("You have signed out.", "success")


def signed_out_response(message: str, category: str) -> Response:
    """To the sign-in page with a message, forgetting the cookie and the CSRF secret."""
    session.clear()
    flash(message, category)
    response = redirect(url_for("auth.sign_in"))
    clear_session_cookie(response)
    return response


@bp.route("/confirm-password", methods=["GET", "POST"])
@login_required
@password_form("auth/confirm_password.html", ConfirmPasswordForm)
def confirm_password() -> Response | str:
    """Ask for the password before a sensitive action; a correct one counts for a few minutes."""
    form = ConfirmPasswordForm(next=request.args.get("next"))
    if form.validate_on_submit():
        if services().users.check_password(current_user.id, form.password.data, client_ip=client_ip(request)):
            sessions = services().sessions
            sessions.record_authentication(current_user.session_id)
            token = sessions.rotate_token(current_user.session_id)  # a new token at re-authentication
            db.session.commit()
            response = redirect(safe_next(form.next.data) or url_for("account.devices"))
            set_session_cookie(response, token, expires=sessions.policy.cookie_expiry(current_user.created_at))
            return response
        form.password.errors.append("That password is not correct.")
    return render_template("auth/confirm_password.html", form=form)


def _end_quietly(session_id: uuid.UUID, user_id: int, reason: EndReason) -> None:
    # The row may have been ended by another device a moment ago; either
    # way it is over, which is what the caller wants.
    try:
        services().sessions.end(session_id, owner_id=user_id, ending=Ending.by_user(user_id, reason))
    except SessionNotFound:
        pass
