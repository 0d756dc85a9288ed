"""A session is bound to the credentials it was opened with (ASVS 5.0 7.4.3).

Once a password change has committed, no session opened with the old
password opens anything, however close to the change it was created. The
races run with real threads and the production argon2 profile, so the time a
sign-in spends checking the password is the real one (about a quarter of a
second here), and a password change can commit inside it.
"""

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text, update

from app.extensions import db, services
from app.models import SecurityEvent, User, UserSession
from app.services.errors import CredentialsChanged
from app.services.passwords import make_hasher
from bench.statements import recorded_statements
from tests.conftest import PASSWORD
from tests.test_concurrency import run_together

NEW_PASSWORD = "an entirely different passphrase"
PRODUCTION_HASHING = pytest.mark.config(PASSWORD_HASH_PROFILE="RFC_9106_LOW_MEMORY")
RACE_ROUNDS = 4
# Enough to outlast any password change; the loop stops at its first refusal anyway.
MAX_INTRUDER_SIGN_INS = 12


def change_password(client, current=PASSWORD, new=NEW_PASSWORD):
    return client.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "confirm_new_password": new},
    )


def sign_in(app, email, password=PASSWORD):
    """A fresh browser's sign-in: (status, the session token it was given or None)."""
    browser = app.test_client()
    response = browser.post("/sign-in", data={"email": email, "password": password})
    cookie = browser.get_cookie(app.config["SESSION_TOKEN_COOKIE"])
    return response.status_code, cookie.value if cookie and response.status_code == 302 else None


def browser_with(app, token):
    browser = app.test_client()
    browser.set_cookie(app.config["SESSION_TOKEN_COOKIE"], token)
    return browser


def is_refused(app, token) -> bool:
    response = browser_with(app, token).get("/devices")
    return response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def account_state(app, user_id):
    """(credentials_version, {session id: credentials_version} of the active sessions)."""
    with app.app_context():
        version = db.session.scalar(select(User.credentials_version).where(User.id == user_id))
        active = dict(db.session.execute(
            select(UserSession.id, UserSession.credentials_version)
            .where(UserSession.user_id == user_id, UserSession.is_active.is_(True))
        ).all())
        return version, active


# -- the service: deterministic ----------------------------------------------


def test_authenticate_returns_the_version_its_password_belongs_to(app, make_user):
    user = make_user()
    with app.app_context():
        users = services(app).users
        assert users.authenticate(user.email, PASSWORD).credentials_version == 1
        users.change_password(user.id, PASSWORD, NEW_PASSWORD)
        db.session.commit()
        verified = users.authenticate(user.email, NEW_PASSWORD)
        assert (verified.user.id, verified.credentials_version) == (user.id, 2)


def test_authenticate_reads_the_account_once_so_the_version_is_the_one_read_with_the_hash(app, make_user):
    """Nothing re-reads the account after argon2: a re-read would take a change that committed meanwhile."""
    user = make_user()
    with app.app_context():
        with recorded_statements(app) as statements:
            services(app).users.authenticate(user.email, PASSWORD)
    assert len([s for s in statements if "FROM users" in s]) == 1, statements


def test_a_password_changed_after_it_was_verified_opens_no_session(app, make_user):
    user = make_user()
    with app.app_context():
        verified = services(app).users.authenticate(user.email, PASSWORD)
        with app.app_context():  # another request, committed between the check and the session
            services(app).users.change_password(user.id, PASSWORD, NEW_PASSWORD)
            db.session.commit()

        with pytest.raises(CredentialsChanged):
            services(app).sessions.create(verified, user_agent="pytest", ip_address=None)
        db.session.rollback()

    assert account_state(app, user.id) == (2, {})


def test_a_session_opened_with_an_outdated_password_opens_nothing(app, make_user, make_session):
    """The lookup's own check, which holds even for a row no sign-in should have left behind."""
    user = make_user()
    _, token = make_session(user)
    with app.app_context():
        # The version goes up and is committed; the session is deliberately not ended.
        services(app).users.change_password(user.id, PASSWORD, NEW_PASSWORD)
        db.session.commit()
        sessions = services(app).sessions
        assert sessions.resolve(token) is None
        assert sessions.why_not_active(token) == "password_changed"

    told = browser_with(app, token).get("/devices", follow_redirects=True)
    assert told.request.path == "/sign-in"
    assert "This session was signed out because the password was changed." in told.get_data(as_text=True)


def test_the_changing_session_keeps_working_and_other_accounts_are_untouched(app, make_user, make_session):
    owner, bystander = make_user(), make_user()
    owner_browser = app.test_client()
    assert owner_browser.post("/sign-in", data={"email": owner.email, "password": PASSWORD}).status_code == 302
    _, other_device = make_session(owner)
    _, bystander_token = make_session(bystander)

    assert change_password(owner_browser).status_code == 302

    assert owner_browser.get("/devices").status_code == 200
    version, active = account_state(app, owner.id)
    assert version == 2 and list(active.values()) == [2]
    assert is_refused(app, other_device)
    assert browser_with(app, bystander_token).get("/devices").status_code == 200
    assert account_state(app, bystander.id)[0] == 1
    # Re-authenticating on the kept session still works, with the new password.
    confirmed = owner_browser.post("/confirm-password", data={"password": NEW_PASSWORD, "next": "/activity"})
    assert (confirmed.status_code, confirmed.headers["Location"]) == (302, "/activity")
    assert owner_browser.get("/devices").status_code == 200


