"""With CSRF protection on: the support console's POSTs need the page's token."""

import pytest

from tests.conftest import PASSWORD
from tests.helpers import active_sessions, csrf_tokens_in, event_types

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)

REASON = "account recovery, ticket 4411"


def sign_in(client, email):
    token = csrf_tokens_in(client.get("/sign-in").get_data(as_text=True))[0]  # the sign-in form, not the language's
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.fixture
def desk_and_target(app, make_user, make_session):
    customer = make_user()
    row, _ = make_session(customer)
    desk = app.test_client()
    desk.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"  # a current browser, inside the console
    sign_in(desk, make_user(role="support").email)
    return desk, customer, row


@pytest.mark.parametrize("csrf_token", [None, "", "forged-token"])
@pytest.mark.parametrize("action", ["one", "all"])
def test_support_posts_without_a_valid_token_change_nothing(app, desk_and_target, csrf_token, action):
    desk, customer, row = desk_and_target
    url = (f"/support/users/{customer.id}/sessions/{row.id}/sign-out" if action == "one"
           else f"/support/users/{customer.id}/sign-out-all")
    data = {"reason": REASON} if csrf_token is None else {"reason": REASON, "csrf_token": csrf_token}
    before = event_types(app, customer.id)

    response = desk.post(url, data=data, headers={"Referer": f"http://localhost/support/users/{customer.id}"},
                         follow_redirects=True)

    assert "That form had expired, so nothing was changed." in response.get_data(as_text=True)
    assert len(active_sessions(app, customer.id)) == 1
    assert [t for t in event_types(app, customer.id) if t != "staff_viewed_sessions"] == before


@pytest.mark.parametrize("action", ["one", "all"])
def test_support_posts_with_the_pages_token_work(app, desk_and_target, action):
    desk, customer, row = desk_and_target
    page = desk.get(f"/support/users/{customer.id}").get_data(as_text=True)
    tokens = csrf_tokens_in(page)
    # Sign-out in the header, revealing this session's address, signing it out, all sessions, the language switch.
    assert len(tokens) == 5
    url = (f"/support/users/{customer.id}/sessions/{row.id}/sign-out" if action == "one"
           else f"/support/users/{customer.id}/sign-out-all")

    response = desk.post(url, data={"reason": REASON, "csrf_token": tokens[1]})

    assert (response.status_code, response.headers["Location"]) == (302, f"/support/users/{customer.id}")
    assert active_sessions(app, customer.id) == []


def test_the_search_and_audit_forms_are_gets_without_tokens(app, make_user):
    admin = app.test_client()
    sign_in(admin, make_user(role="admin").email)
    for url in ("/support/", "/support/audit"):
        page = admin.get(url).get_data(as_text=True)
        assert 'method="get"' in page
        assert len(csrf_tokens_in(page)) == 2  # only the header's sign-out form and the footer's language switch


@pytest.mark.parametrize("csrf_token", [None, "forged-token"])
def test_opening_an_account_from_elsewhere_needs_the_questions_token(app, desk_and_target, csrf_token):
    desk, customer, _ = desk_and_target
    url = f"/support/users/{customer.id}/open"

    response = desk.post(url, data={} if csrf_token is None else {"csrf_token": csrf_token},
                         headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=True)

    assert "That form had expired, so nothing was changed." in response.get_data(as_text=True)
    assert "staff_viewed_sessions" not in event_types(app, customer.id)


def test_opening_an_account_from_elsewhere_with_the_questions_token_records_the_look(app, desk_and_target):
    desk, customer, _ = desk_and_target
    question = desk.get(f"/support/users/{customer.id}", headers={"Sec-Fetch-Site": "cross-site"})
    tokens = csrf_tokens_in(question.get_data(as_text=True))
    assert len(tokens) == 3  # sign-out in the header, the question's own form, the language switch

    response = desk.post(f"/support/users/{customer.id}/open", data={"csrf_token": tokens[1]})

    assert (response.status_code, response.headers["Location"]) == (302, f"/support/users/{customer.id}")
    assert event_types(app, customer.id).count("staff_viewed_sessions") == 1
