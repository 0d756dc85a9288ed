"""Idle and absolute timeouts, enforced by the server on every request.

ASVS 4.0.3 3.3.2 (level 2: 12 hours, or 30 minutes of inactivity) and 5.0
7.3.1 / 7.3.2. These tests run with exactly the level-2 values, set through
the two settings; the defaults are longer, see docs/security.md.
"""

from datetime import timedelta

import pytest

from app.config import load_config
from app.extensions import db
from app.models import UserSession

level_2 = pytest.mark.config(
    SESSION_IDLE_TIMEOUT=30 * 60, SESSION_ABSOLUTE_LIFETIME=12 * 60 * 60, SESSION_TOUCH_INTERVAL=60
)
EXPIRED = "Your session expired. Please sign in again."


def assert_signed_out_as_expired(app, client):
    response = client.get("/devices", follow_redirects=True)
    assert response.request.path == "/sign-in"
    assert EXPIRED in response.get_data(as_text=True)
    assert client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]) is None
    assert client.get("/devices").status_code == 302


@level_2
def test_v3_3_2_v7_3_1_a_request_after_the_idle_timeout_is_signed_out_as_expired(app, client, signed_in, clock):
    for _ in range(3):  # activity inside the timeout keeps the session going
        clock.advance(minutes=29)
        assert client.get("/devices").status_code == 200

    clock.advance(minutes=30)

    assert_signed_out_as_expired(app, client)


@level_2
def test_v3_3_2_v7_3_1_the_idle_timeout_counts_from_the_last_request_not_from_sign_in(app, client, signed_in, clock):
    clock.advance(minutes=20)
    client.get("/devices")
    clock.advance(minutes=29)  # 49 minutes after sign-in, 29 after the last request
    assert client.get("/devices").status_code == 200


@level_2
def test_v3_3_2_v7_3_2_constant_activity_does_not_pass_the_absolute_lifetime(app, client, signed_in, clock):
    for _ in range(12 * 4 - 1):  # a request every 15 minutes for 11 h 45 min
        clock.advance(minutes=15)
        assert client.get("/devices").status_code == 200

    clock.advance(minutes=15)  # 12 hours after sign-in

    assert_signed_out_as_expired(app, client)
    with app.app_context():
        [row] = db.session.scalars(db.select(UserSession)).all()
        assert row.expires_at == row.created_at + timedelta(hours=12)


def test_v7_1_1_defaults_are_settings_with_documented_values():
    config = load_config({"SECRET_KEY": "k" * 64, "PUBLIC_URL": "https://doorman.example"}, "/srv")
    assert config["SESSION_IDLE_TIMEOUT"] == 7 * 24 * 3600
    assert config["SESSION_ABSOLUTE_LIFETIME"] == 30 * 24 * 3600
    assert config["REAUTHENTICATION_WINDOW"] == 10 * 60
    tightened = load_config({"SECRET_KEY": "k" * 64, "PUBLIC_URL": "https://doorman.example",
                             "SESSION_IDLE_TIMEOUT": "1800",
                             "SESSION_ABSOLUTE_LIFETIME": "43200"}, "/srv")
    assert (tightened["SESSION_IDLE_TIMEOUT"], tightened["SESSION_ABSOLUTE_LIFETIME"]) == (1800, 43200)
