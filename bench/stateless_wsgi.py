"""The stateless baseline: Flask's signed-cookie session with Flask-Login's defaults.

This is what an app that cannot revoke sessions does per request: Flask opens
its signed cookie (an HMAC check, then a JSON load), Flask-Login compares the
session identifier of its default ``session_protection="basic"`` (a SHA-512 of
the client address and User-Agent), then calls the ``user_loader`` with the id
from the cookie. Flask-Login's documented ``user_loader`` would query the
users table; this one builds the user from the cookie alone (the email is
signed into the cookie at sign-in), so the baseline touches no database at
all, the cheapest any cookie session can be.

``gunicorn 'bench.stateless_wsgi:create_baseline_app()'`` with SECRET_KEY in the environment.
"""

import os

from flask import Flask, session
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user

BENCH_EMAIL = "bench@example.com"


class CookieUser(UserMixin):
    """A user made from what the signed cookie says, never looked up."""

    def __init__(self, user_id: str, email: str) -> None:
        self.id = user_id
        self.email = email


def create_baseline_app(secret_key: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = secret_key or os.environ["SECRET_KEY"]
    login_manager = LoginManager(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> CookieUser | None:
        email = session.get("email")
        return CookieUser(user_id, email) if email else None

    @app.post("/bench/sign-in")
    def sign_in() -> str:
        """Sign the benchmark's one account in: the cookie is all it will ever need."""
        login_user(CookieUser("1", BENCH_EMAIL))
        session["email"] = BENCH_EMAIL
        return "signed in"

    @app.get("/bench/whoami")
    @login_required
    def whoami() -> str:
        """The signed-in account's email, as plain as a page gets."""
        return current_user.email

    return app
