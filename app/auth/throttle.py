"""The web side of the password budgets: form bodies only, and the 429 page.

The budgets themselves are spent where passwords are verified, in
``UserService`` (see app/services/password_attempts.py): a view cannot
miscount, because it no longer counts. What a password view adds here is
HTTP. Its POST must be a web form, so that the fields it validates are the
fields it was sent, and a refusal (TooManyAttempts) becomes the same form
again with a 429 and Retry-After.

Only these views pay for any of it; no app-wide hook looks at every request.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.exceptions import UnsupportedMediaType

from app.presenters.times import minutes_to_wait
from app.services.errors import TooManyAttempts

FORM_BODIES = ("application/x-www-form-urlencoded", "multipart/form-data")


def password_form(
    template: str | Callable[[FlaskForm], str], form_class: type[FlaskForm]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view whose form checks a password: refuse bodies that are not forms; past a budget, a 429.

    ``template`` names the page to show, or renders it given a fresh form
    (for pages that need more than the form).
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if request.method == "POST" and request.mimetype not in FORM_BODIES:
                # A JSON body would leave the form empty; refuse it before anything is read.
                raise UnsupportedMediaType(_(
                    "This form must be sent as a web form (application/x-www-form-urlencoded or "
                    "multipart/form-data), so nothing was checked."
                ))
            try:
                return view(*args, **kwargs)
            except TooManyAttempts as refusal:
                return _refuse(template, form_class, refusal.retry_after)

        return wrapped

    return decorator


def _refuse(
    template: str | Callable[[FlaskForm], str], form_class: type[FlaskForm], seconds: int
) -> tuple[str, int, dict[str, str]]:
    """The same form again, saying why nothing was checked and how long to wait."""
    minutes = max(1, round(seconds / 60))
    flash(_("Too many wrong passwords. For your account's safety, please wait %(wait)s and try again.",
            wait=minutes_to_wait(minutes)), "error")
    page = template(form_class()) if callable(template) else render_template(template, form=form_class())
    return page, 429, {"Retry-After": str(seconds)}
