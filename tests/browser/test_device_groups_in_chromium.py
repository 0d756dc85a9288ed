"""One device's sessions as one entry, in a real Chromium: no axe violation at desktop and phone width."""

import os

import pytest

from tests.browser.conftest import FIREFOX_LINUX, IPHONE
from tests.browser.test_accessibility import LANGUAGES, WIDTHS, _sign_in, _violations, axe_sync
from tests.helpers import active_sessions, client_details

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)
SCREENSHOTS = os.environ.get("DOORMAN_SCREENSHOTS")


@pytest.fixture
def phone_user(app, make_user, make_session):
    """Three sessions of one iPhone in Valencia, and this Firefox."""
    user = make_user("phone.user@example.com")
    for _ in range(3):
        make_session(user, **client_details(app, IPHONE, "147.156.1.1"))
    return user


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_device_with_three_sessions_is_one_entry_without_an_accessibility_violation(
        app, chromium, live_server, phone_user, language, width):
    columns, rows = WIDTHS[width]
    context = chromium.new_context(locale=LANGUAGES[language], viewport={"width": columns, "height": rows},
                                   user_agent=FIREFOX_LINUX, bypass_csp=True)
    try:
        page = context.new_page()
        _sign_in(page, live_server, phone_user.email)
        group = page.locator(".device-group")
        assert group.count() == 1 and group.locator(".session").count() == 3
        if SCREENSHOTS:
            page.screenshot(path=os.path.join(SCREENSHOTS, f"groups-{language}-{width}.png"), full_page=True)
        assert _violations(page, axe_sync.Axe()) == []

        group.locator(".device-group__header button").click()
        page.wait_for_url(f"{live_server}/devices")
        assert len(active_sessions(app, phone_user.id)) == 1
    finally:
        context.close()
