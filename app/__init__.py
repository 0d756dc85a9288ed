"""Doorman: see where your account is signed in, and sign out any of it."""

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask

from app.clock import Clock, SystemClock
from app.config import ConfigurationError, cookie_settings, insecure_cookies_warning, load_config
from app.proxies import TrustedProxyFix

if TYPE_CHECKING:
    from app.database import ReplicaOrPrimary


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> Flask:
    """Build the application.

    Settings are read from ``environ`` (the process environment unless
    given), as load_config reads them; then every key of ``config`` is set
    exactly as given. Services read the time from ``clock`` (wall-clock UTC
    unless given).
    """
    overrides = dict(config or {})
    _refuse_keys_that_are_not_settings(overrides)
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_mapping(load_config(os.environ if environ is None else environ, app.instance_path))
    app.config.from_mapping(cookie_settings(overrides.get("COOKIE_SECURE", app.config["COOKIE_SECURE"])))
    app.config.from_mapping(overrides)
    # Checked again on the merged settings, so an override in code cannot skip it.
    insecure_cookies = insecure_cookies_warning(app.config)
    if insecure_cookies:
        app.logger.warning(insecure_cookies)
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        # Only addresses added by our own proxies are believed, and only when
        # one of them is the peer that sent the request.
        app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, hops=app.config["TRUSTED_PROXIES"], trusted=app.config["TRUSTED_PROXY_ADDRESSES"]
        )

    register_extensions(app)
    replica = register_services(app, clock or SystemClock())
    register_blueprints(app, replica)
    register_presenters(app)
    register_request_hooks(app)
    register_cli(app)
    return app


# Keys that would do nothing in app.config, so config refuses them rather than ignore them:
# environment variables that only choose other settings, and the clock, which is an argument.
NOT_SETTINGS = {
    "DATABASE_URL": "it is read from the environment: give it in environ, or set SQLALCHEMY_DATABASE_URI",
    "DOORMAN_ENV": "it is read from the environment to choose the defaults: give it in environ",
    "CLOCK": "pass the clock as create_app(clock=...)",
}


def _refuse_keys_that_are_not_settings(config: Mapping[str, Any]) -> None:
    for name, instead in NOT_SETTINGS.items():
        if name in config:
            raise ConfigurationError(f"{name} is not a setting: {instead}")


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (registers the tables for migrations)
    from app.database import REPLICA_BIND, configure_engines
    from app.database_logging import describe_database_errors_in, keep_result_rows_out_of_the_log
    from app.extensions import csrf, db, login_manager, migrate
    from app.i18n import init_i18n

    threshold = app.config.get("DATABASE_PREPARE_THRESHOLD", "default")
    if threshold != "default" and app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": threshold}
    replica = app.config.get("DATABASE_REPLICA_URL")
    if replica:
        # Flask-SQLAlchemy builds and disposes of its engine, with the same engine options.
        # Its options are the primary's (Flask-SQLAlchemy gives a bind none of them), and a pooled
        # connection is pinged as it is handed out: a replica that went away is read around (ReplicaOrPrimary).
        app.config["SQLALCHEMY_BINDS"] = {
            **app.config.get("SQLALCHEMY_BINDS", {}),
            REPLICA_BIND: {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "url": replica, "pool_pre_ping": True},
        }
    db.init_app(app)
    configure_engines(app)
    # Values sent to and read from the database are token and password hashes: never logged.
    keep_result_rows_out_of_the_log()
    describe_database_errors_in(app.logger)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "..", "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    init_i18n(app)


def register_services(app: Flask, clock: Clock) -> "ReplicaOrPrimary | None":
    """The services, on ``clock``; returns the replica router their history reads go through, if any."""
    from app.database import history_session, replica_router
    from app.extensions import db, init_services
    from app.services.container import build_services

    router = replica_router(app)
    init_services(app, build_services(
        db.session, app.config, clock=clock, logger=app.logger, history_session=history_session(app, router),
    ))
    return router


def register_blueprints(app: Flask, replica: "ReplicaOrPrimary | None" = None) -> None:
    from app.account import bp as account_bp
    from app.alerts import bp as alerts_bp
    from app.alerts.redaction import keep_link_tokens_out_of_the_log
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.errors import bp as errors_bp
    from app.health import init_health
    from app.support import bp as support_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(alerts_bp)
    keep_link_tokens_out_of_the_log(app)
    app.register_blueprint(support_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(errors_bp)
    init_health(app, replica)
    if app.config["DOORMAN_ENV"] == "development":
        # The mails `make run` received, to read and follow: never in production or in tests' default config.
        from app.dev import bp as dev_bp

        app.register_blueprint(dev_bp)


def register_presenters(app: Flask) -> None:
    """The presenters templates call as filters: words and times from data."""
    from app.presenters.mail import mail_kind_name
    from app.presenters.plurals import plural
    from app.presenters.sessions import (
        APP_MARK,
        APP_MARK_DESCRIPTION,
        device_group_label,
        device_group_title,
        is_app_session,
        moved_to,
        session_label,
        session_place,
        session_title,
    )
    from app.presenters.times import moment, short_date

    presenters: dict[str, Callable[..., Any]] = {
        "moment": moment, "short_date": short_date, "plural": plural, "is_app_session": is_app_session,
        "session_title": session_title, "session_place": session_place, "session_label": session_label,
        "moved_to": moved_to, "device_group_label": device_group_label,
        "mail_kind": mail_kind_name,
        "device_group_title": device_group_title,
    }
    for name, presenter in presenters.items():
        app.add_template_filter(presenter, name)
    app.jinja_env.globals.update(app_mark=APP_MARK, app_mark_description=APP_MARK_DESCRIPTION)


def register_request_hooks(app: Flask) -> None:
    from app.auth.current import init_current_session
    from app.headers import init_headers
    from app.request_log import init_request_log

    init_request_log(app)
    init_current_session(app)
    init_headers(app)


def register_cli(app: Flask) -> None:
    from app.cli import demo_cli, events_cli, mail_cli, organisations_cli, sessions_cli, users_cli
    from app.click_words import speak_the_operators_language

    speak_the_operators_language()

    app.cli.add_command(users_cli)
    app.cli.add_command(organisations_cli)
    app.cli.add_command(sessions_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(mail_cli)
