"""The session cookie: the only place the raw token ever leaves the server."""

from datetime import datetime

from flask import current_app
from werkzeug.wrappers import Response


def set_session_cookie(response: Response, token: str, *, expires: datetime) -> None:
    response.set_cookie(
        current_app.config["SESSION_TOKEN_COOKIE"],
        token,
        expires=expires,
        path="/",
        secure=current_app.config["COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        current_app.config["SESSION_TOKEN_COOKIE"],
        path="/",
        secure=current_app.config["COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
