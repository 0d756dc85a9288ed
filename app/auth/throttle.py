"""Limits on password guessing, per client IP and per account.

Every form that checks a password (sign in, confirm password, change
password) shares the same two budgets, because they all guess the same
secret: an attacker with a stolen session gains nothing by guessing on the
confirm-password page instead of the sign-in page.

Only a wrong password counts, that is an answer that shows the form again
(200). A correct one (a redirect) costs nothing, and neither does a refusal
(429), so hammering a locked account does not keep it locked: the moving
window empties a fixed time after the last counted failure.

The per-account budget is also what lets a stranger slow the owner down:
ten wrong passwords for someone's email hold their sign-in off for up to
fifteen minutes. That is the price of stopping distributed guessing against
one account; it never locks anyone out for good, sessions that are already
signed in keep working, and docs/security.md weighs it.
"""

import hashlib
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, flash, render_template, request
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.extensions import limiter
from app.services.users import normalize_email

TOO_MANY_ATTEMPTS = "Too many wrong passwords. For your account's safety, please wait {wait} and try again."


def signed_in_email() -> str:
    """Whose password a confirm or change form is guessing: the signed-in account's."""
    return str(current_user.email)


def submitted_email() -> str:
    """Whose password the sign-in form is guessing: the account named in the form."""
    return request.form.get("email", "")


def _account_key(email: str) -> str:
    # Hashed so that the limiter's storage (Redis) holds no email addresses.
    return "account:" + hashlib.sha256(normalize_email(email).encode()).hexdigest()


def _wrong_password(response: Response) -> bool:
    return response.status_code == 200


def password_attempts_limited(
    template: str | Callable[[FlaskForm], str],
    form_class: type[FlaskForm],
    *,
    account: Callable[[], str] = signed_in_email,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Limit wrong passwords posted to this view; past the limit show the form again with a 429.

    ``template`` names the page to show, or renders it given a fresh form
    (for pages that need more than the form).
    """
    per_ip = limiter.shared_limit(
        lambda: current_app.config["PASSWORD_ATTEMPTS_PER_IP"],
        scope="password-attempts-ip",
        methods=["POST"],
        deduct_when=_wrong_password,
    )
    per_account = limiter.shared_limit(
        lambda: current_app.config["PASSWORD_ATTEMPTS_PER_ACCOUNT"],
        scope="password-attempts-account",
        key_func=lambda: _account_key(account()),
        methods=["POST"],
        deduct_when=_wrong_password,
    )

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        limited = per_ip(per_account(view))

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return limited(*args, **kwargs)
            except RateLimitExceeded:
                return _refuse(template, form_class)

        return wrapped

    return decorator


def _refuse(
    template: str | Callable[[FlaskForm], str], form_class: type[FlaskForm]
) -> tuple[str, int, dict[str, str]]:
    """The same form again, saying why nothing was checked and how long to wait."""
    breached = limiter.current_limit
    seconds = max(1, breached.reset_at - int(time.time())) if breached else 60
    minutes = max(1, round(seconds / 60))
    flash(TOO_MANY_ATTEMPTS.format(wait="a minute" if minutes == 1 else f"{minutes} minutes"), "error")
    page = template(form_class()) if callable(template) else render_template(template, form=form_class())
    return page, 429, {"Retry-After": str(seconds)}
