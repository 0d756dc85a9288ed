"""Changing the password: the other sessions end, this one gets a new token."""

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.account import bp
from app.account.forms import ChangePasswordForm
from app.auth.responses import reauthenticated_response
from app.auth.throttle import password_form
from app.extensions import services
from app.models import EndReason
from app.request_details import client_ip, sign_in_details
from app.services.errors import IncorrectPassword
from app.services.sessions import Ending

TEMPLATE = "account/password.html"


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@password_form(TEMPLATE, ChangePasswordForm)
def change_password() -> Response | str:
    """Ask for the current password and a new one; on success sign out every other session."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template(TEMPLATE, form=form)
    where = sign_in_details(request)
    try:
        user = services().users.change_password(
            current_user.id, form.current_password.data, form.new_password.data,
            context=where, client_ip=client_ip(request),
        )
    except IncorrectPassword:
        form.current_password.errors.append(_("That is not your current password."))
        return render_template(TEMPLATE, form=form)
    ended = services().sessions.end_others(
        current_user.id, keep_session_id=current_user.session_id,
        ending=Ending.by_user(current_user.id, EndReason.PASSWORD_CHANGED),
    )
    services().password_changed_mails.changed(user, where)  # committed with the change
    # Typing the current password was a re-authentication: new token, fresh
    # window, and bound to the new password, the only session that still is.
    return reauthenticated_response(
        url_for("account.devices"), success_message=password_changed_message(ended),
        credentials_version=user.credentials_version,
    )


def password_changed_message(other_sessions_ended: int) -> str:
    if other_sessions_ended == 0:
        return _("Your password was changed. No other device was signed in.")
    return ngettext(
        "Your password was changed, and %(num)d other session was signed out.",
        "Your password was changed, and %(num)d other sessions were signed out.",
        other_sessions_ended,
    )
