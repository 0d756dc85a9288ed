"""A session flagged as moved, in a real Chromium: no axe violation, dismissed with its button."""

import os

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import UserSession
from tests.browser.conftest import FIREFOX_LINUX, IPHONE
from tests.browser.test_accessibility import LANGUAGES, WIDTHS, _sign_in, _violations, axe_sync
from tests.helpers import client_details

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)
SCREENSHOTS = os.environ.get("DOORMAN_SCREENSHOTS")


@pytest.fixture
def traveller(app, make_user, make_session, clock):
    """Someone whose phone's session was last used from Lagos."""
    user = make_user("traveller@example.com")
    phone, _ = make_session(user, **client_details(app, IPHONE, "147.156.1.1"))
    with app.app_context():
        db.session.execute(update(UserSession).where(UserSession.id == phone.id).values(
            moved_at=clock.now(), last_ip_address="41.58.0.10", last_country_code="NG", last_country="Nigeria",
            last_city="Lagos"))
        db.session.commit()
    return user


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_moved_session_is_flagged_without_an_accessibility_violation(chromium, live_server, traveller,
                                                                       language, width):
    columns, rows = WIDTHS[width]
    context = chromium.new_context(locale=LANGUAGES[language], viewport={"width": columns, "height": rows},
                                   user_agent=FIREFOX_LINUX, bypass_csp=True)
    try:
        page = context.new_page()
        _sign_in(page, live_server, traveller.email)
        flag = page.locator(".session__moved")
        assert flag.count() == 1
        assert "Lagos, Nigeria" in flag.inner_text()
        if SCREENSHOTS:
            page.screenshot(path=os.path.join(SCREENSHOTS, f"moved-{language}-{width}.png"), full_page=True)
        assert _violations(page, axe_sync.Axe()) == []

        flag.locator("button").click()
        page.wait_for_url(f"{live_server}/devices")
        assert page.locator(".session__moved").count() == 0
    finally:
        context.close()
