"""Two browser contexts are two devices: one signs the other out."""

import pytest

from tests.browser.conftest import FIREFOX_LINUX, IPHONE, sign_in
from tests.conftest import PASSWORD
from tests.helpers import app_signed_in

# Real forms with CSRF, and the production cookies (browsers treat localhost as secure).
pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)


def test_one_device_signs_the_other_out(live_server, new_device, make_user):
    user = make_user("two.devices@example.com")
    laptop = new_device(FIREFOX_LINUX)
    phone = new_device(IPHONE, width=375, height=812)
    sign_in(phone, live_server, user.email, PASSWORD)
    sign_in(laptop, live_server, user.email, PASSWORD)

    laptop.goto(f"{live_server}/devices")
    assert laptop.locator(".session").count() == 2
    assert laptop.locator(".session--current").get_by_text("Firefox 121 on Linux").is_visible()
    laptop.get_by_role("button", name="Sign out Safari on iPhone").click()

    assert laptop.get_by_role("status").filter(has_text="Signed out Safari on iPhone.").is_visible()
    assert laptop.locator(".session").count() == 1

    phone.reload()
    assert phone.url.startswith(f"{live_server}/sign-in")
    assert phone.get_by_text("This session was signed out from another device.").is_visible()

    laptop.reload()
    assert laptop.url == f"{live_server}/devices"


def test_sign_out_all_others_asks_for_the_password(live_server, new_device, make_user):
    user = make_user("many.devices@example.com")
    pages = [new_device(IPHONE) for _ in range(2)]
    for page in pages:
        sign_in(page, live_server, user.email, PASSWORD)
    desk = new_device(FIREFOX_LINUX)
    sign_in(desk, live_server, user.email, PASSWORD)

    desk.get_by_label("Your password").fill("not my password")
    desk.get_by_role("button", name="Sign out all other sessions").click()
    assert desk.get_by_text("That password is not correct, so no sessions were signed out.").is_visible()
    assert desk.locator(".session").count() == 3

    desk.get_by_label("Your password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign out all other sessions").click()
    assert desk.get_by_text("Signed out 2 other sessions.").is_visible()
    for page in pages:
        page.reload()
        assert "/sign-in" in page.url


def test_the_page_fits_a_360_pixel_phone(live_server, new_device, make_user, make_session):
    user = make_user("narrow@example.com")
    make_session(user, browser="Samsung Internet 23", os="Android 14", device="Samsung SM-S911B",
                 city="São Paulo", country="Brazil", device_type="mobile")
    phone = new_device(IPHONE, width=360, height=740)
    sign_in(phone, live_server, user.email, PASSWORD)

    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")

    assert overflow <= 0
    assert phone.get_by_role("button", name="Sign out Samsung Internet on Samsung SM-S911B in São Paulo").is_visible()


def test_an_app_session_with_a_long_unbroken_name_fits_a_360_pixel_phone_and_says_it_is_an_app(
        app, live_server, new_device, make_user):
    user = make_user("app.holder@example.com")
    app_signed_in(app, user.email, client_name="DoormanEnterpriseCompanionForIPhoneAndVisionOSBetaChannel42")
    phone = new_device(IPHONE, width=360, height=740)
    sign_in(phone, live_server, user.email, PASSWORD)

    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")

    assert overflow <= 0
    app_row = phone.locator(".session").filter(has_text="DoormanEnterpriseCompanion")
    mark = app_row.locator(".badge--app")
    assert mark.is_visible()
    hidden_words = mark.locator(".visually-hidden").bounding_box()
    assert hidden_words is not None and hidden_words["width"] <= 1  # only the word "App" is seen
    box = mark.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360
    # What a screen reader reads for the mark: the word and what it means.
    assert mark.text_content() == "App: signed in through an app"
