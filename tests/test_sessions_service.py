"""The session store, exercised through its service on the real database."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import EndReason, UserSession
from app.services.container import Services
from app.services.enrichment import clean_user_agent
from app.services.errors import SessionNotFound
from app.services.sessions import Ending, SessionService, hash_token

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def sessions(services: Services) -> SessionService:
    return services.sessions


def active_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(UserSession).where(
            UserSession.user_id == user_id, UserSession.is_active.is_(True)
        )
    )


def test_session_lifecycle(sessions, make_user, make_session):
    """Create, resolve, end, and the token no longer resolves."""
    user = make_user()
    row, token = make_session(user)

    signed_in = sessions.resolve(token)
    assert signed_in is not None
    assert (signed_in.session_id, signed_in.id, signed_in.email) == (row.id, user.id, user.email)

    ended = sessions.end(row.id, owner_id=user.id, ending=Ending.by_user(user.id, EndReason.SIGNED_OUT))
    db.session.commit()
    assert ended.revoked_reason == "signed_out" and ended.revoked_at is not None
    assert sessions.resolve(token) is None
    assert sessions.why_not_active(token) == "signed_out"


def test_revoke_all_sessions(sessions, make_user, make_session):
    user, other = make_user(), make_user()
    tokens = [make_session(user)[1] for _ in range(3)]
    _, other_token = make_session(other)

    assert sessions.end_all(user.id, ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER)) == 3
    db.session.commit()

    assert [sessions.resolve(t) for t in tokens] == [None, None, None]
    assert sessions.resolve(other_token) is not None
    assert sessions.end_all(user.id, ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER)) == 0


def test_end_others_keeps_the_current_session(sessions, make_user, make_session):
    user = make_user()
    current, current_token = make_session(user)
    others = [make_session(user)[1] for _ in range(2)]

    count = sessions.end_others(
        user.id, keep_session_id=current.id, ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER)
    )
    db.session.commit()

    assert count == 2
    assert sessions.resolve(current_token) is not None
    assert all(sessions.resolve(t) is None for t in others)


def test_the_token_is_stored_only_as_its_sha256(make_user, make_session):
    row, token = make_session(make_user())
    assert row.session_token_hash == hash_token(token)
    assert len(row.session_token_hash) == 64 and token not in row.session_token_hash
    assert len(token) == 43  # 256 bits, URL-safe base64


def test_unknown_and_malformed_tokens_resolve_to_nothing(sessions, make_user, make_session):
    make_session(make_user())
    assert sessions.resolve("A" * 43) is None
    assert sessions.resolve("not a token; DROP TABLE users") is None
    assert sessions.resolve("") is None
    assert sessions.why_not_active("A" * 43) == "unknown"


@pytest.mark.config(MAX_SESSIONS_PER_USER=3)
def test_session_limit_ends_the_least_recently_active(sessions, make_user, make_session, clock):
    user = make_user()
    rows = []
    for _ in range(3):
        rows.append(make_session(user))
        clock.advance(minutes=5)
    # The oldest session was used most recently, so the second is the one to go.
    clock.advance(minutes=5)
    assert sessions.touch_if_due(sessions.resolve(rows[0][1]))
    db.session.commit()

    make_session(user)

    assert active_count(user.id) == 3
    evicted = db.session.get(UserSession, rows[1][0].id)
    assert (evicted.is_active, evicted.revoked_reason) == (False, "session_limit")
    assert sessions.resolve(rows[0][1]) is not None
    assert sessions.resolve(rows[2][1]) is not None


def test_default_limit_is_five(sessions, make_user, make_session):
    user = make_user()
    for _ in range(7):
        make_session(user)
    assert active_count(user.id) == 5
    assert sessions.policy.max_sessions_per_user == 5


def test_sign_in_purges_the_users_expired_rows(sessions, make_user, make_session, clock):
    user, other = make_user(), make_user()
    old, _ = make_session(user)
    others_old, _ = make_session(other)
    clock.advance(days=8)  # past the 7-day idle timeout

    make_session(user)

    assert db.session.get(UserSession, old.id) is None
    assert db.session.get(UserSession, others_old.id) is not None


@pytest.mark.config(SESSION_TOUCH_INTERVAL=60)
def test_touch_writes_at_most_once_per_interval(sessions, make_user, make_session, clock):
    row, token = make_session(make_user())

    clock.advance(seconds=59)
    assert sessions.touch_if_due(sessions.resolve(token)) is False

    clock.advance(seconds=1)
    assert sessions.touch_if_due(sessions.resolve(token)) is True
    db.session.commit()
    touched = sessions.resolve(token)
    assert touched.last_activity_at == clock.now()

    clock.advance(seconds=30)
    assert sessions.touch_if_due(touched) is False


@pytest.mark.config(SESSION_IDLE_TIMEOUT=3600, SESSION_ABSOLUTE_LIFETIME=4 * 3600)
def test_activity_slides_the_idle_expiry(sessions, make_user, make_session, clock):
    row, token = make_session(make_user())
    assert row.expires_at == row.created_at + timedelta(hours=1)

    clock.advance(minutes=50)
    sessions.touch_if_due(sessions.resolve(token))
    db.session.commit()
    clock.advance(minutes=50)  # 100 minutes after sign-in, 50 after the last activity
    assert sessions.resolve(token) is not None

    clock.advance(minutes=61)  # idle for longer than the timeout
    assert sessions.resolve(token) is None
    assert sessions.why_not_active(token) == "expired"


@pytest.mark.config(SESSION_IDLE_TIMEOUT=3600, SESSION_ABSOLUTE_LIFETIME=2 * 3600)
def test_activity_never_extends_past_the_absolute_lifetime(sessions, make_user, make_session, clock):
    row, token = make_session(make_user())
    for _ in range(4):  # active every 40 minutes
        clock.advance(minutes=40)
        signed_in = sessions.resolve(token)
        if signed_in is None:
            break
        sessions.touch_if_due(signed_in)
        db.session.commit()
    # 160 minutes after sign-in: past the two-hour absolute lifetime.
    assert sessions.resolve(token) is None
    assert db.session.get(UserSession, row.id).expires_at == row.created_at + timedelta(hours=2)


def test_ending_another_users_session_is_like_ending_a_missing_one(sessions, make_user, make_session):
    owner, intruder = make_user(), make_user()
    row, token = make_session(owner)

    for session_id in (row.id, uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(SessionNotFound):
            sessions.end(session_id, owner_id=intruder.id, ending=Ending.by_system(EndReason.REVOKED_BY_USER))
    db.session.commit()

    assert sessions.resolve(token) is not None
    assert db.session.get(UserSession, row.id).revoked_at is None


def test_an_ended_session_cannot_be_ended_again(sessions, make_user, make_session):
    user = make_user()
    row, _ = make_session(user)
    sessions.end(row.id, owner_id=user.id, ending=Ending.by_system(EndReason.SIGNED_OUT))
    with pytest.raises(SessionNotFound):
        sessions.end(row.id, owner_id=user.id, ending=Ending.by_system(EndReason.SIGNED_OUT))


@pytest.mark.config(ENDED_SESSION_RETENTION=30 * 86400)
def test_cleanup_deletes_expired_and_long_ended_rows_in_batches(sessions, make_user, make_session, clock):
    users = [make_user() for _ in range(3)]
    for _ in range(5):
        make_session(users[0])  # expires with the clock jump below
    ended = [make_session(users[1]) for _ in range(2)]
    for row, _ in ended:
        sessions.end(row.id, owner_id=users[1].id, ending=Ending.by_system(EndReason.SIGNED_OUT))
    db.session.commit()

    clock.advance(days=31)
    live = [make_session(users[2]) for _ in range(2)]
    recently_ended, _ = make_session(users[2])
    sessions.end(recently_ended.id, owner_id=users[2].id, ending=Ending.by_system(EndReason.SIGNED_OUT))
    db.session.commit()

    commits = []
    deleted = sessions.cleanup(commit=lambda: (commits.append(1), db.session.commit()), batch_size=2)

    assert deleted == 7
    assert len(commits) >= 4  # 5 expired in batches of 2 takes three, then the ended rows
    remaining = set(db.session.scalars(select(UserSession.id)))
    assert remaining == {row.id for row, _ in live} | {recently_ended.id}
    assert sessions.cleanup(commit=db.session.commit) == 0


def test_list_active_is_most_recently_active_first(sessions, make_user, make_session, clock):
    user = make_user()
    first, first_token = make_session(user)
    clock.advance(minutes=10)
    second, _ = make_session(user)
    clock.advance(minutes=10)
    ended, _ = make_session(user)
    sessions.end(ended.id, owner_id=user.id, ending=Ending.by_system(EndReason.SIGNED_OUT))
    clock.advance(minutes=10)
    sessions.touch_if_due(sessions.resolve(first_token))
    db.session.commit()

    assert [s.id for s in sessions.list_active(user.id)] == [first.id, second.id]


def test_list_active_rows_carry_what_the_pages_show_and_no_secret(sessions, make_user, make_session):
    user = make_user()
    places = {"es": {"country": "España", "city": "Madrid"}}
    row, _ = make_session(user, user_agent="Mozilla/5.0 (iPhone)", ip_address="81.2.69.142", city="Madrid",
                          country="Spain", browser="Safari 17", os="iOS 17.1", device="iPhone", device_type="mobile",
                          extra={"places": places, "device_id": "A1B2"})
    bare, _ = make_session(user, ip_address="10.0.0.1")

    listed, listed_bare = sorted(sessions.list_active(user.id), key=lambda s: s.id != row.id)

    # The place's other names, and nothing else of the metadata.
    assert listed == (row.id, "mobile", "Safari 17", "iOS 17.1", "iPhone", "Spain", "Madrid", "81.2.69.142",
                      "Mozilla/5.0 (iPhone)", row.created_at, row.last_activity_at, "browser", None, places,
                      None, None, None, None,  # never moved
                      None, None)  # opened from no known device, so no name
    assert (listed_bare.id, listed_bare.places) == (bare.id, None)
    assert listed.created_at.utcoffset() == timedelta(0)
    assert not any("hash" in field or "token" in field for field in type(listed)._fields)


def test_find_by_refresh_token(sessions, make_user, make_session):
    user = make_user()
    row, _ = make_session(user, refresh_token_hash=hash_token("refresh-token-value"))
    make_session(user)

    assert sessions.find_by_refresh_token("refresh-token-value").id == row.id
    assert sessions.find_by_refresh_token("some other value") is None
    sessions.end(row.id, owner_id=user.id, ending=Ending.by_system(EndReason.SIGNED_OUT))
    assert sessions.find_by_refresh_token("refresh-token-value") is None


def test_a_disabled_account_resolves_to_nobody(sessions, make_user, make_session):
    user = make_user()
    _, token = make_session(user)
    db.session.merge(user).is_active = False
    db.session.commit()
    assert sessions.resolve(token) is None


def test_deleting_a_user_deletes_their_sessions(make_user, make_session):
    from app.models import User

    user = make_user()
    row, _ = make_session(user)
    db.session.delete(db.session.get(User, user.id))
    db.session.commit()
    assert db.session.get(UserSession, row.id) is None


def test_user_agent_is_capped_at_512_characters(make_user, make_session):
    row, _ = make_session(make_user(), user_agent="x" * 10_000)
    assert row.user_agent == "x" * 512


def test_a_user_agent_given_straight_to_the_store_is_cleaned_as_enrichment_cleans_it(make_user, make_session):
    forged = "Mozilla/5.0\r\n2024-01-01 INFO signed in as admin\x00"
    row, _ = make_session(make_user(), user_agent=forged + "x" * 600)
    assert row.user_agent == clean_user_agent(forged + "x" * 600)
    assert "\r" not in row.user_agent and "\n" not in row.user_agent and "\x00" not in row.user_agent


def test_the_user_agent_is_cut_to_exactly_the_column_it_is_stored_in():
    assert len(clean_user_agent("a" * 10_000)) == UserSession.__table__.c.user_agent.type.length
