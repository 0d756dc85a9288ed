"""The support console in a real Chromium: its own links record a look, a foreign page's link cannot."""

import pytest

from app.models import EventType
from tests.browser.conftest import FIREFOX_LINUX, IPHONE, sign_in
from tests.conftest import PASSWORD
from tests.helpers import client_details, events_of

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)


def looks_at(app, user):
    return [e for e in events_of(app, user.id) if e.event_type == EventType.STAFF_VIEWED_SESSIONS]


@pytest.fixture
def customer(app, make_user, make_session):
    user = make_user("customer@example.com")
    make_session(user, **client_details(app, IPHONE, "147.156.1.1"))
    return user


@pytest.fixture
def desk(live_server, new_device, make_user):
    staff = make_user("agent@example.com", role="support")
    page = new_device(FIREFOX_LINUX)
    sign_in(page, live_server, staff.email, PASSWORD)
    return page


def test_clicking_from_the_search_to_an_account_records_the_look(app, live_server, customer, desk):
    desk.goto(f"{live_server}/support/")
    desk.get_by_label("Email starts with").fill("customer")
    desk.get_by_role("button", name="Search").click()
    assert looks_at(app, customer) == []  # finding an account is not looking at it

    desk.get_by_role("link", name="customer@example.com").click()

    desk.wait_for_url(f"{live_server}/support/users/{customer.id}")
    assert desk.get_by_role("heading", name="Active sessions (1)").is_visible()
    desk.reload()  # the same visit
    assert len(looks_at(app, customer)) == 1


def test_a_foreign_pages_link_records_nothing_until_the_staff_member_opens_the_account(app, live_server, customer,
                                                                                     desk):
    account = f"{live_server}/support/users/{customer.id}"
    desk.route("**://elsewhere.test/**", lambda route: route.fulfill(
        content_type="text/html", body=f'<!doctype html><a href="{account}">Your ticket</a>'))
    desk.goto("http://elsewhere.test/")

    desk.get_by_role("link", name="Your ticket").click()

    desk.wait_for_url(account)
    assert desk.get_by_role("heading", name="Open customer@example.com?").is_visible()
    assert desk.get_by_text("Active sessions").count() == 0
    assert looks_at(app, customer) == []

    desk.get_by_role("button", name="Open this account").click()

    assert desk.get_by_role("heading", name="Active sessions (1)").is_visible()
    assert desk.url == account
    assert len(looks_at(app, customer)) == 1
