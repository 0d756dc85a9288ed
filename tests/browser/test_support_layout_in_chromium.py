"""The support console as a new staff member sees it, measured in a real Chromium.

At 1280 px the whole staff navigation, "Sign out" included, sits on one line
in English and in Spanish; at 360 px it wraps without anything reaching past
the screen. The audit page's "Staff member" select looks like its text inputs.
"""

import os

import pytest

from tests.browser.conftest import FIREFOX_LINUX
from tests.browser.test_languages_in_chromium import OVERFLOWING
from tests.conftest import PASSWORD

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)

LOCALES = {"en": "en-GB", "es": "es-ES"}
# Where a person running the tests by hand asks for screenshots to look at; unset, none are taken.
SCREENSHOTS = os.environ.get("DOORMAN_SCREENSHOTS")

NAV_ITEMS = """() => Array.from(document.querySelectorAll('.site-header .brand, .site-nav > *')).map(el => {
  const box = el.getBoundingClientRect();
  return {text: el.textContent.trim(), top: Math.round(box.top), bottom: Math.round(box.bottom),
          middle: Math.round(box.top + box.height / 2)};
})"""

LOOKS = """selector => {
  const style = getComputedStyle(document.querySelector(selector));
  const box = document.querySelector(selector).getBoundingClientRect();
  return {height: Math.round(box.height), fontFamily: style.fontFamily, fontSize: style.fontSize,
          fontWeight: style.fontWeight, color: style.color,
          background: style.backgroundColor, border: style.border, radius: style.borderRadius,
          padding: style.padding};
}"""


def _staff_page(chromium, live_server: str, email: str, language: str, width: int):
    context = chromium.new_context(locale=LOCALES[language], user_agent=FIREFOX_LINUX,
                                   viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/sign-in")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(f"{live_server}/devices")
    return context, page


def _screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def admin(make_user):
    """An admin sees the most links: their own pages, support's and the staff audit."""
    return make_user("new.staff.member@example.com", role="admin")


@pytest.mark.parametrize("path", ["/support/", "/support/audit", "/devices"])
@pytest.mark.parametrize("language", LOCALES)
def test_the_staff_navigation_is_one_line_at_1280_px(chromium, live_server, admin, language, path):
    context, page = _staff_page(chromium, live_server, admin.email, language, 1280)
    try:
        page.goto(live_server + path)
        _screenshot(page, f"nav-{language}-1280-{path.strip('/').replace('/', '-') or 'root'}")
        items = page.evaluate(NAV_ITEMS)
    finally:
        context.close()
    assert [item["text"] for item in items][-1] in ("Sign out", "Cerrar sesión")
    middles = {item["middle"] for item in items}
    assert max(middles) - min(middles) <= 2, items
    # and every item's box overlaps every other's: none sits a line below the rest
    assert max(item["top"] for item in items) < min(item["bottom"] for item in items), items


@pytest.mark.parametrize("language", LOCALES)
def test_the_staff_navigation_wraps_within_a_360_px_phone(chromium, live_server, admin, language):
    context, page = _staff_page(chromium, live_server, admin.email, language, 360)
    try:
        page.goto(f"{live_server}/support/audit")
        _screenshot(page, f"nav-{language}-360-support-audit")
        overflowing = page.evaluate(OVERFLOWING)
        sign_out = page.locator(".site-nav button[type=submit]").bounding_box()
    finally:
        context.close()
    assert overflowing == []
    assert sign_out is not None and sign_out["x"] >= 0 and sign_out["x"] + sign_out["width"] <= 360


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_audit_pages_staff_select_looks_like_its_text_input(chromium, live_server, admin, scheme):
    context, page = _staff_page(chromium, live_server, admin.email, "en", 1280)
    try:
        page.emulate_media(color_scheme=scheme)
        page.goto(f"{live_server}/support/audit")
        _screenshot(page, f"audit-filters-{scheme}")
        select = page.evaluate(LOOKS, "select[name=staff]")
        text_input = page.evaluate(LOOKS, "input[name=account]")
    finally:
        context.close()
    assert select == text_input
