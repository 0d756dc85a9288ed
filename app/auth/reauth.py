"""Sensitive actions ask for the password again unless it was entered a few minutes ago."""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import services

P = ParamSpec("P")
R = TypeVar("R")


def recently_authenticated() -> bool:
    return services().sessions.recently_authenticated(current_user._get_current_object())


def ask_for_password(next_url: str) -> Response:
    """Send the user to confirm their password, then back to ``next_url``.

    The POST itself is not replayed afterwards: the user presses the button
    again, on a page that now shows what it will do.
    """
    flash(_("Please confirm your password to continue."), "info")
    return redirect(url_for("auth.confirm_password", next=next_url))


def recent_authentication_required(
    return_to: Callable[..., str], *, unless: Callable[..., bool] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Ask for the password first unless it was entered within the window.

    ``return_to`` gets the view's URL arguments and gives the page to come back to.
    ``unless``, given the same arguments, says when this request is not
    sensitive and needs no password (signing out one's own session).
    """

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            exempt = unless is not None and unless(**kwargs)
            if not exempt and not recently_authenticated():
                return ask_for_password(return_to(**kwargs))
            return view(*args, **kwargs)

        return wrapped

    return decorator
