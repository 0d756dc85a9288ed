"""The "Not you? End this session" link of an alert email (issue 14).

A GET only shows (mail scanners open links); the page's POST, with CSRF and
while signed out, ends exactly the session the link names, once. Expired,
used, forged or tampered links, and links whose session already ended, say
so and change nothing. The link carries no session token and signs no one in.
"""

import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from app.extensions import db
from app.models import EndReason, EndSessionLink, EventType, SecurityEvent, User, UserSession
from app.services.end_session_links import LinkState
from app.services.sessions import hash_token
from tests.helpers import (
    CHROME_MAC,
    MADRID,
    active_sessions,
    client_details,
    csrf_tokens_in,
    events_of,
    run_together,
    session_row,
    signed_in_client,
)

SALT = "doorman.end-session-link"


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user("owner@example.com")


@pytest.fixture
def chrome_session(app: Flask, owner: User, make_session: Callable[..., Any]) -> tuple[UserSession, str]:
    """The sign-in the alert email is about: Chrome on a Mac, from Madrid."""
    return make_session(owner, **client_details(app, CHROME_MAC, MADRID))


@pytest.fixture
def other_session(owner: User, make_session: Callable[..., Any]) -> tuple[UserSession, str]:
    """The owner's own browser, which the link must leave alone."""
    return make_session(owner, user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0")


@pytest.fixture
def issue_link(app: Flask, services: Any) -> Callable[[UserSession], str]:
    """A committed link for a session row; returns its token."""

    def issue(row: UserSession) -> str:
        with app.app_context():
            token: str = services.end_session_links.issue(db.session.merge(row))
            db.session.commit()
            return token

    return issue


@pytest.fixture
def link(chrome_session: tuple[UserSession, str], issue_link: Callable[[UserSession], str]) -> str:
    return issue_link(chrome_session[0])


def url_of(token: str) -> str:
    return f"/sessions/end/{token}"


def link_rows(app: Flask) -> list[EndSessionLink]:
    with app.app_context():
        rows = list(db.session.scalars(select(EndSessionLink)))
        db.session.expunge_all()
        return rows


def is_active(app: Flask, session_id: uuid.UUID) -> bool:
    row = session_row(app, session_id)
    return row is not None and row.is_active


def state_of_everything(app: Flask) -> tuple[Any, ...]:
    """Every session's activity, every link's use and every event: what "nothing changed" compares."""
    with app.app_context():
        sessions = sorted((str(r.id), r.is_active, r.revoked_reason) for r in db.session.scalars(select(UserSession)))
        links = sorted((str(r.id), r.used_at) for r in db.session.scalars(select(EndSessionLink)))
        events = [e.id for e in db.session.scalars(select(SecurityEvent))]
    return sessions, links, events


def press_button(client: Any, token: str, **kwargs: Any) -> Any:
    return client.post(url_of(token), **kwargs)


# -- showing ------------------------------------------------------------------


def test_the_link_shows_the_session_and_one_button(client, link, chrome_session):
    response = client.get(url_of(link))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not you? End this session" in page
    assert "Chrome 120 on macOS 10.15" in page and MADRID in page and "Madrid" in page
    assert f'action="{url_of(link)}"' in page and page.count("<button") == 1
    assert 'datetime="2026-11-03T09:00:00' in page  # when it signed in


def test_the_page_sends_no_referrer_and_is_never_cached(client, link):
    for response in (client.get(url_of(link)), client.get(url_of("nonsense"))):
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


def test_opening_the_link_twice_changes_nothing(app, client, link, chrome_session):
    before = state_of_everything(app)

    assert client.get(url_of(link)).status_code == 200
    assert app.test_client().get(url_of(link)).status_code == 200  # a mail scanner, then the person

    assert state_of_everything(app) == before
    assert is_active(app, chrome_session[0].id)


def test_the_page_is_in_the_readers_language(client, link):
    page = client.get(url_of(link), headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "¿No fuiste tú? Cierra esta sesión" in page and "Cerrar esta sesión" in page


# -- ending -------------------------------------------------------------------


def test_pressing_the_button_ends_exactly_that_session(app, client, link, chrome_session, other_session, owner):
    response = press_button(client, link)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The session has been ended" in page
    assert 'href="/sign-in?next=/account/password"' in page
    assert not is_active(app, chrome_session[0].id)
    assert session_row(app, chrome_session[0].id).revoked_reason == EndReason.ENDED_FROM_ALERT_EMAIL
    assert [r.id for r in active_sessions(app, owner.id)] == [other_session[0].id]
    assert all(r.used_at is not None for r in link_rows(app))


def test_the_ended_sessions_cookie_is_refused_and_the_owners_other_session_still_works(
    app, link, chrome_session, other_session
):
    cookie = app.config["SESSION_TOKEN_COOKIE"]
    intruder, owner_browser = app.test_client(), app.test_client()
    intruder.set_cookie(cookie, chrome_session[1])
    owner_browser.set_cookie(cookie, other_session[1])
    assert intruder.get("/devices").status_code == 200

    press_button(app.test_client(), link)

    assert intruder.get("/devices").headers["Location"].startswith("/sign-in")
    assert owner_browser.get("/devices").status_code == 200


def test_ending_is_recorded_on_the_accounts_activity(app, client, link, chrome_session, owner):
    press_button(client, link, environ_base={"REMOTE_ADDR": "198.51.100.7"})

    event = events_of(app, owner.id)[-1]
    assert event.event_type == EventType.SESSION_REVOKED
    assert event.session_id == chrome_session[0].id
    assert event.actor_id == owner.id
    assert event.details["end_reason"] == EndReason.ENDED_FROM_ALERT_EMAIL
    assert event.details["from"]["ip_address"] == "198.51.100.7"

    activity = signed_in_client(app, owner.email).get("/activity").get_data(as_text=True)
    assert "was signed out from the link in a security email" in activity


def test_the_link_works_only_once(app, client, link, chrome_session):
    press_button(client, link)
    before = state_of_everything(app)

    replayed = press_button(app.test_client(), link)
    reopened = app.test_client().get(url_of(link))

    for response in (replayed, reopened):
        assert response.status_code == 410
        assert "This link has already been used" in response.get_data(as_text=True)
    assert state_of_everything(app) == before


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_button_works_while_signed_out_with_csrf_on(app, link, chrome_session):
    browser = app.test_client()
    page = browser.get(url_of(link)).get_data(as_text=True)
    [csrf] = set(csrf_tokens_in(page))

    response = browser.post(url_of(link), data={"csrf_token": csrf}, headers={"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 200 and "The session has been ended" in response.get_data(as_text=True)
    assert not is_active(app, chrome_session[0].id)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_a_post_without_the_pages_csrf_token_changes_nothing(app, link, chrome_session):
    browser = app.test_client()
    browser.get(url_of(link))
    before = state_of_everything(app)

    response = browser.post(url_of(link), data={"csrf_token": "forged"})

    assert response.status_code == 400
    assert "That form had expired" in response.get_data(as_text=True)
    assert state_of_everything(app) == before


@pytest.mark.config(WTF_CSRF_ENABLED=True)
@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}])
def test_a_post_the_browser_says_came_from_another_site_changes_nothing(app, link, headers):
    browser = app.test_client()
    [csrf] = set(csrf_tokens_in(browser.get(url_of(link)).get_data(as_text=True)))
    before = state_of_everything(app)

    assert browser.post(url_of(link), data={"csrf_token": csrf}, headers=headers).status_code == 400
    assert state_of_everything(app) == before


# -- links that can no longer end anything -----------------------------------


def test_an_expired_link_says_so_and_changes_nothing(app, client, link, chrome_session, clock):
    clock.advance(days=7, seconds=1)
    before = state_of_everything(app)

    for response in (client.get(url_of(link)), press_button(client, link)):
        assert response.status_code == 410
        assert "This link has expired" in response.get_data(as_text=True)
    assert state_of_everything(app) == before


@pytest.mark.config(END_SESSION_LINK_LIFETIME=60)
def test_the_lifetime_is_a_setting(client, link, clock):
    clock.advance(seconds=59)
    assert client.get(url_of(link)).status_code == 200
    clock.advance(seconds=1)
    assert client.get(url_of(link)).status_code == 410


def test_a_link_whose_session_already_ended_says_so_and_changes_nothing(app, client, link, chrome_session):
    signed_in_there = app.test_client()
    signed_in_there.set_cookie(app.config["SESSION_TOKEN_COOKIE"], chrome_session[1])
    signed_in_there.post("/sign-out")
    before = state_of_everything(app)

    for response in (client.get(url_of(link)), press_button(client, link)):
        assert response.status_code == 410
        assert "That session has already ended" in response.get_data(as_text=True)
    assert state_of_everything(app) == before
    assert all(r.used_at is None for r in link_rows(app))


def forged_tokens(app: Flask, link: str, other_link_id: uuid.UUID) -> dict[str, str]:
    """Links made without the key, or made from a real one by changing what it names."""
    genuine = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALT)
    [link_hex, nonce] = genuine.loads(link)
    payload, _, signature = link.rpartition(".")
    retargeted = URLSafeSerializer("another key", salt=SALT).dumps([other_link_id.hex, nonce])
    return {
        "garbage": "not-a-link",
        "empty payload": ".",
        "too long": "a" * 5000,
        "other key": URLSafeSerializer("another key", salt=SALT).dumps([link_hex, nonce]),
        # The other link's id with this link's signature: the signature no longer matches.
        "tampered": retargeted.rpartition(".")[0] + "." + signature,
        "signature cut": payload,
        # Signed with the real key (as if it had leaked) but with a guessed nonce: the row's hash refuses it.
        "wrong nonce": genuine.dumps([other_link_id.hex, nonce]),
        "not a list": genuine.dumps({"id": link_hex}),
        "not an id": genuine.dumps(["x", nonce]),
        "unknown id": genuine.dumps([uuid.uuid4().hex, nonce]),
    }


