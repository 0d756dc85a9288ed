"""The flask commands: accounts, cleanup and demo data."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import RotatedRefreshToken, SessionKind, User, UserSession


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_users_create_with_a_role(app, runner):
    result = runner.invoke(
        args=["users", "create", "Staff@Example.com", "--role", "support", "--password", "long enough pw"]
    )
    assert result.exit_code == 0, result.output
    assert "Created staff@example.com (support)." in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "staff@example.com"))
        assert user.role == "support"
        assert user.password_hash.startswith("$argon2id$")


def test_users_create_prompts_for_a_hidden_password(app, runner, services):
    result = runner.invoke(args=["users", "create", "p@example.com"], input="long enough pw\nlong enough pw\n")
    assert result.exit_code == 0, result.output
    assert "long enough pw" not in result.output
    with app.app_context():
        assert services.users.authenticate("p@example.com", "long enough pw")


def test_users_create_refuses_a_duplicate_email_whatever_its_case(runner, make_user):
    make_user("taken@example.com")
    result = runner.invoke(args=["users", "create", "TAKEN@example.com", "--password", "long enough pw"])
    assert result.exit_code == 1
    assert "already exists" in result.output


@pytest.mark.parametrize("password", ["short", "eleven char", "x" * 1025])
def test_users_create_refuses_a_password_of_the_wrong_length(app, runner, services, password):
    """The same limits as the password form: 12 to 1024 characters."""
    result = runner.invoke(args=["users", "create", "s@example.com", "--password", password])
    assert result.exit_code == 2
    assert "use between 12 and 1024 characters" in result.output
    with app.app_context():
        assert services.users.find_by_email("s@example.com") is None


def test_users_create_takes_a_password_of_exactly_twelve_characters(app, runner, services):
    result = runner.invoke(args=["users", "create", "s@example.com", "--password", "twelve chars"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert services.users.authenticate("s@example.com", "twelve chars")


def test_users_set_role(app, runner, make_user):
    user = make_user()
    result = runner.invoke(args=["users", "set-role", user.email.upper(), "admin"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(User, user.id).role == "admin"
    unknown = runner.invoke(args=["users", "set-role", "ghost@example.com", "admin"])
    assert unknown.exit_code == 1 and "no account" in unknown.output
    bad_role = runner.invoke(args=["users", "set-role", user.email, "root"])
    assert bad_role.exit_code == 2


def test_sessions_cleanup_reports_how_many(app, runner, make_user, make_session, clock):
    user = make_user()
    for _ in range(3):
        make_session(user)
    clock.advance(days=8)
    make_session(make_user())

    result = runner.invoke(args=["sessions", "cleanup"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Cleaned up 3 sessions."
    with app.app_context():
        assert db.session.query(UserSession).count() == 1


def test_demo_load_counts_each_accounts_sessions_in_words(app, runner):
    lines = runner.invoke(args=["demo", "load"]).output.splitlines()
    assert [line.rsplit("(", 1)[1] for line in lines] == ["3 sessions)", "1 session)", "2 sessions)"]


def test_demo_load_is_repeatable(app, runner):
    first = runner.invoke(args=["demo", "load"])
    second = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    with app.app_context():
        roles = dict(db.session.execute(select(User.email, User.role)).all())
        assert roles["demo@example.com"] == "user"
        assert roles["support@example.com"] == "support"
        demo = db.session.scalar(select(User).where(User.email == "demo@example.com"))
        assert db.session.query(UserSession).filter_by(user_id=demo.id, is_active=True).count() >= 3


def test_demo_user_has_an_iphone_app_session_and_room_for_two_browsers(app, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        demo = db.session.scalar(select(User).where(User.email == "demo@example.com"))
        active = db.session.scalars(select(UserSession).where(UserSession.user_id == demo.id,
                                                              UserSession.is_active.is_(True))).all()
        [phone_app] = [s for s in active if s.kind == SessionKind.APP]
        assert (phone_app.client_name, phone_app.device, phone_app.device_type, phone_app.os) == (
            "Doorman for iOS", "iPhone", "mobile", "iOS 17.1")
        # Opened through the token endpoint's service: hashes of both tokens, one refresh already rotated.
        assert phone_app.access_token_hash and phone_app.refresh_token_hash
        assert db.session.query(RotatedRefreshToken).filter_by(session_id=phone_app.id).count() == 1
        assert phone_app.last_activity_at > phone_app.created_at
        limit = app.config["MAX_SESSIONS_PER_USER"]
        assert len(active) + 2 <= limit  # two browsers can sign in without ending a demo session

    browsers = [app.test_client(), app.test_client()]
    for browser in browsers:
        signed_in = browser.post("/sign-in", data={"email": "demo@example.com", "password": DEMO_PASSWORD})
        assert signed_in.status_code == 302
    page = browsers[-1].get("/devices").get_data(as_text=True)
    assert "Doorman for iOS · iOS 17.1" in page and "badge--app" in page
    assert all(str(s.id) in page for s in active)  # the limit ended none of the demo's sessions


def test_demo_sessions_were_last_active_when_the_demo_says(app, runner, clock):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        demo = db.session.scalar(select(User).where(User.email == "demo@example.com"))
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == demo.id,
                                                            UserSession.is_active.is_(True))).all()
        idle = sorted(clock.now() - row.last_activity_at for row in rows)
    assert idle == [timedelta(minutes=7), timedelta(hours=2), timedelta(days=1, hours=4)]
