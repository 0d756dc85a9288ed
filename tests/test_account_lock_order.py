"""On PostgreSQL every path that changes an account's sessions locks the account row first, in one order.

Sign-ins (ending the oldest past the session limit), "sign out all other
sessions", ending one session, and password changes (which end the others)
all run at once on one account in real threads. Without one lock order two
of them can each hold a row the other wants and PostgreSQL kills one with a
deadlock error. Checked after each round: nothing failed, the account never
has more sessions than the limit, and every ended session has its event.
"""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import EndReason, SecurityEvent, User, UserSession
from app.services.credentials import VerifiedCredentials
from app.services.errors import CredentialsChanged, IncorrectPassword, SessionNotFound
from app.services.sessions import Ending
from tests.conftest import PASSWORD
from tests.helpers import run_together

LIMIT = 3


@pytest.fixture(autouse=True)
def postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises all writers and has no row locks; deadlocks need PostgreSQL")


def sign_in(app, services, user_id: int):
    def job() -> str:
        with app.app_context():
            user = db.session.get(User, user_id)
            try:
                services.sessions.create(
                    VerifiedCredentials.without_password(user), user_agent="t", ip_address="203.0.113.7")
                db.session.commit()
            except CredentialsChanged:  # a password change committed between reading the account and signing in
                db.session.rollback()
                return "credentials changed"
            return "signed in"
    return job


def sign_out_others(app, services, user_id: int, keep_id):
    def job() -> int:
        with app.app_context():
            ended = services.sessions.end_others(
                user_id, keep_session_id=keep_id, ending=Ending.by_user(user_id, EndReason.REVOKED_BY_USER))
            db.session.commit()
            return ended
    return job


def end_one(app, services, user_id: int, session_id):
    def job() -> str:
        with app.app_context():
            try:
                services.sessions.end(
                    session_id, owner_id=user_id, ending=Ending.by_user(user_id, EndReason.REVOKED_BY_USER))
            except SessionNotFound:
                db.session.rollback()
                return "already ended"
            db.session.commit()
            return "ended"
    return job


def change_password(app, services, user_id: int, keep_id, new: str):
    """What the password page does: change it, end the others, move the kept session to the new password."""
    def job() -> str:
        with app.app_context():
            try:
                user = services.users.change_password(user_id, PASSWORD, new)
            except IncorrectPassword:  # another change won: PASSWORD is no longer the password
                db.session.rollback()
                return "refused"
            services.sessions.end_others(
                user_id, keep_session_id=keep_id, ending=Ending.by_user(user_id, EndReason.PASSWORD_CHANGED))
            try:
                services.sessions.rotate_token(keep_id, credentials_version=user.credentials_version)
            except SessionNotFound:  # the session asking was ended first: that ending wins, nothing changes
                db.session.rollback()  # what app/errors.py's session_ended_meanwhile does for the page
                return "its session ended first"
            db.session.commit()
            return "changed"
    return job


def password_is(app, services, user_id: int, password: str) -> bool:
    with app.app_context():
        return services.passwords.verify(db.session.get(User, user_id).password_hash, password)


def ended_without_an_event(app, user_id: int) -> list:
    with app.app_context():
        ended = set(db.session.scalars(
            select(UserSession.id).where(UserSession.user_id == user_id, UserSession.is_active.is_(False))))
        recorded = set()
        for event in db.session.scalars(select(SecurityEvent).where(SecurityEvent.subject_id == user_id)):
            if event.session_id is not None and event.event_type != "signed_in":
                recorded.add(event.session_id)
            for listed in (event.details or {}).get("sessions", []):
                recorded.add(listed["session_id"])
        return [s for s in ended if s not in recorded and str(s) not in recorded]


@pytest.mark.config(MAX_SESSIONS_PER_USER=LIMIT)
@pytest.mark.parametrize("round_", range(4))
def test_sign_ins_sign_outs_and_password_changes_at_once_never_deadlock(app, make_user, make_session, services, round_):
    user = make_user()
    sessions = [make_session(user)[0] for _ in range(LIMIT)]

    results = run_together(
        *(sign_in(app, services, user.id) for _ in range(6)),
        sign_out_others(app, services, user.id, sessions[0].id),
        sign_out_others(app, services, user.id, sessions[1].id),
        end_one(app, services, user.id, sessions[2].id),
        end_one(app, services, user.id, sessions[1].id),
        change_password(app, services, user.id, sessions[0].id, "the first new password"),
        change_password(app, services, user.id, sessions[2].id, "the second new password"),
    )

    # The two changes take turns on the account lock. The first whose kept
    # session is still active changes the password, and the other's "current"
    # password is then wrong; a change whose kept session another job ended
    # first changes nothing. Both can meet an ended session, so none may win.
    changes = results[-2:]
    assert set(changes) <= {"changed", "refused", "its session ended first"}, results
    assert changes.count("changed") <= 1, results
    if "changed" in changes:
        winner = ["the first new password", "the second new password"][changes.index("changed")]
        assert password_is(app, services, user.id, winner)
    else:
        assert password_is(app, services, user.id, PASSWORD)
    with app.app_context():
        active = db.session.scalar(select(func.count()).select_from(UserSession).where(
            UserSession.user_id == user.id, UserSession.is_active.is_(True)))
    assert active <= LIMIT
    assert ended_without_an_event(app, user.id) == []


@pytest.mark.config(MAX_SESSIONS_PER_USER=LIMIT)
def test_many_sign_ins_at_once_keep_to_the_limit_and_record_every_eviction(app, make_user, services):
    user = make_user()

    results = run_together(*(sign_in(app, services, user.id) for _ in range(12)))

    assert results == ["signed in"] * 12
    with app.app_context():
        active = db.session.scalar(select(func.count()).select_from(UserSession).where(
            UserSession.user_id == user.id, UserSession.is_active.is_(True)))
    assert active == LIMIT
    assert ended_without_an_event(app, user.id) == []
