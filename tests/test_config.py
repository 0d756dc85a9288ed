"""Settings from the environment, and refusing to start insecurely."""

import logging

import pytest

from app import create_app
from app.config import ConfigurationError, database_uri, load_config


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DOORMAN_ENV", "production")
    with pytest.raises(ConfigurationError, match="(?s)SECRET_KEY is not set.*secrets.token_hex"):
        create_app()


def test_production_refuses_a_short_secret_key():
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        load_config({"DOORMAN_ENV": "production", "SECRET_KEY": "short"}, "/tmp")


def test_production_defaults_are_strict():
    config = load_config({"SECRET_KEY": "k" * 64, "PUBLIC_URL": "https://doorman.example"}, "/srv/instance")
    assert config["DOORMAN_ENV"] == "production"
    assert config["COOKIE_SECURE"] is True
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/instance/doorman.sqlite3"
    assert (config["SESSION_TOUCH_INTERVAL"], config["MAX_SESSIONS_PER_USER"]) == (60, 5)


def test_development_runs_without_configuration():
    config = load_config({"DOORMAN_ENV": "development"}, "/tmp")
    assert config["SECRET_KEY"] and config["COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_goes_through_psycopg_3(given, expected):
    assert database_uri(given) == expected


@pytest.mark.parametrize(("name", "value"), [("SESSION_IDLE_TIMEOUT", "soon"), ("COOKIE_SECURE", "maybe"),
                                             ("DOORMAN_ENV", "staging"),
                                             ("ALLOW_INSECURE_COOKIES_IN_PRODUCTION", "yes-i-understand")])
def test_unusable_settings_say_which_one(name, value):
    with pytest.raises(ConfigurationError, match=name):
        load_config({"DOORMAN_ENV": "test", name: value}, "/tmp")


def test_trusted_proxy_addresses_default_to_this_host():
    config = load_config({"DOORMAN_ENV": "production", "SECRET_KEY": "k" * 64,
                          "PUBLIC_URL": "https://doorman.example"}, "/tmp")
    assert config["TRUSTED_PROXIES"] == 0
    assert [str(network) for network in config["TRUSTED_PROXY_ADDRESSES"]] == ["127.0.0.0/8", "::1/128"]


def test_trusted_proxy_addresses_take_addresses_and_networks():
    config = load_config({"DOORMAN_ENV": "test", "TRUSTED_PROXY_ADDRESSES": " 10.0.0.7 ,10.1.0.0/16,fd00::/8"}, "/tmp")
    assert [str(network) for network in config["TRUSTED_PROXY_ADDRESSES"]] == ["10.0.0.7/32", "10.1.0.0/16", "fd00::/8"]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("proxy.internal", "'proxy.internal'"),
        ("10.0.0.1/8", "host bits set"),  # 10.0.0.0/8 or 10.0.0.1? Doorman will not guess
        ("10.0.0.0/33", "'10.0.0.0/33'"),
        ("127.0.0.1,,::1", "got ''"),
        ("127.0.0.1;::1", "'127.0.0.1;::1'"),
    ],
)
def test_unusable_trusted_proxy_addresses_are_refused_at_startup(value, says):
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXY_ADDRESSES must be comma-separated") as refused:
        load_config({"DOORMAN_ENV": "test", "TRUSTED_PROXY_ADDRESSES": value}, "/tmp")
    assert says in str(refused.value)


def test_a_negative_number_of_proxies_is_refused():
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES must be 0"):
        load_config({"DOORMAN_ENV": "test", "TRUSTED_PROXIES": "-1"}, "/tmp")


PRODUCTION = {"DOORMAN_ENV": "production", "SECRET_KEY": "k" * 64, "PUBLIC_URL": "https://doorman.example"}


def test_production_refuses_insecure_cookies_and_says_what_is_lost_and_how_to_override():
    with pytest.raises(ConfigurationError) as refused:
        load_config({**PRODUCTION, "COOKIE_SECURE": "false"}, "/tmp")
    message = str(refused.value)
    assert "COOKIE_SECURE is false in production" in message
    assert "Secure flag" in message and "__Host- prefix" in message and "HSTS" in message
    assert "ALLOW_INSECURE_COOKIES_IN_PRODUCTION=true" in message


def test_production_refuses_to_start_with_insecure_cookies_from_the_environment(monkeypatch, tmp_path):
    for name, value in {**PRODUCTION, "COOKIE_SECURE": "0", "DATABASE_URL": f"sqlite:///{tmp_path}/d.sqlite3"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ALLOW_INSECURE_COOKIES_IN_PRODUCTION", raising=False)
    with pytest.raises(ConfigurationError, match="COOKIE_SECURE is false in production"):
        create_app()


def test_an_insecure_cookie_override_in_code_is_refused_in_production_too(tmp_path):
    with pytest.raises(ConfigurationError, match="ALLOW_INSECURE_COOKIES_IN_PRODUCTION=true"):
        create_app({"COOKIE_SECURE": False}, environ={**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/d.sqlite3"})


def test_with_the_override_production_starts_without_secure_cookies_and_warns_once(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        app = create_app(environ={**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/d.sqlite3",
                                  "COOKIE_SECURE": "false", "ALLOW_INSECURE_COOKIES_IN_PRODUCTION": "true"})
    assert app.config["SESSION_TOKEN_COOKIE"] == "doorman" and app.config["SESSION_COOKIE_SECURE"] is False
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "COOKIE_SECURE is false in production" in warnings[0]
    assert "Secure flag" in warnings[0] and "__Host- prefix" in warnings[0] and "HSTS" in warnings[0]


@pytest.mark.parametrize(
    "env",
    [
        {**PRODUCTION},
        {**PRODUCTION, "ALLOW_INSECURE_COOKIES_IN_PRODUCTION": "true"},  # allowed, but not used: nothing to say
        {"DOORMAN_ENV": "development", "COOKIE_SECURE": "false"},
        {"DOORMAN_ENV": "test", "COOKIE_SECURE": "false"},
    ],
)
def test_secure_cookies_or_a_laptop_start_without_a_warning(env, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        app = create_app(environ={**env, "DATABASE_URL": f"sqlite:///{tmp_path}/d.sqlite3"})
    assert app.config["SESSION_COOKIE_SECURE"] is (env["DOORMAN_ENV"] == "production")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_production_refuses_to_start_without_public_url():
    with pytest.raises(ConfigurationError, match="PUBLIC_URL is not set"):
        load_config({"DOORMAN_ENV": "production", "SECRET_KEY": "k" * 64}, "/tmp")


def test_public_url_must_be_a_web_address():
    with pytest.raises(ConfigurationError, match="PUBLIC_URL must start with https://"):
        load_config({"DOORMAN_ENV": "test", "PUBLIC_URL": "doorman.example"}, "/tmp")
