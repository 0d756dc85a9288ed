"""One browser's sessions are one device entry wherever they were used from; a person names their devices."""

import re

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import KnownDevice, UserSession
from bench.statements import recorded_statements
from tests.conftest import PASSWORD
from tests.mail_fixtures import LONDON_IP, MADRID_IP, browser

pytestmark = pytest.mark.usefixtures("geo_app")

DEVICE_COOKIE = "__Host-doorman-device"


def sign_in(client, email):
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def same_browser_elsewhere(app: Flask, first, *, ip: str):
    """Another cookie jar that carries ``first``'s device cookie: the same browser, another session."""
    other = browser(app, ip=ip)
    other.set_cookie(DEVICE_COOKIE, first.get_cookie(DEVICE_COOKIE).value)
    return other


def device_groups(page: str) -> int:
    """How many entries of several sessions the devices page shows."""
    return len(re.findall(r'<section class="device-group[ "]', page))


@pytest.fixture
def two_places_one_browser(geo_app, make_user):
    """Two sessions of one browser (one device cookie), one from Madrid and one from London."""
    user = make_user("traveller@example.com")
    madrid = sign_in(browser(geo_app, ip=MADRID_IP), user.email)
    london = sign_in(same_browser_elsewhere(geo_app, madrid, ip=LONDON_IP), user.email)
    return user, madrid, london


def test_sessions_of_one_device_cookie_are_one_entry_even_from_two_places(geo_app, two_places_one_browser):
    user, madrid, _london = two_places_one_browser
    with geo_app.app_context():
        devices = {row.known_device_id for row in db.session.scalars(select(UserSession))}
        assert len(devices) == 1 and None not in devices

    page = madrid.get("/devices").get_data(as_text=True)

    assert device_groups(page) == 1
    assert "2 sessions" in page
    assert "Madrid, Spain" in page and "London, United Kingdom" in page


def test_a_session_without_the_cookie_is_another_entry(geo_app, make_user):
    user = make_user()
    first = sign_in(browser(geo_app, ip=MADRID_IP), user.email)
    sign_in(browser(geo_app, ip=MADRID_IP), user.email)  # another browser: a new device cookie

    page = first.get("/devices").get_data(as_text=True)

    assert device_groups(page) == 0  # two devices of one session each
    assert page.count('class="session ') + page.count('class="session"') == 2


def test_the_devices_page_reads_the_same_number_of_statements_however_many_sessions(geo_app, make_user):
    user = make_user()
    first = sign_in(browser(geo_app), user.email)
    first.get("/devices")
    with recorded_statements(geo_app) as few:
        first.get("/devices")
    for _ in range(4):
        sign_in(same_browser_elsewhere(geo_app, first, ip=LONDON_IP), user.email)
        sign_in(browser(geo_app), user.email)
    with geo_app.app_context():
        for device in db.session.scalars(select(KnownDevice)):
            device.name = "Named"
        db.session.commit()

    with recorded_statements(geo_app) as many:
        page = first.get("/devices").get_data(as_text=True)

    assert page.count("Named") >= 2
    assert len(many) == len(few)


def the_device_id(app: Flask, user_id: int) -> int:
    with app.app_context():
        return db.session.scalars(select(KnownDevice.id).where(KnownDevice.user_id == user_id)).first()


def device_name(app: Flask, device_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(select(KnownDevice.name).where(KnownDevice.id == device_id))


@pytest.fixture
def owner(geo_app, make_user):
    """A person signed in from one browser, and the id of that browser's known device."""
    user = make_user("owner@example.com")
    client = sign_in(browser(geo_app), user.email)
    return user, client, the_device_id(geo_app, user.id)


def test_a_person_names_their_device_and_it_heads_its_entry(geo_app, owner):
    _user, client, device_id = owner
    page = client.get("/devices").get_data(as_text=True)
    assert "Name this device" in page and f'action="/devices/known/{device_id}/name"' in page

    response = client.post(f"/devices/known/{device_id}/name", data={"name": "  Work laptop  ", "submit": "1"})

    assert response.status_code == 302
    assert device_name(geo_app, device_id) == "Work laptop"  # stripped, kept as typed
    page = client.get("/devices").get_data(as_text=True)
    assert "This device is now called “Work laptop”." in page
    assert re.search(r'<h2 class="device-group__name"[^>]*>Work laptop', page)
    assert "Chrome on macOS · Madrid, Spain · 1 session" in page  # what it is, under its name
    assert "Rename this device" in page
    assert 'aria-label="Sign out this device: Work laptop"' in page


def test_a_name_can_be_changed_and_cleared(geo_app, owner):
    _user, client, device_id = owner
    client.post(f"/devices/known/{device_id}/name", data={"name": "Work laptop"})
    client.post(f"/devices/known/{device_id}/name", data={"name": "Home laptop"})
    assert device_name(geo_app, device_id) == "Home laptop"

    client.post(f"/devices/known/{device_id}/name", data={"name": "", "clear": "1"})

    assert device_name(geo_app, device_id) is None
    assert "Name this device" in client.get("/devices").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["", "   ", "x" * 41])
