"""The Flask peers of benchmark 9, each the same page as Doorman's ``/bench/whoami``.

Served from the peers' virtual environment, never Doorman's:
``gunicorn 'bench.peers.flask_peers:create_peer("user_loader")'``. Every peer
is Flask + Flask-Login with its defaults; only where the session lives and
how the user is found differ:

- ``user_loader``: Flask's signed cookie, and Flask-Login's documented
  ``user_loader`` (``db.session.get(User, int(user_id))``, Flask-SQLAlchemy)
  querying PostgreSQL for the user on every request. Not revocable: the
  cookie is the session.
- ``sqlalchemy``: Flask-Session's SQLAlchemy backend on PostgreSQL; the
  user is built from the server-side session (its email was stored at
  sign-in), so the only query is the session's. Revocable: delete the row.
- ``sqlalchemy_no_refresh``: the same with ``SESSION_REFRESH_EACH_REQUEST``
  off, so a request only reads its session (which then expires a month
  after sign-in, however much it is used).
- ``redis``: Flask-Session's Redis backend, the user built the same way.
  Revocable: delete the key.

Flask-Session runs with its defaults, under which it writes the session
back on every request (``SESSION_PERMANENT`` and Flask's
``SESSION_REFRESH_EACH_REQUEST``, both true: each request renews the
session's expiry in the store). The stateless cookie is
``bench.stateless_wsgi`` itself, served from this environment too.

Environment: SECRET_KEY, PEERS_DATABASE_URL (a SQLAlchemy URL with the
peers' schema as its search_path), PEERS_REDIS_URL, PEERS_REDIS_PREFIX.
``python -m bench.peers.flask_peers setup`` makes the tables and the account;
``python -m bench.peers.flask_peers end-sessions`` ends every peer's
sessions on the server side (Django's too), and ``forget-redis`` deletes the peers' keys
(those under PEERS_REDIS_PREFIX, in PEERS_REDIS_URL's database) and no others.
"""

import os
import sys

from flask import Flask, session
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_session import Session
from flask_sqlalchemy import SQLAlchemy
from redis import Redis
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

BENCH_EMAIL = "bench@example.com"
PEERS = ("user_loader", "sqlalchemy", "sqlalchemy_no_refresh", "redis")


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """The account, as Flask-Login's documentation has it."""

    __tablename__ = "peer_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)


class SessionUser(UserMixin):
    """A user made from what the server-side session says, never looked up."""

    def __init__(self, user_id: str, email: str) -> None:
        self.id = user_id
        self.email = email


def create_peer(peer: str) -> Flask:
    if peer not in PEERS:
        raise ValueError(f"peer must be one of {PEERS}")
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["PEERS_DATABASE_URL"]
    db.init_app(app)
    if peer in ("sqlalchemy", "sqlalchemy_no_refresh"):
        app.config["SESSION_REFRESH_EACH_REQUEST"] = peer == "sqlalchemy"
        app.config |= {"SESSION_TYPE": "sqlalchemy", "SESSION_SQLALCHEMY": db,
                       "SESSION_SQLALCHEMY_TABLE": "peer_flask_sessions"}
        Session(app)
    elif peer == "redis":
        app.config |= {"SESSION_TYPE": "redis", "SESSION_REDIS": Redis.from_url(os.environ["PEERS_REDIS_URL"]),
                       "SESSION_KEY_PREFIX": os.environ["PEERS_REDIS_PREFIX"]}
        Session(app)
    login_manager = LoginManager(app)

    if peer == "user_loader":
        @login_manager.user_loader
        def load_user(user_id: str) -> User | None:
            return db.session.get(User, int(user_id))
    else:
        @login_manager.user_loader
        def load_session_user(user_id: str) -> SessionUser | None:
            email = session.get("email")
            return SessionUser(user_id, email) if email else None

    @app.post("/bench/sign-in")
    def sign_in() -> str:
        user = db.session.execute(db.select(User).filter_by(email=BENCH_EMAIL)).scalar_one()
        login_user(user)
        session["email"] = user.email
        return "signed in"

    @app.get("/bench/whoami")
    @login_required
    def whoami() -> str:
        return current_user.email

    return app


def setup() -> None:
    """The account, and Flask-Session's table (made before the workers start, not by each at once)."""
    app = create_peer("sqlalchemy")
    with app.app_context():
        db.create_all()
        db.session.add(User(email=BENCH_EMAIL))
        db.session.commit()
        db.engine.dispose()


def end_sessions() -> None:
    """End every peer's every session on the server side: Flask-Session's rows and keys, Django's rows.

    What "sign out everywhere" is in each store; the benchmark checks that the
    revocable peers refuse their cookie afterwards.
    """
    app = create_peer("user_loader")
    with app.app_context():
        db.session.execute(db.text("DELETE FROM peer_flask_sessions"))
        db.session.execute(db.text("DELETE FROM user_sessions_session"))
        db.session.commit()
        db.engine.dispose()
    forget_redis()


def forget_redis() -> int:
    client = Redis.from_url(os.environ["PEERS_REDIS_URL"])
    prefix = os.environ["PEERS_REDIS_PREFIX"]
    if not prefix:
        raise ValueError("PEERS_REDIS_PREFIX must not be empty: it is what keeps other keys safe")
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "setup":
        setup()
    elif command == "end-sessions":
        end_sessions()
    elif command == "forget-redis":
        print(forget_redis())
    else:
        sys.exit("usage: python -m bench.peers.flask_peers setup|end-sessions|forget-redis")
