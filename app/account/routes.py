"""The devices page: where this account is signed in, and signing any of it out."""

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from app.account import bp
from app.account.forms import DeviceNameForm, DismissMoveForm, SignOutOthersForm
from app.auth.reauth import recent_authentication_required
from app.auth.responses import end_this_session, reauthenticated_response
from app.auth.throttle import password_form
from app.extensions import db, services
from app.models import EndReason, User
from app.presenters.sessions import device_renamed, signed_out_device, signed_out_one, signed_out_others
from app.request_details import client_ip, sign_in_details
from app.services.errors import DeviceNotFound, InvalidDeviceName, SessionNotFound
from app.services.sessions import Ending
from app.services.sessions.grouping import group_by_device


@bp.get("/")
def index() -> Response:
    """Send visitors to their devices, or to sign in."""
    return redirect(url_for("account.devices" if current_user.is_authenticated else "auth.sign_in"))


@bp.get("/devices")
@login_required
def devices() -> str:
    """List where this account is signed in, this device first."""
    return _devices_page(SignOutOthersForm())


def _devices_page(others_form: SignOutOthersForm, *, naming: tuple[int, DeviceNameForm] | None = None) -> str:
    """The page; ``naming`` is a device's name form that was refused, shown open with what was typed."""
    sessions = services().sessions.list_active(current_user.id)
    groups = group_by_device(sessions, this_session_id=current_user.session_id)
    return render_template(
        "account/devices.html", sessions=[s for g in groups for s in g.sessions], groups=groups,
        now=services().clock.now(), others_form=others_form, dismiss_form=DismissMoveForm(),
        naming_device_id=naming[0] if naming else None, naming_form=naming[1] if naming else None,
    )


@bp.post("/devices/known/<int:device_id>/name")
@login_required
def name_device(device_id: int) -> Response | str:
    """Name one of this account's devices, rename it, or clear its name (CSRFProtect checked the form)."""
    if not services().known_devices.is_theirs(current_user.id, device_id):
        raise NotFound(_("That device does not exist."))  # another account's device is unknown, like none
    form = DeviceNameForm()
    clearing = bool(form.clear.data)
    if not clearing and not form.validate():
        flash(form.name.errors[0], "error")
        return _devices_page(SignOutOthersForm(formdata=None), naming=(device_id, form))
    try:
        device = services().known_devices.rename(current_user.id, device_id, None if clearing else form.name.data)
    except DeviceNotFound:
        raise NotFound(_("That device does not exist.")) from None
    except InvalidDeviceName:  # the form's Length already refuses it; the service keeps the rule too
        db.session.rollback()
        return _devices_page(SignOutOthersForm(formdata=None), naming=(device_id, form))
    db.session.commit()
    flash(device_renamed(device.name), "success")
    return redirect(url_for("account.devices"))


def _back_to_devices(**_: object) -> str:
    return url_for("account.devices")


def _is_this_session(session_id: uuid.UUID) -> bool:
    return session_id == current_user.session_id


@bp.post("/devices/<uuid:session_id>/sign-out")
@login_required
@recent_authentication_required(_back_to_devices, unless=_is_this_session)
def end_session(session_id: uuid.UUID) -> Response:
    """Sign out one session; this device's own is an ordinary sign-out (and needs no password)."""
    if _is_this_session(session_id):
        return end_this_session()
    try:
        ended = services().sessions.end(
            session_id, owner_id=current_user.id,
            ending=Ending.by_user(current_user.id, EndReason.REVOKED_BY_USER, context=sign_in_details(request)),
        )
    except SessionNotFound:
        raise NotFound(_("That session does not exist or is already signed out.")) from None
    db.session.commit()
    flash(signed_out_one(ended), "success")
    return redirect(url_for("account.devices"))


def _device_of(session_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of the sessions on the same device as ``session_id`` (an own, active one), or none."""
    sessions = services().sessions.list_active(current_user.id)
    for group in group_by_device(sessions, this_session_id=current_user.session_id):
        if any(s.id == session_id for s in group.sessions):
            return [s.id for s in group.sessions]
    return []


def _is_this_device(session_id: uuid.UUID) -> bool:
    return current_user.session_id in _device_of(session_id)


@bp.post("/devices/<uuid:session_id>/sign-out-device")
@login_required
@recent_authentication_required(_back_to_devices, unless=_is_this_device)
def end_device(session_id: uuid.UUID) -> Response:
    """Sign out every session of one device; this device's signs this browser out too."""
    ids = _device_of(session_id)
    if not ids:
        raise NotFound(_("That session does not exist or is already signed out."))
    others = [i for i in ids if i != current_user.session_id]
    ended = services().sessions.end_several(
        others, owner_id=current_user.id,
        ending=Ending.by_user(current_user.id, EndReason.REVOKED_BY_USER, context=sign_in_details(request)),
    )
    db.session.commit()
    if len(others) < len(ids):
        return end_this_session()
    flash(signed_out_device(len(ended)), "success")
    return redirect(url_for("account.devices"))


@bp.post("/devices/<uuid:session_id>/dismiss-move")
@login_required
def dismiss_move(session_id: uuid.UUID) -> Response:
    """Stop flagging one of this account's sessions as signed in from a new place (CSRFProtect checked the form)."""
    try:
        services().sessions.dismiss_move(session_id, owner_id=current_user.id)
    except SessionNotFound:
        raise NotFound(_("That session does not exist or is already signed out.")) from None
    db.session.commit()
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
        form.password.errors.append(_("That password is not correct, so no sessions were signed out."))
        return _devices_page(form)
    where = sign_in_details(request)
    count = services().sessions.end_others(
        current_user.id, keep_session_id=current_user.session_id,
        ending=Ending.by_user(current_user.id, EndReason.REVOKED_BY_USER, context=where),
    )
    owner = db.session.get(User, current_user.id)
    if count and owner is not None:
        services().sessions_ended_mails.others_signed_out(  # committed with it
            owner, count=count, where=where,
            device_name=services().known_devices.name_of_session(current_user.session_id),
        )
    # Entering the password was a re-authentication: a new token and a fresh window.
    return reauthenticated_response(url_for("account.devices"), success_message=signed_out_others(count))
