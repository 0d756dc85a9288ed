"""A session now used from another country sends a mail, in the move's transaction; another city sends none."""

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import EventType, MailKind, MailStatus, User, UserSession
from tests.conftest import create_test_app
from tests.helpers import events_of, signed_in_client
from tests.mmdb import LONDON, MADRID, KnownPlace, known_place_record, write_city_db

VALENCIA = KnownPlace({"en": "Spain", "es": "España"}, {"en": "Valencia", "es": "Valencia"}, "Europe/Madrid")
IN_MADRID, IN_VALENCIA, IN_LONDON = "81.0.0.7", "147.156.1.1", "81.2.69.7"
TOUCH = 60  # seconds
CHROME_ON_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/120.0.0.0 Safari/537.36")


@pytest.fixture(scope="module")
def three_cities(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_city_db(tmp_path_factory.mktemp("moves") / "City.mmdb", {
        "81.0.0.0/24": known_place_record("ES", MADRID),
        "147.156.0.0/16": known_place_record("ES", VALENCIA),
        "81.2.69.0/24": known_place_record("GB", LONDON),
    }))


@pytest.fixture
def move_app(app: Flask, database_url: str, three_cities: str, clock, smtp_server) -> Iterator[Flask]:
    """An app on the same database that knows the three cities and delivers to a real SMTP server."""
    url, _handler = smtp_server
    located = create_test_app(database_url, clock=clock, GEOIP_DATABASE=three_cities, SESSION_TOUCH_INTERVAL=TOUCH,
                              SMTP_URL=url, MAIL_FROM="Doorman <security@doorman.example>")
    yield located
    with located.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def madrileña(move_app, make_user, clock):
    """Signed in from Madrid, her new-device mail already sent; a touch is due."""
    user = make_user("madrid@example.com")
    browser = signed_in_client(move_app, user.email, ip_address=IN_MADRID, user_agent=CHROME_ON_MAC)
    deliver_once(move_app)
    clock.advance(seconds=TOUCH + 1)
    return user, browser


def deliver_once(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["mail", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def moved_mails(app: Flask) -> list:
    from tests.mail_fixtures import outbox_rows
    return [m for m in outbox_rows(app) if m.kind == MailKind.SESSION_MOVED]


def test_a_move_to_another_country_sends_a_mail_with_the_places_and_a_link_that_ends_that_session(
        move_app, madrileña, smtp_server, make_user):
    user, browser = madrileña
    _url, handler = smtp_server
    handler.received.clear()
    other = signed_in_client(move_app, user.email, ip_address=IN_MADRID)  # another session, kept

    browser.get("/devices", environ_base={"REMOTE_ADDR": IN_LONDON})

    [mail] = moved_mails(move_app)
    assert mail.status == MailStatus.PENDING and mail.recipient == user.email
    assert [e.event_type for e in events_of(move_app, user.id)].count(EventType.SESSION_MOVED) == 1
    deliver_once(move_app)
    [message] = [m for m in handler.received if m["Subject"] == "A Doorman session is now used from another country"]
    assert message["List-Unsubscribe"] == "<http://127.0.0.1:5000/account/settings>"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "from Madrid, Spain to London, United Kingdom" in text
    assert IN_LONDON in text and "Chrome 120 on macOS 10.15" in text
    assert re.search(r"Time: \d+ \w+ 2026, \d\d:\d\d ", text)
    [link] = re.findall(r"http://127\.0\.0\.1:5000/sessions/end/[^\s\"]+", text)
    assert f'href="{link}"' in html
    rows = dict(re.findall(r'<th scope="row" align="left">([^<]+)</th><td>([^<]+)</td>', html))
    assert rows == {"Device": "Chrome 120 on macOS 10.15", "From": "Madrid, Spain", "To": "London, United Kingdom",
                    "IP address": IN_LONDON, "Time": rows.get("Time")}
    assert re.match(r"\d+ \w+ 2026, \d\d:\d\d ", rows["Time"])

    anonymous = move_app.test_client()
    path = link.removeprefix("http://127.0.0.1:5000")
    page = anonymous.get(path).get_data(as_text=True)
    assert "Chrome 120 on macOS 10.15" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    anonymous.post(path, data={"csrf_token": csrf.group(1)} if csrf else {})
    with move_app.app_context():
        rows = {row.id: row.is_active for row in db.session.scalars(select(UserSession))}
    assert sorted(rows.values()) == [False, True]  # the moved session ended, the other kept
    assert other.get("/devices").status_code == 200


def test_a_move_to_another_city_of_the_same_country_sends_nothing(move_app, madrileña):
    user, browser = madrileña

    browser.get("/devices", environ_base={"REMOTE_ADDR": IN_VALENCIA})

    assert [e.event_type for e in events_of(move_app, user.id)].count(EventType.SESSION_MOVED) == 1
    assert moved_mails(move_app) == []


def test_the_same_country_again_sends_nothing(move_app, madrileña):
    _user, browser = madrileña

    browser.get("/devices", environ_base={"REMOTE_ADDR": "81.0.0.99"})

    assert moved_mails(move_app) == []


def test_the_mail_is_in_the_readers_language_and_zone_and_names_the_device(move_app, madrileña, clock):
    user, browser = madrileña
    with move_app.app_context():
        row = db.session.get(User, user.id)
        row.language, row.time_zone = "es", "America/Mexico_City"
        db.session.commit()
    page = browser.get("/devices").get_data(as_text=True)
    [device] = re.findall(r'action="/devices/known/(\d+)/name"', page)
    browser.post(f"/devices/known/{device}/name", data={"name": "Portátil <del trabajo>"})
    clock.advance(seconds=TOUCH + 1)

    browser.get("/devices", environ_base={"REMOTE_ADDR": IN_LONDON})

    [mail] = moved_mails(move_app)
    assert mail.subject == "Una sesión de Doorman se está usando desde otro país"
    assert "de Madrid, España a Londres, Reino Unido" in mail.text_body
    assert "Nombre del dispositivo: Portátil <del trabajo>" in mail.text_body
    assert "Portátil &lt;del trabajo&gt;" in mail.html_body and "<del trabajo>" not in mail.html_body
    assert re.search(r"\d\d:\d\d (CST|GMT-6|hora)", mail.text_body), mail.text_body


def test_turning_off_new_device_emails_turns_this_one_off_too(move_app, madrileña):
    user, browser = madrileña
    with move_app.app_context():
        db.session.get(User, user.id).new_device_emails = False
        db.session.commit()

    browser.get("/devices", environ_base={"REMOTE_ADDR": IN_LONDON})

    assert [e.event_type for e in events_of(move_app, user.id)].count(EventType.SESSION_MOVED) == 1
    assert moved_mails(move_app) == []
