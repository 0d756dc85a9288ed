"""create_app keeps what it is given: settings as given, environment variables as read, the clock as passed."""

from datetime import timedelta

import pytest

from app import create_app
from app.clock import FrozenClock, SystemClock
from app.config import ConfigurationError
from app.extensions import db
from app.extensions import services as services_of
from app.models import UserSession
from tests.conftest import START, environ_for


@pytest.fixture
def environ(tmp_path):
    """A test environment whose every value differs from the settings the tests below give."""
    return environ_for(
        f"sqlite:///{tmp_path / 'from-the-environment.sqlite3'}",
        SECRET_KEY="a secret key from the environment",
        SESSION_IDLE_TIMEOUT="60",
        PASSWORD_ATTEMPTS_PER_IP="100 per minute",
    )


def test_every_setting_given_ends_up_in_the_config_exactly_as_given(tmp_path, environ):
    given = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'given.sqlite3'}",
        "SECRET_KEY": "a secret key given as a setting",
        "PASSWORD_ATTEMPTS_PER_IP": "5 per minute",
        "SESSION_IDLE_TIMEOUT": 1800,
        "SESSION_COOKIE_SAMESITE": "Strict",
    }

    app = create_app(given, environ=environ)

    assert {key: app.config[key] for key in given} == given
    with app.app_context():
        assert db.engine.url.database == str(tmp_path / "given.sqlite3")
        db.engine.dispose()
    # The services are built from the settings as given, not as the environment said.
    assert services_of(app).sessions.policy.idle_timeout == timedelta(seconds=1800)


def test_environment_variables_are_read_and_checked_as_load_config_reads_them(environ, monkeypatch):
    monkeypatch.setenv("SESSION_TOUCH_INTERVAL", "5")  # the process environment is not read when environ is given

    app = create_app(environ={**environ, "DATABASE_URL": "postgres://doorman@db.internal/doorman"})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://doorman@db.internal/doorman"
    assert (app.config["SESSION_IDLE_TIMEOUT"], app.config["SESSION_TOUCH_INTERVAL"]) == (60, 60)
    assert app.config["SECRET_KEY"] == "a secret key from the environment"
    with pytest.raises(ConfigurationError, match="SESSION_IDLE_TIMEOUT"):
        create_app(environ={**environ, "SESSION_IDLE_TIMEOUT": "soon"})


def test_cookie_settings_follow_a_cookie_secure_given_as_a_setting(environ):
    app = create_app({"COOKIE_SECURE": False}, environ=environ)

    assert (app.config["SESSION_TOKEN_COOKIE"], app.config["SESSION_COOKIE_SECURE"]) == ("doorman", False)


@pytest.mark.parametrize("name", ["DATABASE_URL", "DOORMAN_ENV", "CLOCK"])
def test_a_key_that_would_do_nothing_as_a_setting_is_refused_not_ignored(environ, name):
    with pytest.raises(ConfigurationError, match=f"{name} is not a setting"):
        create_app({name: "anything"}, environ=environ)


def test_services_read_the_clock_given_to_create_app(environ, tmp_path):
    clock = FrozenClock(START)

    app = create_app(environ=environ, clock=clock)

    assert services_of(app).clock is clock
    assert "CLOCK" not in app.config
    assert isinstance(services_of(create_app(environ=environ)).clock, SystemClock)


def test_a_session_started_by_the_app_is_stamped_by_its_clock(app, clock, make_user, make_session):
    user = make_user()
    clock.advance(hours=3)

    row, _ = make_session(user)

    with app.app_context():
        assert db.session.get(UserSession, row.id).created_at == START + timedelta(hours=3)
