"""/dev/mail in a real browser: the mail's HTML is drawn in a sandbox where its script never runs; axe finds nothing."""

import pytest

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed")

pytestmark = pytest.mark.env(DOORMAN_ENV="development")

EML = (
    "Subject: New sign-in to your Doorman account\nTo: owner@example.com\nMIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=b\n\n"
    "--b\nContent-Type: text/plain; charset=utf-8\n\nEnd it: http://127.0.0.1:5000/devices\n"
    "--b\nContent-Type: text/html; charset=utf-8\n\n"
    "<p id=greeting>Hello from the mail</p><script>document.body.dataset.ran = 'yes'</script>\n--b--\n"
)


@pytest.fixture
def mailbox(app, tmp_path):
    app.config["DEV_MAIL_DIRECTORY"] = str(tmp_path)
    (tmp_path / "20261103T090000-abcdef01.eml").write_text(EML)
    return tmp_path


def test_the_mail_is_shown_and_its_script_does_not_run(chromium, live_server, mailbox):
    context = chromium.new_context(bypass_csp=True)  # for axe; the sandbox alone keeps the script from running
    page = context.new_page()
    axe = axe_sync.Axe()
    try:
        page.goto(f"{live_server}/dev/mail")
        assert axe.run(page).response["violations"] == []
        page.get_by_role("link", name="New sign-in to your Doorman account").click()
        page.wait_for_url("**/dev/mail/20261103T090000-abcdef01.eml")
        frame = page.frame_locator("iframe.dev-mail__html")
        assert frame.locator("#greeting").inner_text() == "Hello from the mail"
        assert frame.locator("body[data-ran]").count() == 0
        assert page.get_by_role("link", name="http://127.0.0.1:5000/devices").count() == 1
        assert axe.run(page).response["violations"] == []
    finally:
        context.close()


def test_the_mail_is_drawn_under_the_pages_own_security_policy(chromium, live_server, mailbox):
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(f"{live_server}/dev/mail/20261103T090000-abcdef01.eml")
        frame = page.frame_locator("iframe.dev-mail__html")
        assert frame.locator("#greeting").inner_text() == "Hello from the mail"
        assert frame.locator("body[data-ran]").count() == 0
    finally:
        context.close()
