"""App sessions in the session store: opening, refreshing with rotation, reuse, bearer lookup, cleanup."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import EndReason, EventType, RotatedRefreshToken, SessionKind, User, UserSession
from app.presenters.activity import describe
from app.services.credentials import VerifiedCredentials
from app.services.sessions import Ending, RefreshRefused, hash_token
from tests.helpers import events_of, session_row


@pytest.fixture
def open_app_session(app, services):
    """Open an app session for a user through the service; returns its AppTokens."""

    def open_(user, *, client_name="Doorman for iOS", user_agent="DoormanApp/1.0 (iPhone; iOS 17.1)"):
        with app.app_context():
            tokens = services.sessions.open_app_session(
                VerifiedCredentials.without_password(db.session.merge(user)), client_name=client_name,
                user_agent=user_agent, ip_address="203.0.113.9", device_type="mobile",
            )
            db.session.commit()
            return tokens

    return open_


def refresh(app, services, refresh_token):
    """Refresh and commit whatever happened, as the endpoint does: a pair, or the RefreshRefused raised."""
    with app.app_context():
        try:
            return services.sessions.refresh(refresh_token)
        finally:
            db.session.commit()


def test_an_app_session_is_a_sessions_row_holding_only_the_hashes_of_its_tokens(
    app, services, make_user, open_app_session, clock
):
    user = make_user()
    tokens = open_app_session(user)

    row = session_row(app, tokens.session_id)
    assert (row.kind, row.client_name, row.device_type) == (SessionKind.APP, "Doorman for iOS", "mobile")
    assert row.session_token_hash is None
    assert row.access_token_hash == hash_token(tokens.access_token)
    assert row.refresh_token_hash == hash_token(tokens.refresh_token)
    assert len(tokens.access_token) == len(tokens.refresh_token) == 43 and tokens.access_token != tokens.refresh_token
    stored = " ".join(str(value) for value in vars(row).values())
    assert tokens.access_token not in stored and tokens.refresh_token not in stored
    assert row.access_expires_at == clock.now() + timedelta(seconds=900) == tokens.access_expires_at
    assert row.credentials_version == user.credentials_version
    assert [e.event_type for e in events_of(app, user.id)] == [EventType.SIGNED_IN]


@pytest.mark.config(ACCESS_TOKEN_LIFETIME=60, SESSION_IDLE_TIMEOUT=30)
def test_the_access_lifetime_is_a_setting_and_never_outlives_the_session(make_user, open_app_session, clock):
    tokens = open_app_session(make_user())
    assert tokens.access_expires_at == clock.now() + timedelta(seconds=30)


@pytest.mark.config(MAX_SESSIONS_PER_USER=2)
def test_app_sessions_count_towards_the_session_limit(app, make_user, make_session, open_app_session, clock):
    user = make_user()
    browser, _ = make_session(user)
    clock.advance(seconds=1)
    open_app_session(user)
    clock.advance(seconds=1)
    open_app_session(user)
    assert session_row(app, browser.id).revoked_reason == EndReason.SESSION_LIMIT


def test_the_access_token_opens_the_session_until_it_expires(app, services, make_user, open_app_session, clock):
    user = make_user()
    tokens = open_app_session(user)
    with app.app_context():
        assert services.sessions.resolve_bearer(tokens.access_token).id == user.id
        assert services.sessions.resolve(tokens.access_token) is None  # not a cookie
        assert services.sessions.resolve_bearer(tokens.refresh_token) is None
        clock.advance(seconds=900)
        assert services.sessions.resolve_bearer(tokens.access_token) is None


def test_a_cookie_token_is_not_a_bearer_token(app, services, make_user, make_session):
    _, cookie_token = make_session(make_user())
    with app.app_context():
        assert services.sessions.resolve_bearer(cookie_token) is None


def test_refreshing_rotates_both_tokens_and_slides_the_idle_expiry(app, services, make_user, open_app_session, clock):
    user = make_user()
    first = open_app_session(user)
    clock.advance(hours=1)
    second = refresh(app, services, first.refresh_token)

    assert second.session_id == first.session_id
    assert {second.access_token, second.refresh_token}.isdisjoint({first.access_token, first.refresh_token})
    row = session_row(app, first.session_id)
    assert row.refresh_token_hash == hash_token(second.refresh_token)
    assert row.last_activity_at == clock.now()
    assert row.expires_at == clock.now() + timedelta(days=7)
    with app.app_context():
        assert services.sessions.resolve_bearer(first.access_token) is None
        assert services.sessions.resolve_bearer(second.access_token).id == user.id
        rotated = db.session.scalars(select(RotatedRefreshToken.refresh_token_hash)).all()
    assert rotated == [hash_token(first.refresh_token)]


def test_reusing_a_rotated_refresh_token_ends_the_whole_session_and_tells_the_owner(
    app, services, make_user, open_app_session
):
    user = make_user()
    first = open_app_session(user)
    second = refresh(app, services, first.refresh_token)

    with pytest.raises(RefreshRefused):
        refresh(app, services, first.refresh_token)

    row = session_row(app, first.session_id)
    assert (row.is_active, row.revoked_reason) == (False, EndReason.REFRESH_TOKEN_REUSED)
    with app.app_context():
        assert services.sessions.resolve_bearer(second.access_token) is None
    with pytest.raises(RefreshRefused):
        refresh(app, services, second.refresh_token)  # the newest pair went with the session
    reused = [e for e in events_of(app, user.id) if e.event_type == EventType.REFRESH_TOKEN_REUSED]
    assert len(reused) == 1 and reused[0].session_id == first.session_id
    assert describe(reused[0]).sentence == "An app's sign-in was ended because an old token was used again"


@pytest.mark.parametrize("token", ["", "x" * 43, "short", "é" * 43])
def test_a_refresh_token_never_issued_is_refused_and_ends_nothing(app, services, make_user, open_app_session, token):
    tokens = open_app_session(make_user())
    with pytest.raises(RefreshRefused):
        refresh(app, services, token)
    assert session_row(app, tokens.session_id).is_active


@pytest.mark.config(SESSION_IDLE_TIMEOUT=3600, SESSION_ABSOLUTE_LIFETIME=3 * 3600)
def test_the_refresh_token_is_bounded_by_the_idle_and_absolute_limits(
    app, services, make_user, open_app_session, clock
):
    idle = open_app_session(make_user())
    clock.advance(seconds=3600)
    with pytest.raises(RefreshRefused):
        refresh(app, services, idle.refresh_token)

    tokens = open_app_session(make_user())
    opened = clock.now()
    for _ in range(3):  # used within the idle timeout, up to 2.5 hours in
        clock.advance(seconds=3000)
        tokens = refresh(app, services, tokens.refresh_token)
    assert session_row(app, tokens.session_id).expires_at == opened + timedelta(hours=3)
    clock.advance(seconds=3000)
    with pytest.raises(RefreshRefused):
        refresh(app, services, tokens.refresh_token)


def test_a_password_change_leaves_the_app_session_s_tokens_worthless(app, services, make_user, open_app_session):
    user = make_user()
    tokens = open_app_session(user)
    with app.app_context():
        db.session.get(User, user.id).credentials_version = User.credentials_version + 1
        db.session.commit()
        assert services.sessions.resolve_bearer(tokens.access_token) is None
    with pytest.raises(RefreshRefused):
        refresh(app, services, tokens.refresh_token)


def test_ending_an_app_session_refuses_its_tokens_at_once(app, services, make_user, open_app_session):
    user = make_user()
    tokens = open_app_session(user)
    with app.app_context():
        services.sessions.end(tokens.session_id, owner_id=user.id,
                              ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER))
        db.session.commit()
        assert services.sessions.resolve_bearer(tokens.access_token) is None
    with pytest.raises(RefreshRefused):
        refresh(app, services, tokens.refresh_token)


def test_cleanup_forgets_the_rotated_tokens_of_closed_sessions_and_keeps_those_of_open_ones(
    app, services, make_user, open_app_session
):
    user = make_user()
    kept, ended = open_app_session(user), open_app_session(user)
    refresh(app, services, kept.refresh_token)
    refresh(app, services, ended.refresh_token)
    with app.app_context():
        services.sessions.end(ended.session_id, owner_id=user.id,
                              ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER))
        db.session.commit()
        services.sessions.cleanup(commit=db.session.commit)
        left = db.session.execute(select(RotatedRefreshToken.session_id, RotatedRefreshToken.refresh_token_hash)).all()
        assert db.session.get(UserSession, ended.session_id) is not None  # the row itself stays for the retention
    assert left == [(kept.session_id, hash_token(kept.refresh_token))]
