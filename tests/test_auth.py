"""Signing in and out through the pages, and what the cookie does afterwards."""

import pytest
from flask import Flask

from app.extensions import db
from app.models import UserSession
from tests.conftest import PASSWORD


def sessions_of(app: Flask, user_id: int) -> list[UserSession]:
    with app.app_context():
        return list(db.session.scalars(db.select(UserSession).where(UserSession.user_id == user_id)))


def test_sign_in_page_renders(client):
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert b"Sign in to Doorman" in response.data


def test_sign_in_starts_a_session_and_lands_on_devices(app, client, auth, make_user):
    user = make_user("Someone@Example.com")

    response = auth.sign_in(
        "someone@example.COM", headers={"User-Agent": "Browser/1.0"}, environ_base={"REMOTE_ADDR": "198.51.100.7"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/devices"
    [row] = sessions_of(app, user.id)
    assert (row.is_active, row.user_agent, row.ip_address) == (True, "Browser/1.0", "198.51.100.7")
    assert client.get("/devices").status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [("known@example.com", "wrong password"), ("nobody@example.com", PASSWORD), ("", ""), ("known@example.com", "")],
)
def test_wrong_credentials_get_one_generic_message(app, client, auth, make_user, email, password):
    make_user("known@example.com")

    response = auth.sign_in(email, password)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    if email and password:
        assert "The email or password is incorrect." in page
    assert auth.token is None
    with app.app_context():
        assert db.session.query(UserSession).count() == 0


def test_a_disabled_account_cannot_sign_in(app, auth, make_user):
    user = make_user()
    with app.app_context():
        db.session.merge(user).is_active = False
        db.session.commit()
    response = auth.sign_in(user.email)
    assert b"The email or password is incorrect." in response.data
    assert auth.token is None


def test_protected_pages_send_visitors_to_sign_in_with_next(client):
    response = client.get("/devices?tab=all")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/devices?tab%3Dall"


@pytest.mark.parametrize(
    ("next_value", "expected"),
    [
        ("/devices", "/devices"),
        ("/devices?x=1", "/devices?x=1"),
        ("https://evil.example/", "/devices"),
        ("//evil.example/", "/devices"),
        ("/\\evil.example/", "/devices"),
        ("javascript:alert(1)", "/devices"),
        ("devices", "/devices"),
        ("/devices\r\nSet-Cookie: x=1", "/devices"),
    ],
)
def test_next_only_points_inside_the_app(client, make_user, next_value, expected):
    user = make_user()
    response = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "next": next_value}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_signed_in_visitor_on_sign_in_page_is_sent_on(client, signed_in):
    response = client.get("/sign-in?next=/devices")
    assert (response.status_code, response.headers["Location"]) == (302, "/devices")


def test_every_sign_in_issues_a_fresh_token_and_ends_the_previous_one(app, client, auth, signed_in):
    first = auth.token

    auth.sign_in(signed_in.email)
    second = auth.token

    assert first and second and first != second
    rows = {r.session_token_hash: r for r in sessions_of(app, signed_in.id)}
    assert len(rows) == 2
    assert sorted((r.is_active, r.revoked_reason) for r in rows.values()) == [(False, "superseded"), (True, None)]
    other = app.test_client()
    other.set_cookie(app.config["SESSION_TOKEN_COOKIE"], first)
    assert other.get("/devices").status_code == 302


def test_a_planted_cookie_is_never_adopted(app, client, make_user):
    user = make_user()
    planted = "P" * 43
    client.set_cookie(app.config["SESSION_TOKEN_COOKIE"], planted)

    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})

    token = client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value
    assert token != planted
    from app.services.sessions import hash_token

    assert {r.session_token_hash for r in sessions_of(app, user.id)} == {hash_token(token)}


def test_sign_out_ends_the_row_and_the_old_cookie_stops_working(app, client, auth, signed_in):
    token = auth.token

    response = auth.sign_out()

    assert (response.status_code, response.headers["Location"]) == (302, "/sign-in")
    assert auth.token is None
    [row] = sessions_of(app, signed_in.id)
    assert (row.is_active, row.revoked_reason, row.revoked_by) == (False, "signed_out", signed_in.id)
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_TOKEN_COOKIE"], token)
    assert replay.get("/devices").status_code == 302


def test_sign_out_is_post_only(client, signed_in):
    assert client.get("/sign-out").status_code == 405
    assert client.get("/devices").status_code == 200


@pytest.mark.parametrize("token", ["forged", "F" * 43, "x" * 3000, "%00%0d%0a"])
def test_a_forged_cookie_means_signed_out_not_an_error(app, client, token):
    client.set_cookie(app.config["SESSION_TOKEN_COOKIE"], token)

    response = client.get("/devices", follow_redirects=True)

    assert response.status_code == 200
    assert response.request.path == "/sign-in"
    assert b"You are signed out. Please sign in again." in response.data
    assert client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]) is None


def test_an_expired_cookie_says_so(client, signed_in, clock):
    clock.advance(days=8)
    response = client.get("/devices", follow_redirects=True)
    assert response.request.path == "/sign-in"
    assert b"Your session expired. Please sign in again." in response.data


def test_ending_a_session_elsewhere_signs_that_browser_out(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    for browser in (laptop, phone):
        browser.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    laptop.post("/sign-out")

    assert laptop.get("/devices").status_code == 302
    assert phone.get("/devices").status_code == 200


def test_flask_session_cookie_never_carries_the_sign_in(app, client, signed_in):
    """Dropping Doorman's cookie signs the browser out, whatever Flask's cookie holds."""
    client.delete_cookie(app.config["SESSION_TOKEN_COOKIE"])
    assert client.get("/devices").status_code == 302


def test_flask_login_remember_cookie_is_ignored(app, client, signed_in):
    from flask_login.utils import encode_cookie

    with app.test_request_context():
        forged = encode_cookie(str(signed_in.id))
    fresh = app.test_client()
    fresh.set_cookie("remember_token", forged)
    fresh.set_cookie(app.config["REMEMBER_COOKIE_NAME"], forged)
    assert fresh.get("/devices").status_code == 302


def test_sign_in_clears_flask_session_data(app, client, make_user):
    user = make_user()
    with client.session_transaction() as flask_session:
        flask_session["csrf_token"] = "planted-secret"
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as flask_session:
        assert "csrf_token" not in flask_session
