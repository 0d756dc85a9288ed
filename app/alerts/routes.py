"""An alert email's "Not you? End this session" link: a GET only shows, the page's POST ends.

Mail scanners open every link in a mail, so the GET changes nothing. The
link's token is in the path: these pages send no Referer anywhere
(``Referrer-Policy: no-referrer``) and, like every page, are never cached.
Without a Referer, CSRFProtect's HTTPS check could never pass, so the POST
is exempt from it and checks the form's own CSRF token (bound to this
browser's CSRF cookie) and the browser's word on where it came from.
"""

from flask import render_template, request
from werkzeug.wrappers import Response

from app.alerts import bp
from app.alerts.forms import EndSessionForm
from app.extensions import csrf, db, services
from app.presenters.end_session_links import unusable_link
from app.request_details import sign_in_details
from app.request_origin import is_cross_site
from app.services.end_session_links import LinkCheck, LinkState

# What each state answers with: the page is shown as usual; a link that can no longer do anything is gone.
_STATUS = {
    LinkState.USABLE: 200, LinkState.INVALID: 404, LinkState.EXPIRED: 410, LinkState.USED: 410,
    LinkState.SESSION_ENDED: 410,
}


@bp.after_request
def send_no_referrer(response: Response) -> Response:
    """Links on these pages must not carry their URL, and so the link's token, to the next page."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sessions/end/<token>")
def end_session_page(token: str) -> tuple[str, int]:
    """Show the session the link names and one button to end it; changes nothing."""
    check = services().end_session_links.inspect(token)
    db.session.rollback()  # a GET only reads
    return _link_page(check, EndSessionForm())


@bp.post("/sessions/end/<token>")
@csrf.exempt
def end_session(token: str) -> tuple[str, int]:
    """End the session the link names, once, and invite its owner to sign in and change the password."""
    form = EndSessionForm()
    if not form.validate_on_submit() or is_cross_site(request):
        check = services().end_session_links.inspect(token)
        db.session.rollback()
        return _link_page(check, form, stale_form=True)
    check = services().end_session_links.redeem(token, context=sign_in_details(request))
    if check.state != LinkState.ENDED_NOW:
        db.session.rollback()  # nothing was ended: nothing is kept
        return _link_page(check, form)
    db.session.commit()
    return render_template("alerts/session_ended.html", session=check.session), 200


def _link_page(check: LinkCheck, form: EndSessionForm, *, stale_form: bool = False) -> tuple[str, int]:
    if check.state == LinkState.USABLE:
        page = render_template("alerts/end_session.html", session=check.session, form=form, stale_form=stale_form)
        return page, 400 if stale_form else 200
    title, explanation = unusable_link(check.state)
    page = render_template("alerts/link_unusable.html", title=title, explanation=explanation)
    return page, _STATUS[check.state]
