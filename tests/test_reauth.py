"""Re-authentication: a password entered within the window allows sensitive actions."""

import pytest

from app.extensions import db
from app.models import UserSession
from tests.conftest import PASSWORD


def authenticated_at(app, user_id):
    with app.app_context():
        return db.session.scalar(db.select(UserSession.authenticated_at).where(UserSession.user_id == user_id))


@pytest.mark.config(REAUTHENTICATION_WINDOW=600)
def test_sign_in_counts_as_recent_authentication_for_the_window(app, client, signed_in, clock, services):
    sessions = services.sessions
    token = client.get_cookie("__Host-doorman").value
    with app.app_context():
        assert sessions.recently_authenticated(sessions.resolve(token))
        clock.advance(seconds=599)
        assert sessions.recently_authenticated(sessions.resolve(token))
        clock.advance(seconds=1)
        assert not sessions.recently_authenticated(sessions.resolve(token))


def test_confirm_password_with_the_right_password_renews_the_window(app, client, signed_in, clock):
    clock.advance(minutes=30)
    response = client.post("/confirm-password", data={"password": PASSWORD, "next": "/devices"})
    assert (response.status_code, response.headers["Location"]) == (302, "/devices")
    assert authenticated_at(app, signed_in.id) == clock.now()


def test_confirm_password_with_a_wrong_password_changes_nothing(app, client, signed_in, clock):
    before = authenticated_at(app, signed_in.id)
    clock.advance(minutes=30)
    response = client.post("/confirm-password", data={"password": "not it", "next": "/devices"})
    assert response.status_code == 200
    assert "That password is not correct." in response.get_data(as_text=True)
    assert authenticated_at(app, signed_in.id) == before


def test_confirm_password_never_redirects_off_site(client, signed_in):
    response = client.post("/confirm-password", data={"password": PASSWORD, "next": "//evil.example/"})
    assert response.headers["Location"] == "/devices"


def test_confirm_password_needs_a_session(client):
    response = client.get("/confirm-password")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
