"""Changing the password (/account/password): ASVS 4.0.3 3.3.3, 5.0 7.4.3, 7.2.4, 7.5.1, 6.2.x."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import User, UserSession
from app.services.errors import IncorrectPassword
from app.services.sessions import hash_token
from tests.conftest import PASSWORD

NEW_PASSWORD = "an entirely different passphrase"


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "confirm_new_password": confirm or new},
    )


def rows_of(app, user_id):
    with app.app_context():
        return {r.id: r for r in db.session.scalars(select(UserSession).where(UserSession.user_id == user_id))}


def password_hash(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).password_hash


def test_v6_2_2_the_page_is_there_for_a_signed_in_user(client, signed_in):
    page = client.get("/account/password").get_data(as_text=True)
    assert "Change your password" in page
    assert page.count('type="password"') == 3  # 5.0 6.2.6: masked entry
    assert 'autocomplete="current-password"' in page and 'autocomplete="new-password"' in page  # 6.2.7


def test_the_page_needs_a_session(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_v7_4_3_v3_3_3_change_ends_every_other_session_and_keeps_this_one(app, client, signed_in, make_session):
    others = [make_session(signed_in) for _ in range(2)]

    response = change(client)

    assert (response.status_code, response.headers["Location"]) == (302, "/devices")
    page = client.get("/devices").get_data(as_text=True)
    assert "Your password was changed, and 2 other sessions were signed out." in page
    rows = rows_of(app, signed_in.id)
    for row, _ in others:
        assert (rows[row.id].is_active, rows[row.id].revoked_reason) == (False, "password_changed")
        assert rows[row.id].revoked_by == signed_in.id
    for _, token in others:  # the other devices are signed out on their next request, and told why
        device = app.test_client()
        device.set_cookie(app.config["SESSION_TOKEN_COOKIE"], token)
        told = device.get("/devices", follow_redirects=True)
        assert told.request.path == "/sign-in"
        assert "signed out because the password was changed" in told.get_data(as_text=True)
    assert [r.is_active for r in rows.values()].count(True) == 1


def test_other_users_sessions_are_untouched(app, client, signed_in, make_user, make_session, services):
    other_row, other_token = make_session(make_user())
    change(client)
    with app.app_context():
        assert services.sessions.resolve(other_token) is not None


def test_v6_2_3_the_new_password_replaces_the_old_one(app, client, auth, signed_in):
    before = password_hash(app, signed_in.id)
    change(client)
    assert password_hash(app, signed_in.id) != before
    assert auth.sign_in(signed_in.email, PASSWORD).status_code == 200  # the old password is refused
    assert auth.sign_in(signed_in.email, NEW_PASSWORD).status_code == 302


def test_v7_2_4_the_current_session_gets_a_new_token_and_the_old_one_stops_working(app, client, auth, signed_in):
    old_token = auth.token
    [row_before] = rows_of(app, signed_in.id).values()

    response = change(client)

    new_token = auth.token
    assert new_token and new_token != old_token
    set_cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-doorman=")]
    assert set_cookie and all(a in set_cookie[0] for a in ("Secure", "HttpOnly", "Path=/", "SameSite=Lax"))
    [row_after] = rows_of(app, signed_in.id).values()
    assert row_after.id == row_before.id and row_after.is_active
    assert row_after.session_token_hash == hash_token(new_token)
    assert client.get("/devices").status_code == 200
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_TOKEN_COOKIE"], old_token)
    assert replay.get("/devices").status_code == 302


def test_with_no_other_session_the_message_says_so(client, signed_in):
    change(client)
    assert "No other device was signed in." in client.get("/devices").get_data(as_text=True)


def test_one_other_session_is_singular(client, signed_in, make_session):
    make_session(signed_in)
    change(client)
    assert "and 1 other session was signed out." in client.get("/devices").get_data(as_text=True)


def test_v7_5_1_a_wrong_current_password_changes_nothing(app, client, auth, signed_in, make_session, services):
    _, other_token = make_session(signed_in)
    before, token = password_hash(app, signed_in.id), auth.token

    response = change(client, current="not my password")

    assert response.status_code == 200
    assert "That is not your current password." in response.get_data(as_text=True)
    assert password_hash(app, signed_in.id) == before and auth.token == token
    with app.app_context():
        assert services.sessions.resolve(other_token) is not None


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("short pass", "short pass", "Use between 12 and 1024 characters."),
        ("x" * 1025, "x" * 1025, "Use between 12 and 1024 characters."),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "The two new passwords are not the same."),
        (PASSWORD, PASSWORD, "The new password must be different from the current one."),
    ],
)
def test_the_new_password_must_be_usable(app, client, signed_in, new, confirm, message):
    before = password_hash(app, signed_in.id)
    response = change(client, new=new, confirm=confirm)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert password_hash(app, signed_in.id) == before


@pytest.mark.parametrize("new", ["a" * 12, "ünïcödé pässwörd ✓", "  spaces kept  ", "x" * 1024])
def test_v6_2_5_v6_2_8_v6_2_9_any_characters_and_up_to_1024_kept_exactly(app, client, auth, signed_in, new):
    assert change(client, new=new).status_code == 302
    assert auth.sign_in(signed_in.email, new).status_code == 302
    assert auth.sign_in(signed_in.email, new.strip() + "?").status_code == 200


def test_change_password_service_refuses_a_wrong_current_password(app, make_user, services):
    user = make_user()
    with app.app_context():
        users = services.users
        with pytest.raises(IncorrectPassword):
            users.change_password(user.id, "wrong", NEW_PASSWORD)
        with pytest.raises(IncorrectPassword):
            users.change_password(user.id + 999, PASSWORD, NEW_PASSWORD)
        users.change_password(user.id, PASSWORD, NEW_PASSWORD)
        db.session.commit()
        assert users.check_password(user.id, NEW_PASSWORD)


def test_the_change_is_recorded_on_the_accounts_activity(app, client, signed_in, make_session):
    from tests.helpers import event_types

    make_session(signed_in)
    change(client)

    types = event_types(app, signed_in.id)
    assert types[-2:] == ["password_changed", "other_sessions_revoked"]
    page = client.get("/activity").get_data(as_text=True)
    assert "You changed the password" in page


def test_a_change_asked_by_a_session_ended_meanwhile_changes_nothing(
    app, client, signed_in, make_session, services, monkeypatch
):
    """The phone ends this laptop's session while the laptop's password change is on its way.

    The ending committed first, so it wins: the password stays, the other
    sessions stay, no "password changed" mail is queued, and the laptop is
    sent to sign in with the reason.
    """
    import threading

    from app.models import EndReason, MailKind, OutboxMail
    from app.services.sessions import Ending

    (this_session,) = rows_of(app, signed_in.id)
    phone, phone_token = make_session(signed_in)
    before = password_hash(app, signed_in.id)
    change_password = services.users.change_password

    def ended_by_the_phone_first(*args, **kwargs):
        def phone_ends_the_laptop() -> None:  # its own connection and transaction, committed
            with app.app_context():
                services.sessions.end(this_session, owner_id=signed_in.id,
                                      ending=Ending.by_user(signed_in.id, EndReason.REVOKED_BY_USER))
                db.session.commit()
        thread = threading.Thread(target=phone_ends_the_laptop)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive()
        return change_password(*args, **kwargs)

    monkeypatch.setattr(services.users, "change_password", ended_by_the_phone_first)

    response = change(client, new=NEW_PASSWORD)

    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert "This session was signed out from another device." in client.get("/sign-in").get_data(as_text=True)
    assert password_hash(app, signed_in.id) == before
    rows = rows_of(app, signed_in.id)
    assert (rows[this_session].is_active, rows[this_session].revoked_reason) == (False, "revoked_by_user")
    assert rows[phone.id].is_active
    with app.app_context():
        assert services.sessions.resolve(phone_token) is not None
        assert MailKind.PASSWORD_CHANGED not in db.session.scalars(
            select(OutboxMail.kind).where(OutboxMail.user_id == signed_in.id)).all()
