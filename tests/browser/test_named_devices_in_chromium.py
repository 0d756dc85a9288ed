"""Naming a device in a real Chromium: the name heads its entry; no axe violation at desktop and phone width."""

import os

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import KnownDevice, UserSession
from tests.browser.conftest import FIREFOX_LINUX, IPHONE
from tests.browser.test_accessibility import LANGUAGES, WIDTHS, _sign_in, _violations, axe_sync
from tests.helpers import client_details

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)
SCREENSHOTS = os.environ.get("DOORMAN_SCREENSHOTS")
NAME = "Work laptop <script>"
SAVE = {"en": "Save name", "es": "Guardar el nombre"}
NAME_IT = {"en": "Name this device", "es": "Poner nombre a este dispositivo"}


@pytest.fixture
def traveller(app, make_user, make_session):
    """Two sessions of an iPhone in Valencia (one device, by its look), and this browser, to be signed in."""
    user = make_user("named.devices@example.com")
    for _ in range(2):
        make_session(user, **client_details(app, IPHONE, "147.156.1.1"))
    return user


def same_device_elsewhere(app, make_session, user) -> None:
    """Another session of this browser's known device (its device cookie), used from London."""
    row, _ = make_session(user, **client_details(app, FIREFOX_LINUX, "81.2.69.142"))
    with app.app_context():
        device_id = db.session.scalar(select(KnownDevice.id).where(KnownDevice.user_id == user.id))
        db.session.execute(update(UserSession).where(UserSession.id == row.id).values(known_device_id=device_id))
        db.session.commit()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_naming_this_device_shows_its_name_without_an_accessibility_violation(
        app, chromium, live_server, traveller, make_session, language, width):
    columns, rows = WIDTHS[width]
    context = chromium.new_context(locale=LANGUAGES[language], viewport={"width": columns, "height": rows},
                                   user_agent=FIREFOX_LINUX, bypass_csp=True)
    axe = axe_sync.Axe()
    try:
        page = context.new_page()
        _sign_in(page, live_server, traveller.email)
        same_device_elsewhere(app, make_session, traveller)
        page.reload()
        found = _violations(page, axe)

        # A name too long: refused in the reader's language, the form left open with what was typed.
        page.locator("details.device-name summary", has_text=NAME_IT[language]).first.click()
        found += _violations(page, axe)
        field = page.locator("details.device-name[open] input[name=name]")
        field.fill("x" * 41)
        page.locator("details.device-name[open] button[name=submit]").click()
        page.wait_for_selector(".field__error")
        assert page.locator("details.device-name[open] input[name=name]").input_value() == "x" * 41
        found += _violations(page, axe)

        page.locator("details.device-name[open] input[name=name]").fill(NAME)
        page.get_by_role("button", name=SAVE[language]).click()
        page.wait_for_selector(".flash")
        heading = page.locator(".device-group--current .device-group__name")
        assert heading.inner_text().startswith(NAME)  # as typed, never markup
        assert page.locator(".device-group--current .session").count() == 2
        if SCREENSHOTS:
            page.screenshot(path=os.path.join(SCREENSHOTS, f"named-{language}-{width}.png"), full_page=True)
        found += _violations(page, axe)
        page.locator(".device-group--current details.device-name summary").click()
        found += _violations(page, axe)
        page.goto(f"{live_server}/activity")
        assert NAME in page.locator("main").inner_text()
        found += _violations(page, axe)
    finally:
        context.close()
    assert not found, "\n".join(found)
