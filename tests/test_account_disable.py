"""Disabling an account ends every session it has (ASVS 5.0 7.4.2)."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import User, UserSession
from app.services.errors import UserNotFound
from tests.conftest import PASSWORD


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def state(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all()
        return user.is_active, sorted((r.is_active, r.revoked_reason) for r in rows)


def test_v7_4_2_disable_ends_all_sessions_in_the_same_transaction(app, make_user, make_session, services):
    user, bystander = make_user(), make_user()
    for _ in range(3):
        make_session(user)
    _, bystander_token = make_session(bystander)
    with app.app_context():
        users = services.users

        assert users.disable(user.id) == 3
        db.session.rollback()  # nothing is half done: the flag and the sessions go together
        assert state(app, user.id) == (True, [(True, None)] * 3)

        assert users.disable(user.id) == 3
        db.session.commit()
    assert state(app, user.id) == (False, [(False, "account_disabled")] * 3)
    with app.app_context():
        assert services.sessions.resolve(bystander_token) is not None


def test_disable_an_unknown_account(app, services):
    with app.app_context(), pytest.raises(UserNotFound):
        services.users.disable(12345)


def test_v7_4_2_every_device_of_a_disabled_account_is_signed_out_on_its_next_request(app, runner, make_user):
    user = make_user("leaver@example.com")
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        device.post("/sign-in", data={"email": user.email, "password": PASSWORD})
        assert device.get("/devices").status_code == 200

    result = runner.invoke(args=["users", "disable", "Leaver@Example.com"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Disabled leaver@example.com and ended 2 sessions."
    for device in (laptop, phone):
        response = device.get("/devices", follow_redirects=True)
        assert response.request.path == "/sign-in"
        assert "This account has been disabled." in response.get_data(as_text=True)
        assert device.get_cookie(app.config["SESSION_TOKEN_COOKIE"]) is None
    assert laptop.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 200


def test_users_disable_refuses_an_unknown_email(runner):
    result = runner.invoke(args=["users", "disable", "ghost@example.com"])
    assert result.exit_code == 1 and "no account has the email ghost@example.com" in result.output