def test_forged_and_tampered_links_are_refused_and_cannot_end_another_accounts_session(
    app, client, link, make_user, make_session, issue_link, chrome_session
):
    someone_else = make_user("someone.else@example.com")
    their_session, _ = make_session(someone_else)
    issue_link(their_session)
    [their_link] = [r for r in link_rows(app) if r.session_id == their_session.id]
    before = state_of_everything(app)

    for name, forged in forged_tokens(app, link, their_link.id).items():
        for response in (client.get(url_of(forged)), press_button(client, forged)):
            assert response.status_code == 404, name
            assert "This link doesn’t work" in response.get_data(as_text=True), name
    assert state_of_everything(app) == before
    assert is_active(app, their_session.id) and is_active(app, chrome_session[0].id)


def test_the_link_carries_no_session_token_and_signs_no_one_in(app, link, chrome_session):
    token = chrome_session[1]
    assert token not in link and hash_token(token) not in link

    browser = app.test_client()
    browser.set_cookie(app.config["SESSION_TOKEN_COOKIE"], link)
    assert browser.get("/devices").headers["Location"].startswith("/sign-in")
    press_button(browser, link)
    assert browser.get("/devices").headers["Location"].startswith("/sign-in")


def test_the_link_and_its_nonce_hash_are_never_logged(app, client, link, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "sqlalchemy.engine", "werkzeug"):
        caplog.set_level(logging.DEBUG, logger=name)
    [row] = link_rows(app)

    client.get(url_of(link))
    press_button(client, link)
    press_button(client, link)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert link not in logged and row.nonce_hash not in logged


