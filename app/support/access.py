"""The gate in front of every support view: signed in, and staff with the permission."""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import login_manager
from app.services.permissions import has_permission

P = ParamSpec("P")
R = TypeVar("R")


def staff_required(permission: str) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Anonymous visitors go to sign in; anyone without ``permission`` gets a 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_permission(current_user.role, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
