"""Settings from the environment, and refusing to start insecurely."""

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
    config = load_config({"SECRET_KEY": "k" * 64}, "/srv/instance")
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


@pytest.mark.parametrize(("name", "value"), [("SESSION_IDLE_TIMEOUT", "soon"), ("COOKIE_SECURE", "maybe"), ("DOORMAN_ENV", "staging")])
def test_unusable_settings_say_which_one(name, value):
    with pytest.raises(ConfigurationError, match=name):
        load_config({"DOORMAN_ENV": "test", name: value}, "/tmp")


def test_trusted_proxy_addresses_default_to_this_host():
    config = load_config({"DOORMAN_ENV": "production", "SECRET_KEY": "k" * 64}, "/tmp")
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