def test_the_request_log_names_a_links_path_without_its_token(app, link, caplog):
    """What werkzeug's request log and Flask's "Exception on <path>" line would write."""
    caplog.set_level(logging.INFO)
    logging.getLogger("werkzeug").info('127.0.0.1 - - "%s %s HTTP/1.1" 200 -', "GET", url_of(link))
    app.logger.error("Exception on %s [POST]", url_of(link))

    logged = [record.getMessage() for record in caplog.records]
    assert logged == ['127.0.0.1 - - "GET /sessions/end/[link] HTTP/1.1" 200 -',
                      "Exception on /sessions/end/[link] [POST]"]


# -- the service --------------------------------------------------------------


def test_redeeming_answers_what_happened(app, services, link, chrome_session):
    with app.app_context():
        assert services.end_session_links.inspect(link).state == LinkState.USABLE
        ended = services.end_session_links.redeem(link)
        db.session.commit()
        assert ended.state == LinkState.ENDED_NOW and ended.session.id == chrome_session[0].id
        assert services.end_session_links.redeem(link).state == LinkState.USED
        assert services.end_session_links.inspect("x").state == LinkState.INVALID


def test_two_redeems_at_once_end_the_session_exactly_once(app, services, link, chrome_session, owner):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("real concurrent transactions need PostgreSQL")

    def redeem() -> LinkState:
        with app.app_context():
            state = services.end_session_links.redeem(link).state
            if state == LinkState.ENDED_NOW:
                db.session.commit()
            else:
                db.session.rollback()
            return state

    states = run_together(redeem, redeem)

    assert sorted(states) == sorted([LinkState.ENDED_NOW, LinkState.USED])
    revoked = [e for e in events_of(app, owner.id) if e.event_type == EventType.SESSION_REVOKED]
    assert len(revoked) == 1


def test_a_press_that_read_the_link_just_before_another_press_used_it_says_already_used(
    app, services, link, chrome_session, owner
):
    """The interleaving the race above can take: this press reads the link unused, the other one
    then ends the session and commits, and only then does this one look at the session."""
    import threading

    from sqlalchemy import event

    def other_press() -> None:
        with app.app_context():
            assert services.end_session_links.redeem(link).state == LinkState.ENDED_NOW
            db.session.commit()

    pressed: list[threading.Thread] = []

    def after_reading_the_link(conn, cursor, statement, parameters, context, executemany) -> None:
        if not pressed and statement.lstrip().upper().startswith("SELECT") and "FROM end_session_links" in statement:
            pressed.append(threading.Thread(target=other_press))
            pressed[0].start()
            pressed[0].join(timeout=30)

    with app.app_context():
        engine = db.engine
        event.listen(engine, "after_cursor_execute", after_reading_the_link)
        try:
            state = services.end_session_links.redeem(link).state
            db.session.rollback()
        finally:
            event.remove(engine, "after_cursor_execute", after_reading_the_link)

    assert pressed and not pressed[0].is_alive()
    assert state == LinkState.USED
    revoked = [e for e in events_of(app, owner.id) if e.event_type == EventType.SESSION_REVOKED]
    assert len(revoked) == 1
