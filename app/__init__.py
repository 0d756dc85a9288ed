"""Doorman: see where your account is signed in, and sign out any of it."""

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import cookie_settings, load_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides what the environment says."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_mapping(load_config(_environment(config), app.instance_path))
    app.config.from_mapping({k: v for k, v in (config or {}).items() if not isinstance(v, str)})
    app.config.from_mapping(cookie_settings(app.config["COOKIE_SECURE"]))
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        # Only addresses added by our own proxies are believed.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    register_extensions(app)
    register_services(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_cli(app)
    return app


def _environment(config: dict[str, Any] | None) -> dict[str, str]:
    """The environment, with string entries of ``config`` read as if they were in it."""
    overrides = {k: v for k, v in (config or {}).items() if isinstance(v, str)}
    return {**os.environ, **overrides}


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (registers the tables for migrations)
    from app.database import configure_engines
    from app.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    configure_engines(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "..", "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)


def register_services(app: Flask) -> None:
    from app.clock import SystemClock
    from app.extensions import db
    from app.services.audit import AuditService
    from app.services.enrichment import GeoLocator
    from app.services.password_attempts import PasswordAttemptLimits
    from app.services.passwords import Passwords, make_hasher
    from app.services.sessions import SessionPolicy, SessionService
    from app.services.support import SupportService
    from app.services.users import UserService

    clock = app.config.get("CLOCK") or SystemClock()
    passwords = Passwords(make_hasher(app.config["PASSWORD_HASH_PROFILE"]))
    # Password attempts, counted in RATELIMIT_STORAGE_URI's storage before each password is verified.
    attempt_limits = PasswordAttemptLimits.from_config(app.config, logger=app.logger)
    # One audit service shared by the others, so their events join their transaction.
    audit = AuditService(db.session, clock=clock)
    app.extensions["doorman.clock"] = clock
    app.extensions["doorman.audit"] = audit
    sessions = SessionService(db.session, clock=clock, policy=SessionPolicy.from_config(app.config), audit=audit)
    app.extensions["doorman.sessions"] = sessions
    app.extensions["doorman.passwords"] = passwords
    app.extensions["doorman.users"] = UserService(
        db.session, passwords=passwords, attempt_limits=attempt_limits, audit=audit, sessions=sessions
    )
    app.extensions["doorman.support"] = SupportService(db.session, sessions=sessions, audit=audit, clock=clock)
    # Opened once per process; a missing or corrupt file only logs a warning.
    app.extensions["doorman.geo"] = GeoLocator(app.config["GEOIP_DATABASE"], logger=app.logger)


def register_blueprints(app: Flask) -> None:
    from app.account import bp as account_bp
    from app.auth import bp as auth_bp
    from app.errors import bp as errors_bp
    from app.support import bp as support_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(support_bp)
    app.register_blueprint(errors_bp)


def register_request_hooks(app: Flask) -> None:
    from app.auth.current import init_current_session
    from app.headers import init_headers

    init_current_session(app)
    init_headers(app)


def register_cli(app: Flask) -> None:
    from app.cli import demo_cli, events_cli, sessions_cli, users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(sessions_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(demo_cli)