# -- the sign-in view: deterministic on PostgreSQL ---------------------------


def wait_for_a_lock_wait(app, deadline_seconds=10.0) -> None:
    """Until some connection to this database is waiting for a row lock (PostgreSQL)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + deadline_seconds
    with app.app_context():
        with db.engine.connect() as conn:
            while True:
                waiting = conn.execute(query).scalar()
                conn.rollback()  # the statistics are a snapshot per transaction: take a new one each time
                if waiting:
                    return
                assert time.monotonic() < deadline, "the sign-in never waited for the password change"
                time.sleep(0.01)


def test_a_sign_in_waiting_on_a_password_change_is_an_ordinary_failed_sign_in(app, make_user, database_url):
    """The sign-in checked the old password, then waits for the account row the change holds.

    When the change commits, the sign-in is told its email or password is
    wrong (which by then it is), creates nothing, and records nothing.
    """
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a row lock to wait on; SQLite's side of this race is the threaded test below")
    user = make_user()
    browser, answers = app.test_client(), []
    signing_in = threading.Thread(target=lambda: answers.append(
        browser.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    ))
    with app.app_context():
        services(app).users.change_password(user.id, PASSWORD, NEW_PASSWORD)  # holds the row
        signing_in.start()
        wait_for_a_lock_wait(app)
        db.session.commit()
    signing_in.join(timeout=30)
    assert not signing_in.is_alive()

    [answer] = answers
    assert answer.status_code == 200
    assert "The email or password is incorrect." in answer.get_data(as_text=True)
    assert browser.get_cookie(app.config["SESSION_TOKEN_COOKIE"]) is None
    assert account_state(app, user.id) == (2, {})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
        assert list(db.session.scalars(select(SecurityEvent.event_type))) == ["password_changed"]


# -- real races, both backends -----------------------------------------------


@pytest.mark.parametrize("round_", range(RACE_ROUNDS))
@PRODUCTION_HASHING
def test_v7_4_3_no_session_opened_with_the_old_password_survives_its_change(app, make_user, make_session, round_):
    """Intruders keep signing in with the stolen password while the owner changes it.

    Three of them, the second and third after one and two wrong guesses, so
    that their checks of the stolen password start a verification apart and
    one of them is under way when the change commits (on PostgreSQL the first
    waits for the account row, the change holds it from its start). Every
    session they got opens nothing afterwards; none is even left active in
    the table; the owner's session and other accounts' sessions go on working.
    """
    owner, bystander = make_user(), make_user()
    _, owner_token = make_session(owner)
    _, bystander_token = make_session(bystander)
    owner_browser = browser_with(app, owner_token)

    def intruder(wrong_guesses: int) -> Callable[[], list[tuple[int, str | None]]]:
        def attempts() -> list[tuple[int, str | None]]:
            for _ in range(wrong_guesses):
                sign_in(app, owner.email, password="a wrong guess at it")
            tried = [sign_in(app, owner.email)]
            # Until the stolen password is refused, which it is only once the change has committed.
            while tried[-1][0] == 302 and len(tried) < MAX_INTRUDER_SIGN_INS:
                tried.append(sign_in(app, owner.email))
            return tried
        return attempts

    *attempts, changed = run_together(
        intruder(0), intruder(1), intruder(2), lambda: change_password(owner_browser).status_code
    )

    assert changed == 302
    tried = [attempt for one_intruder in attempts for attempt in one_intruder]
    assert {status for status, _ in tried} <= {200, 302}, tried  # a failed form, never an error
    intruder_tokens = [token for status, token in tried if status == 302]
    assert [token for token in intruder_tokens if not is_refused(app, token)] == []
    version, active = account_state(app, owner.id)
    assert version == 2 and list(active.values()) == [2]  # only the owner's, moved to the new password
    assert owner_browser.get("/devices").status_code == 200
    assert browser_with(app, bystander_token).get("/devices").status_code == 200


@pytest.mark.parametrize("round_", range(4))
def test_a_sign_in_that_rehashes_the_old_password_never_undoes_its_change(app, make_user, make_session, round_):
    """A sign-in upgrades an outdated hash; racing a change, it must not write the old password back.

    The account's hash was made with the production profile and the app runs
    the cheapest one, so the sign-in wants to rehash, and both it and the
    change spend the production profile's time checking the old password.
    A sign-in whose rehash lands after the change is refused its session,
    and the rehash goes with it, in the same rolled-back transaction.
    """
    owner = make_user()
    with app.app_context():
        outdated = make_hasher("RFC_9106_LOW_MEMORY").hash(PASSWORD)
        db.session.execute(update(User).where(User.id == owner.id).values(password_hash=outdated))
        db.session.commit()
    _, owner_token = make_session(owner)
    owner_browser = browser_with(app, owner_token)

    (status, token), changed = run_together(
        lambda: sign_in(app, owner.email), lambda: change_password(owner_browser).status_code
    )

    assert changed == 302 and status in (200, 302)
    with app.app_context():
        users = services(app).users
        assert users.check_password(owner.id, NEW_PASSWORD)
        assert not users.check_password(owner.id, PASSWORD)
    assert token is None or is_refused(app, token)
