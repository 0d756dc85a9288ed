"""Support console views: thin, with every permission decided in app.services.permissions."""

import uuid
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import Forbidden, NotFound
from werkzeug.wrappers import Response

from app.auth.reauth import recent_authentication_required
from app.errors import http_error
from app.extensions import db, services
from app.presenters.activity import describe_all
from app.presenters.roles import account_status, role_name
from app.presenters.sessions import EndedSessionRow, StaffSessionRow, staff_signed_out_all, staff_signed_out_one
from app.request_details import sign_in_details
from app.request_origin import is_same_origin
from app.services.errors import NotAllowed, SessionNotFound, UserNotFound, ViewNotRecorded
from app.services.permissions import Permission, has_permission
from app.support import bp
from app.support.access import staff_required
from app.support.forms import (
    AuditFilterForm,
    EndAllSessionsForm,
    EndSessionForm,
    OpenAccountForm,
    RevealIPForm,
    UserSearchForm,
)


@bp.errorhandler(NotAllowed)
def not_allowed(error: NotAllowed) -> tuple[str, int] | Response:
    """Acting on an account this staff member may not touch: 403, nothing changed."""
    db.session.rollback()
    return http_error(Forbidden())


@bp.errorhandler(UserNotFound)
def no_such_account(error: UserNotFound) -> tuple[str, int] | Response:
    db.session.rollback()
    return http_error(NotFound())


@bp.context_processor
def _permissions() -> dict[str, object]:
    def may(permission: str) -> bool:
        return current_user.is_authenticated and has_permission(current_user.role, permission)

    def geoip_built() -> datetime | None:
        return services().geo.build_date()

    return {"may": may, "Permission": Permission, "geoip_built": geoip_built,
            "role_name": role_name, "account_status": account_status}


def _page() -> int:
    return request.args.get("page", 1, type=int)


def _back_to_account(user_id: int, **_: object) -> str:
    return url_for("support.user", user_id=user_id)


@bp.get("/")
@staff_required(Permission.VIEW_ACCOUNTS)
def search() -> str:
    """Find accounts by the start of their email."""
    form = UserSearchForm(formdata=request.args)
    results = None
    if form.validate() and form.q.data:
        results = services().support.find_accounts(current_user, form.q.data, page=_page())
    return render_template("support/search.html", form=form, results=results)


@bp.get("/users/<int:user_id>")
@staff_required(Permission.VIEW_ACCOUNTS)
def user(user_id: int) -> str:
    """One account's sessions and security activity; opening it is recorded.

    Only a navigation from Doorman's own pages (or a typed address) may
    record the look: a GET that any foreign page can link to must not write
    "Support viewed this account" into someone's history. Without a look on
    record, the staff member is asked to open the account with a POST.
    """
    service = services().support
    try:
        account = service.open_account(
            current_user, user_id, page=_page(), may_record=is_same_origin(request), context=sign_in_details(request)
        )
    except ViewNotRecorded:
        subject = service.account_for(current_user, user_id, Permission.VIEW_ACCOUNTS)
        return render_template("support/open.html", user=subject, form=OpenAccountForm())
    db.session.commit()
    return render_template(
        "support/user.html",
        account=account,
        active=[StaffSessionRow.of(row, revealed=row.id in account.revealed) for row in account.active_sessions],
        ended=[EndedSessionRow.of(e, account.staff_revocations.get(e.row.id), revealed=e.row.id in account.revealed)
               for e in account.ended_sessions],
        entries=describe_all(account.activity.items, for_staff=True),
        end_session_form=EndSessionForm(),
        end_all_form=EndAllSessionsForm(),
        reveal_form=RevealIPForm(),
    )


@bp.post("/users/<int:user_id>/sessions/<uuid:session_id>/reveal-ip")
@staff_required(Permission.VIEW_ACCOUNTS)
def reveal_ip(user_id: int, session_id: uuid.UUID) -> Response:
    """Show one session's full IP address, with a reason that goes on the account's record."""
    service = services().support
    service.account_for(current_user, user_id, Permission.VIEW_ACCOUNTS)  # 404 or 403 before anything else
    form = RevealIPForm()
    if not form.validate_on_submit():
        return _refused(form, user_id)
    try:
        service.reveal_ip(current_user, user_id, session_id, reason=form.reason.data, context=sign_in_details(request))
    except SessionNotFound:
        raise NotFound() from None
    db.session.commit()
    return redirect(url_for("support.user", user_id=user_id, _anchor=f"session-{session_id}"))


