"""Spanish in a real Chromium: chosen from Accept-Language and from the switch, and nothing cut off at 360 px."""

import pytest
from flask_babel import force_locale, gettext

from tests.browser.conftest import IPHONE
from tests.conftest import PASSWORD
from tests.helpers import client_details

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)

# Every element of the page that reaches past the viewport's edges, or whose
# own box cuts its content off: what a reader at this width cannot see.
OVERFLOWING = """() => {
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.skip-link')) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    const label = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' "' +
                  (el.textContent || '').trim().slice(0, 40) + '"';
    if (box.right > window.innerWidth + 1 || box.left < -1) found.push('past the edge: ' + label);
    const style = getComputedStyle(el);
    if (style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) found.push('cut off: ' + label);
  }
  if (document.documentElement.scrollWidth > window.innerWidth) found.push('the page scrolls sideways');
  return found;
}"""


def spanish(app, message: str) -> str:
    with app.test_request_context(), force_locale("es"):
        translated = gettext(message)
    assert translated != message, f"{message!r} has no Spanish translation"
    return translated


@pytest.fixture
def customer(app, make_user, make_session):
    user = make_user("cliente.con.un.correo.largo@ejemplo.example.com")
    make_session(user, **client_details(app, IPHONE, "147.156.1.1"))
    make_session(user, **client_details(app, IPHONE, "81.2.69.142"))
    return user


def _phone(chromium, locale: str):
    return chromium.new_context(locale=locale, user_agent=IPHONE, viewport={"width": 360, "height": 780})


def test_the_sign_in_page_is_spanish_for_a_spanish_browser(app, chromium, live_server):
    context = _phone(chromium, "es-ES")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/sign-in")
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_role("button", name=spanish(app, "Sign in")).is_visible()
        assert page.get_by_label(spanish(app, "Password")).is_visible()
    finally:
        context.close()


def test_the_switch_turns_an_english_page_spanish_and_it_stays(app, chromium, live_server):
    context = _phone(chromium, "en-GB")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/sign-in")
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_label("Language").select_option("es")
        page.get_by_role("button", name="Change language").click()
        page.wait_for_url(f"{live_server}/sign-in")
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_role("button", name=spanish(app, "Sign in")).is_visible()
        page.goto(f"{live_server}/sign-in")  # the cookie keeps the choice
        assert page.locator("html").get_attribute("lang") == "es"
    finally:
        context.close()


def test_the_spanish_devices_page_fits_a_phone(app, chromium, live_server, customer):
    context = _phone(chromium, "es-ES")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/sign-in")
        page.locator("input[name=email]").fill(customer.email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("main form [type=submit]").click()
        page.wait_for_url(f"{live_server}/devices")
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_role("heading", level=1).inner_text() == spanish(app, "Your devices")
        assert page.evaluate(OVERFLOWING) == []
    finally:
        context.close()