def test_a_bad_name_is_refused_clearly_and_nothing_is_lost(geo_app, owner, typed):
    _user, client, device_id = owner
    client.post(f"/devices/known/{device_id}/name", data={"name": "Work laptop"})

    response = client.post(f"/devices/known/{device_id}/name", data={"name": typed})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert device_name(geo_app, device_id) == "Work laptop"
    expected = ("A device’s name can be at most 40 characters." if typed.strip()
                else "Type a name for this device, or clear its name.")
    assert page.count(expected) == 2  # the flash, and the field's error
    assert f'aria-describedby="device-name-{device_id}-error"' in page
    assert '<details class="device-name" open>' in page
    if typed.strip():
        assert f'value="{typed}"' in page  # what was typed is still there to fix


def test_a_bad_name_is_refused_in_spanish_for_a_spanish_reader(geo_app, owner):
    _user, client, device_id = owner
    client.post("/language", data={"language": "es", "next": "/devices"})

    page = client.post(f"/devices/known/{device_id}/name", data={"name": "x" * 41}).get_data(as_text=True)

    assert "El nombre de un dispositivo puede tener como máximo 40 caracteres." in page


def test_another_accounts_device_is_not_found_and_unchanged(geo_app, owner, make_user):
    _user, _client, device_id = owner
    stranger = sign_in(browser(geo_app), make_user("stranger@example.com").email)

    assert stranger.post(f"/devices/known/{device_id}/name", data={"name": "Mine now"}).status_code == 404
    assert stranger.post(f"/devices/known/{device_id}/name", data={"name": "x" * 99}).status_code == 404
    assert stranger.post(f"/devices/known/{device_id}/name", data={"clear": "1"}).status_code == 404
    assert stranger.post("/devices/known/999999/name", data={"name": "Nothing"}).status_code == 404
    assert device_name(geo_app, device_id) is None


def test_a_name_is_never_markup(geo_app, owner):
    _user, client, device_id = owner
    typed = "<script>alert(1)</script>"

    client.post(f"/devices/known/{device_id}/name", data={"name": typed})

    assert device_name(geo_app, device_id) == typed
    for path in ("/devices", "/activity"):
        page = client.get(path).get_data(as_text=True)
        assert typed not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_activity_names_the_device_of_each_sessions_events(geo_app, owner):
    user, client, device_id = owner
    client.post(f"/devices/known/{device_id}/name", data={"name": "Work laptop"})
    sign_in(browser(geo_app), user.email)  # another, unnamed device

    page = client.get("/activity").get_data(as_text=True)

    assert page.count("Device: Work laptop") == 1  # this browser's sign-in; not the other's


def test_the_activity_page_reads_the_device_names_in_one_statement(geo_app, owner):
    user, client, device_id = owner
    client.post(f"/devices/known/{device_id}/name", data={"name": "Work laptop"})
    client.get("/activity")
    with recorded_statements(geo_app) as few:
        client.get("/activity")
    for _ in range(5):
        sign_in(same_browser_elsewhere(geo_app, client, ip=LONDON_IP), user.email)

    with recorded_statements(geo_app) as many:
        page = client.get("/activity").get_data(as_text=True)

    assert page.count("Device: Work laptop") >= 6  # every sign-in of this browser
    assert len(many) == len(few)


def test_signing_out_everywhere_else_names_the_device_in_the_mail(geo_app, owner, make_user):
    from tests.mail_fixtures import outbox_rows
    user, client, device_id = owner
    client.post(f"/devices/known/{device_id}/name", data={"name": "<b>Work</b> laptop"})
    sign_in(browser(geo_app), user.email)

    client.post("/devices/sign-out-others", data={"password": PASSWORD})

    mail = outbox_rows(geo_app)[-1]
    assert mail.kind == "other_sessions_signed_out"
    assert "Device name: <b>Work</b> laptop" in mail.text_body
    assert "&lt;b&gt;Work&lt;/b&gt; laptop" in mail.html_body and "<b>Work</b>" not in mail.html_body