@bp.post("/users/<int:user_id>/open")
@staff_required(Permission.VIEW_ACCOUNTS)
def open_user(user_id: int) -> Response:
    """Open an account the staff member reached from elsewhere: records the look, then shows it."""
    services().support.record_view(current_user, user_id, context=sign_in_details(request))
    db.session.commit()
    return redirect(url_for("support.user", user_id=user_id))


@bp.post("/users/<int:user_id>/sessions/<uuid:session_id>/sign-out")
@staff_required(Permission.END_SESSIONS)
@recent_authentication_required(_back_to_account)
def end_session(user_id: int, session_id: uuid.UUID) -> Response:
    """Sign out one of the account's sessions, with a reason."""
    service = services().support
    service.account_for(current_user, user_id, Permission.END_SESSIONS)  # 404 or 403 before anything else
    form = EndSessionForm()
    if not form.validate_on_submit():
        return _refused(form, user_id)
    try:
        ended = service.end_session(
            current_user, user_id, session_id, reason=form.reason.data, context=sign_in_details(request)
        )
    except SessionNotFound:
        flash(_("That session had already ended, so nothing was changed."), "info")
    else:
        services().sessions_ended_mails.by_support(ended.user, count=1, reason=form.reason.data, session=ended)
        db.session.commit()
        flash(staff_signed_out_one(ended), "success")
    return redirect(url_for("support.user", user_id=user_id))


@bp.post("/users/<int:user_id>/sign-out-all")
@staff_required(Permission.END_SESSIONS)
@recent_authentication_required(_back_to_account)
def end_all_sessions(user_id: int) -> Response:
    """Sign out every session of the account, with a reason."""
    service = services().support
    service.account_for(current_user, user_id, Permission.END_SESSIONS)  # 404 or 403 before anything else
    form = EndAllSessionsForm()
    if not form.validate_on_submit():
        return _refused(form, user_id)
    subject, count = service.end_all_sessions(
        current_user, user_id, reason=form.reason.data, context=sign_in_details(request)
    )
    if count:
        services().sessions_ended_mails.by_support(subject, count=count, reason=form.reason.data)
    db.session.commit()
    if count:
        flash(staff_signed_out_all(count, subject.email), "success")
    else:
        flash(_("%(email)s had no active sessions, so nothing was changed.", email=subject.email), "info")
    return redirect(url_for("support.user", user_id=user_id))


@bp.get("/audit")
@staff_required(Permission.VIEW_STAFF_AUDIT)
def audit() -> tuple[str, int]:
    """Every staff action, newest first, by staff member and by account."""
    service = services().support
    form = AuditFilterForm(formdata=request.args)
    form.staff.choices = [(None, _("Anyone"))] + [(u.id, u.email) for u in service.staff_members(current_user)]
    if not form.validate():
        return render_template("support/audit.html", form=form, page=None, rows=[]), 400
    try:
        page = service.staff_actions(
            current_user, staff_id=form.staff.data, subject_email=form.account.data, page=_page()
        )
    except UserNotFound:
        form.account.errors = [_("No account has that email.")]
        return render_template("support/audit.html", form=form, page=None, rows=[]), 200
    rows = list(zip(page.items, describe_all(page.items, for_staff=True), strict=True))
    return render_template("support/audit.html", form=form, page=page, rows=rows), 200


@bp.get("/mail")
@staff_required(Permission.VIEW_FAILED_MAIL)
def failed_mail() -> str:
    """The emails Doorman gave up sending, newest first, with why: for admins."""
    return render_template("support/failed_mail.html", page=services().outbox.failed(page=_page()))


def _refused(form: EndSessionForm | EndAllSessionsForm | RevealIPForm, user_id: int) -> Response:
    for errors in form.errors.values():
        for error in errors:
            flash(_("Nothing was changed. %(error)s", error=str(error)), "warning")
    return redirect(url_for("support.user", user_id=user_id))
