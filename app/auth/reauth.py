"""Sensitive actions ask for the password again unless it was entered a few minutes ago."""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.services import session_service

P = ParamSpec("P")
R = TypeVar("R")


def ask_for_password(return_to: str) -> Response:
    """Send the user to confirm their password, then back to the page ``return_to``."""
    flash("Please confirm your password to continue.", "info")
    return redirect(url_for("auth.confirm_password", next=url_for(return_to)))


def recent_authentication_required(return_to: str) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Send the user to confirm their password first, then back to ``return_to``.

    The POST itself is not replayed afterwards: the user presses the button
    again, on a page that now shows what it will do.
    """

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            if not session_service().recently_authenticated(current_user._get_current_object()):
                return ask_for_password(return_to)
            return view(*args, **kwargs)

        return wrapped

    return decorator
