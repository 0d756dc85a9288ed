"""axe-core (the copy axe-playwright-python carries, no CDN) finds nothing on any page.

Every page, in Spanish and English, in light and dark color schemes, at
desktop and phone width: zero violations.
"""

import pytest

from app.extensions import db
from app.extensions import services as services_of
from app.models import MailKind
from tests.browser.conftest import FIREFOX_LINUX, IPHONE
from tests.conftest import PASSWORD
from tests.helpers import client_details

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed")

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)

LANGUAGES = {"en": "en-GB", "es": "es-ES"}
WIDTHS = {"desktop": (1280, 900), "phone": (360, 780)}


@pytest.fixture
def accounts(app, make_user, make_session):
    """A customer signed in on two devices, and an admin (who sees every page, support's too)."""
    customer = make_user("customer@example.com")
    phone, _ = make_session(customer, **client_details(app, IPHONE, "147.156.1.1"))
    make_session(customer, **client_details(app, FIREFOX_LINUX, "81.2.69.142"))
    admin = make_user("admin@example.com", role="admin")
    with app.app_context():
        # An alert email's "Not you? End this session" link for the phone.
        link = services_of(app).end_session_links.issue(db.session.merge(phone))
        db.session.commit()
    with app.app_context():  # an email given up on, so the admins' list of them has a row
        outbox = services_of(app).outbox
        mail = outbox.enqueue(user_id=customer.id, kind=MailKind.NEW_DEVICE.value, recipient=customer.email,
                              subject="s", text_body="t", html_body="<p>h</p>")
        outbox.failed_attempt(mail.id, "SMTPRecipientsRefused: 550 5.1.1 mailbox unavailable", permanent=True)
        db.session.commit()
    return customer, admin, link


def _browser_page(chromium, language: str, scheme: str, width: str):
    columns, rows = WIDTHS[width]
    # bypass_csp: axe is injected into pages whose policy rightly allows no script of ours.
    context = chromium.new_context(
        locale=LANGUAGES[language], color_scheme=scheme, viewport={"width": columns, "height": rows},
        user_agent=FIREFOX_LINUX, bypass_csp=True,
    )
    return context, context.new_page()


def _sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/sign-in")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(f"{base_url}/devices")


def _violations(page, axe) -> list[str]:
    results = axe.run(page)
    return [
        f"{page.url} [{v['id']}] {v['help']}: " + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_has_an_accessibility_violation(app, chromium, live_server, accounts, language, scheme, width):
    customer, admin, link = accounts
    axe = axe_sync.Axe()
    context, page = _browser_page(chromium, language, scheme, width)
    found: list[str] = []
    try:
        for path in ("/sign-in", "/no-such-page"):
            page.goto(live_server + path)
            found += _violations(page, axe)
        page.goto(f"{live_server}/sign-in")
        page.locator("main form [type=submit]").first.click()  # the form with its errors shown
        found += _violations(page, axe)

        # The end-session link's page, the page after its button, and the link used up.
        page.goto(f"{live_server}/sessions/end/{link}")
        found += _violations(page, axe)
        page.locator("main form button").click()
        page.wait_for_load_state()
        found += _violations(page, axe)
        page.goto(f"{live_server}/sessions/end/{link}")
        found += _violations(page, axe)

        _sign_in(page, live_server, admin.email)
        for path in ("/devices", "/activity", "/account/password", "/account/settings",
                     "/confirm-password?next=/devices", "/support/", "/support/?q=customer",
                     f"/support/users/{customer.id}", "/support/audit", "/support/mail"):
            page.goto(live_server + path)
            if page.locator("form[action$='/open'] button").count():
                found += _violations(page, axe)  # the "open this account?" step is a page too
                page.locator("form[action$='/open'] button").first.click()
                page.wait_for_load_state()
            found += _violations(page, axe)
        # Support signs a session out with a reason: the account page with its flash message and an
        # ended session's row, then the staff audit filtered to that account.
        page.goto(f"{live_server}/support/users/{customer.id}")
        page.locator(".session__staff-action input[name=reason]").first.fill("Customer called in, ticket 4411")
        page.locator(".session__staff-action [type=submit]").first.click()
        page.wait_for_selector(".flash")
        found += _violations(page, axe)
        page.goto(f"{live_server}/support/audit?account={customer.email}")
        found += _violations(page, axe)
    finally:
        context.close()
    assert not found, "\n".join(found)


def test_axe_reports_what_it_finds(chromium):
    """The check can fail: a page with an unlabelled image and no language is reported."""
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.set_content("<!doctype html><html><head><title>x</title></head><body><img src='x.png'></body></html>")
        rules = {v["id"] for v in axe_sync.Axe().run(page).response["violations"]}
    finally:
        context.close()
    assert {"image-alt", "html-has-lang"} <= rules
