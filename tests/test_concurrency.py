"""Races on PostgreSQL with real threads: row locks keep the session table consistent.

Each thread has its own app context, so its own database connection; a
Barrier lines them up so that they really overlap. Joins are bounded, so a
deadlock fails the test instead of hanging it. SQLite is skipped: it lets
one writer in at a time for the whole database and ignores FOR UPDATE, so
these races cannot happen there and the tests would prove nothing.
"""


import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import EndReason, UserSession
from app.services.sessions import Ending, hash_token
from tests.conftest import PASSWORD
from tests.helpers import run_together


@pytest.fixture(autouse=True)
def postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises all writers and has no row locks; the race needs PostgreSQL")




def active_ids(app, user_id: int) -> set:
    with app.app_context():
        return set(db.session.scalars(
            select(UserSession.id).where(UserSession.user_id == user_id, UserSession.is_active.is_(True))
        ))


@pytest.mark.parametrize("round_", range(5))
def test_v7_5_2_two_devices_signing_out_all_others_at_once_leave_exactly_one(
    app, make_user, make_session, services, round_
):
    user = make_user()
    laptop, phone = make_session(user)[0], make_session(user)[0]
    for _ in range(3):
        make_session(user)

    def press_sign_out_others(keep_id):
        def job() -> int:
            with app.app_context():
                ended = services.sessions.end_others(
                    user.id, keep_session_id=keep_id, ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER)
                )
                db.session.commit()
                return ended
        return job

    ended = run_together(press_sign_out_others(laptop.id), press_sign_out_others(phone.id))

    survivors = active_ids(app, user.id)
    assert len(survivors) == 1 and survivors <= {laptop.id, phone.id}
    assert sorted(ended) == [0, 4]  # the second device found its own session gone and ended nothing


@pytest.mark.config(SESSION_TOUCH_INTERVAL=0)  # every request writes, to make the race as tight as possible
def test_requests_racing_the_sign_out_of_their_own_device_never_error_and_never_come_back(
    app, make_user, make_session, services
):
    user = make_user()
    row, token = make_session(user)
    cookie = app.config["SESSION_TOKEN_COOKIE"]

    def device_keeps_browsing() -> list[int]:
        statuses = []
        for _ in range(15):
            browser = app.test_client()
            browser.set_cookie(cookie, token)
            statuses.append(browser.get("/devices").status_code)
        return statuses

    def signed_out_from_elsewhere() -> int:
        with app.app_context():
            services.sessions.end(
                row.id, owner_id=user.id, ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER)
            )
            db.session.commit()
        return 0

    *browsing, _ = run_together(device_keeps_browsing, device_keeps_browsing, device_keeps_browsing,
                                signed_out_from_elsewhere)

    for statuses in browsing:
        assert set(statuses) <= {200, 302}, statuses  # never an error page
        if 302 in statuses:  # once signed out, it stays signed out
            assert 200 not in statuses[statuses.index(302):], statuses
    with app.app_context():
        ended = db.session.get(UserSession, row.id)
        assert (ended.is_active, ended.revoked_reason) == (False, "revoked_by_user")
    late = app.test_client()
    late.set_cookie(cookie, token)
    assert late.get("/devices").status_code == 302


@pytest.mark.parametrize("round_", range(3))
@pytest.mark.config(MAX_SESSIONS_PER_USER=2)
def test_v7_1_2_sign_ins_racing_at_the_session_limit_never_exceed_it(app, make_user, make_session, round_):
    user = make_user()
    for _ in range(2):
        make_session(user)

    def sign_in() -> int:
        return app.test_client().post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code

    statuses = run_together(*[sign_in] * 6)

    assert statuses == [302] * 6
    assert len(active_ids(app, user.id)) == 2
    with app.app_context():
        reasons = dict(db.session.execute(
            select(UserSession.revoked_reason, func.count()).where(UserSession.user_id == user.id)
            .group_by(UserSession.revoked_reason)
        ).all())
    assert reasons == {None: 2, "session_limit": 6}


def test_two_refreshes_with_the_same_token_have_exactly_one_winner_and_the_second_is_reuse(app, services, make_user):
    """The exchange is one UPDATE on the old hash: one request gets a pair, never both.

    With no grace window the loser presented a token that had just been
    exchanged, which is reuse: the session ends, so no two clients ever hold
    live tokens of it.
    """
    from app.services.credentials import VerifiedCredentials
    from app.services.sessions import RefreshRefused

    user = make_user()
    # Several rounds of four requests each, so that some really overlap between reading the row and exchanging.
    for _ in range(10):
        with app.app_context():
            opened = services.sessions.open_app_session(
                VerifiedCredentials.without_password(db.session.merge(user)), client_name="CLI",
                user_agent="doorman-cli/1.0", ip_address="203.0.113.9",
            )
            db.session.commit()

        def exchange(token: str = opened.refresh_token) -> object:
            with app.app_context():
                try:
                    return services.sessions.refresh(token)
                except RefreshRefused:
                    return "refused"
                finally:
                    db.session.commit()

        results = run_together(*[exchange] * 4)

        winners = [r for r in results if r != "refused"]
        assert len(winners) == 1 and results.count("refused") == 3
        with app.app_context():
            row = db.session.get(UserSession, opened.session_id)
            assert row.refresh_token_hash == hash_token(winners[0].refresh_token)
            assert (row.is_active, row.revoked_reason) == (False, EndReason.REFRESH_TOKEN_REUSED)
            assert services.sessions.resolve_bearer(winners[0].access_token) is None
