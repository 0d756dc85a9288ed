"""A new token at re-authentication (ASVS 5.0 7.2.4; 4.0.3 3.2.1) through SessionService.rotate_token."""

import uuid

import pytest

from app.extensions import db
from app.models import EndReason, UserSession
from app.services.errors import SessionNotFound
from app.services.sessions import Ending, hash_token, is_well_formed_token
from tests.conftest import PASSWORD


def test_v7_2_4_rotate_token_replaces_the_hash_and_the_old_token_stops_working(app, make_user, make_session, services):
    user = make_user()
    row, old_token = make_session(user)
    with app.app_context():
        sessions = services.sessions
        new_token = sessions.rotate_token(row.id)
        db.session.commit()

        assert is_well_formed_token(new_token) and new_token != old_token
        assert db.session.get(UserSession, row.id).session_token_hash == hash_token(new_token)
        assert sessions.resolve(old_token) is None
        assert sessions.resolve(new_token).session_id == row.id


def test_rotate_token_refuses_an_ended_or_unknown_session(app, make_user, make_session, services):
    user = make_user()
    row, token = make_session(user)
    with app.app_context():
        sessions = services.sessions
        sessions.end(row.id, owner_id=user.id, ending=Ending.by_system(EndReason.SIGNED_OUT))
        for session_id in (row.id, uuid.uuid4()):
            with pytest.raises(SessionNotFound):
                sessions.rotate_token(session_id)
        db.session.commit()
        assert db.session.get(UserSession, row.id).session_token_hash == hash_token(token)


def test_v7_2_4_confirming_the_password_rotates_the_token(app, client, auth, signed_in, clock):
    old_token = auth.token
    clock.advance(minutes=30)

    response = client.post("/confirm-password", data={"password": PASSWORD, "next": "/devices"})

    assert response.headers["Location"] == "/devices"
    assert auth.token and auth.token != old_token
    assert client.get("/devices").status_code == 200
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_TOKEN_COOKIE"], old_token)
    assert replay.get("/devices").status_code == 302


def test_a_wrong_confirmation_keeps_the_token(client, auth, signed_in):
    token = auth.token
    client.post("/confirm-password", data={"password": "wrong", "next": "/devices"})
    assert auth.token == token
