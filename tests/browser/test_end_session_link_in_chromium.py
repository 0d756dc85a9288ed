"""An alert email's link in a real browser: the page shows the session, its button ends exactly that one."""

import pytest

from app.extensions import db
from tests.browser.conftest import FIREFOX_LINUX, IPHONE, sign_in
from tests.conftest import PASSWORD
from tests.helpers import active_sessions

# Real forms with CSRF, and the production cookies (browsers treat localhost as secure).
pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)


def test_the_link_ends_the_phones_session_and_leaves_the_laptop_signed_in(
    app, services, live_server, new_device, make_user
):
    user = make_user("alerted@example.com")
    phone = new_device(IPHONE, width=375, height=812)
    laptop = new_device(FIREFOX_LINUX)
    sign_in(phone, live_server, user.email, PASSWORD)
    sign_in(laptop, live_server, user.email, PASSWORD)
    [phone_session] = [s for s in active_sessions(app, user.id) if s.browser and s.browser.startswith("Safari")]
    with app.app_context():
        link = services.end_session_links.issue(db.session.merge(phone_session))
        db.session.commit()

    mail_reader = new_device(FIREFOX_LINUX)  # signed out, like a mail app's browser
    mail_reader.goto(f"{live_server}/sessions/end/{link}")
    assert mail_reader.get_by_role("heading", name="Not you? End this session").is_visible()
    assert mail_reader.get_by_text("Safari 17 on iOS 17.1").is_visible()
    mail_reader.reload()  # opening it again changes nothing
    mail_reader.get_by_role("button", name="End this session").click()

    assert mail_reader.get_by_role("heading", name="The session has been ended").is_visible()
    assert mail_reader.get_by_role("link", name="Sign in and change your password").is_visible()
    phone.reload()
    assert phone.url.startswith(f"{live_server}/sign-in")
    laptop.reload()
    assert laptop.url == f"{live_server}/devices"

    mail_reader.goto(f"{live_server}/sessions/end/{link}")
    assert mail_reader.get_by_role("heading", name="This link has already been used").is_visible()
