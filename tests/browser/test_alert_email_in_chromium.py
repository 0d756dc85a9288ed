"""The whole alert, as its reader lives it: a new browser signs in, the worker mails it over real
SMTP, and the link in the received message ends that browser's session in a real Chromium."""

import re

import pytest

from tests.browser.conftest import FIREFOX_LINUX, IPHONE, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)


def test_the_link_in_the_received_alert_ends_that_sign_in_and_no_other(
    app, live_server, new_device, make_user, smtp_server
):
    url, received = smtp_server
    app.config["SMTP_URL"] = url
    user = make_user("alerted.reader@example.com")
    laptop = new_device(FIREFOX_LINUX)
    sign_in(laptop, live_server, user.email, PASSWORD)
    phone = new_device(IPHONE, width=375, height=812)
    sign_in(phone, live_server, user.email, PASSWORD)  # someone else's phone, say

    result = app.test_cli_runner().invoke(args=["mail", "deliver", "--once"])
    assert result.exit_code == 0, result.output

    # One alert per new browser, both for this account; the phone's is the one that names it.
    alerts = [m for m in received.received if m["To"] == user.email]
    assert len(alerts) == 2
    [phone_alert] = [m for m in alerts if "Safari 17 on iOS 17.1 · iPhone" in m.get_body(("plain",)).get_content()]
    assert phone_alert["Auto-Submitted"] == "auto-generated" and phone_alert["List-Unsubscribe"]
    text = phone_alert.get_body(("plain",)).get_content()
    [link] = re.findall(r"https?://\S+/sessions/end/\S+", text)
    path = link[link.index("/sessions/end/"):]

    mail_reader = new_device(FIREFOX_LINUX)  # signed out, like a mail app's browser
    mail_reader.goto(live_server + path)
    assert mail_reader.get_by_text("Safari 17 on iOS 17.1").is_visible()
    mail_reader.get_by_role("button", name="End this session").click()
    assert mail_reader.get_by_role("heading", name="The session has been ended").is_visible()

    phone.reload()
    assert phone.url.startswith(f"{live_server}/sign-in")  # that browser is signed out
    laptop.reload()
    assert laptop.url == f"{live_server}/devices"  # the owner's other session is not
