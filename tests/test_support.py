"""The support console: finding accounts, reading their sessions, signing them out with a reason."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ActorKind, EndReason, EventType, SecurityEvent, UserSession
from app.presenters.activity import event_place
from app.presenters.devices import seen_in
from app.services.sessions import Ending
from tests.conftest import PASSWORD
from tests.helpers import (
    CHROME_MAC,
    MADRID,
    SAFARI_IPHONE,
    VALENCIA,
    active_sessions,
    app_signed_in,
    client_details,
    events_of,
    session_row,
    signed_in_client,
)

REASON = "account recovery, ticket 4411"


@pytest.fixture
def agent(app, make_user):
    """A support staff member signed in on their own browser: (user, browser)."""
    staff = make_user("agent@example.com", role="support")
    return staff, signed_in_client(app, staff.email, user_agent=CHROME_MAC, ip_address=MADRID)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def emails_listed(html: str) -> list[str]:
    return re.findall(r'<a href="/support/users/\d+">([^<]+)</a>', html)


# -- finding accounts --------------------------------------------------------------


def test_search_matches_the_start_of_the_email_whatever_its_case(app, agent, make_user):
    for email in ("maria@example.com", "Mario@example.com", "amaria@example.com"):
        make_user(email)
    _, desk = agent

    page = desk.get("/support/?q=MaRi").get_data(as_text=True)

    assert emails_listed(page) == ["maria@example.com", "mario@example.com"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("100%", ["100%@example.com"]), ("a_b", ["a_b@example.com"]), ("%", ["%@example.com"]),
     ("_", ["_x@example.com"]), ("a\\", ["a\\c@example.com"])],
)
def test_percent_underscore_and_backslash_are_literal(app, agent, make_user, query, expected):
    for email in ("100%@example.com", "1000@example.com", "a_b@example.com", "axb@example.com",
                  "%@example.com", "_x@example.com", "a\\c@example.com", "abc@example.com"):
        make_user(email)
    _, desk = agent

    response = desk.get("/support/", query_string={"q": query})

    assert emails_listed(response.get_data(as_text=True)) == expected


def test_no_query_lists_nothing_and_an_overlong_one_is_refused(app, agent):
    _, desk = agent
    assert emails_listed(desk.get("/support/").get_data(as_text=True)) == []
    page = desk.get("/support/", query_string={"q": "a" * 255}).get_data(as_text=True)
    assert emails_listed(page) == [] and "Field cannot be longer than 254 characters." in page


@pytest.mark.parametrize(("page_arg", "shown", "count"),
                         [("1", 1, 20), ("2", 2, 5), ("3", 2, 5), ("0", 1, 20), ("x", 1, 20)])
def test_search_results_come_20_to_a_page(app, agent, make_user, page_arg, shown, count):
    for n in range(25):
        make_user(f"bulk{n:02d}@example.com")
    _, desk = agent

    page = desk.get("/support/", query_string={"q": "bulk", "page": page_arg}).get_data(as_text=True)

    assert len(emails_listed(page)) == count
    assert f"Page {shown} of 2" in page
    if shown == 2:
        assert emails_listed(page)[0] == "bulk20@example.com"
        assert 'href="/support/?q=bulk&amp;page=1"' in page


# -- one account's page --------------------------------------------------------------


def test_the_account_page_shows_active_sessions_like_the_devices_page_and_the_user_agent(app, agent, make_user,
                                                                                        make_session, clock):
    customer = make_user("customer@example.com")
    row, _ = make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    clock.advance(minutes=90)
    _, desk = agent

    response = desk.get(f"/support/users/{customer.id}")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    shown = text_of(page)
    for fact in ("Safari 17 on iOS 17.1", "iPhone", "Valencia, Spain", "IP in 147.156.1.0/24", SAFARI_IPHONE,
                 "Active sessions (1)"):
        assert fact in shown, fact
    assert VALENCIA not in shown  # the full address only with a reason (tests/test_ip_privacy.py)
    # In the staff member's zone (they signed in from Madrid); the customer's own is Valencia's, the same.
    assert ('<time datetime="2026-11-03T09:00:00+00:00" title="3 Nov 2026, 10:00:00 Central European Standard Time">'
            in page)
    assert f'action="/support/users/{customer.id}/sessions/{row.id}/sign-out"' in page


def test_the_account_page_in_spanish_names_places_from_the_rows_and_events_with_no_geoip_lookup(
        app, agent, make_user, make_session, services):
    customer = make_user("customer@example.com")
    make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    _, desk = agent
    services.geo.close()  # the page reads what the rows and events keep

    page = desk.get(f"/support/users/{customer.id}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    shown = text_of(page)

    assert "Safari 17 en iOS 17.1" in shown and "Valencia, España" in shown
    assert "Inicio de sesión desde Safari en iPhone en Valencia, España" in shown
    assert "Valencia, Spain" not in shown


def test_no_token_or_token_hash_is_ever_shown(app, agent, make_user, make_session):
    customer = make_user()
    rows = [make_session(customer) for _ in range(2)]
    ended, ended_token = make_session(customer)
    with app.app_context():
        db.session.get(UserSession, ended.id).refresh_token_hash = "f" * 64
        db.session.commit()
    staff, desk = agent
    desk.post(f"/support/users/{customer.id}/sessions/{ended.id}/sign-out", data={"reason": REASON})
    staff_token = desk.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value

    pages = [desk.get(f"/support/users/{customer.id}").get_data(as_text=True),
             desk.get("/support/", query_string={"q": customer.email}).get_data(as_text=True)]
    admin = signed_in_client(app, make_user(role="admin").email)
    pages.append(admin.get("/support/audit").get_data(as_text=True))

    with app.app_context():
        hashes = set(db.session.scalars(select(UserSession.session_token_hash)))
    secrets = hashes | {t for _, t in rows} | {ended_token, staff_token, "f" * 64}
    for page in pages:
        for secret in secrets:
            assert secret not in page


def test_a_user_agent_is_escaped_on_staff_pages(app, agent, make_user, make_session):
    customer = make_user()
    make_session(customer, user_agent="<script>alert(1)</script>", ip_address="203.0.113.9")
    _, desk = agent

    page = desk.get(f"/support/users/{customer.id}").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_app_session_shows_its_name_and_the_app_mark_escaped_on_the_account_page(app, agent, make_user):
    customer = make_user()
    hostile = app_signed_in(app, customer.email, client_name="<script>alert(1)</script>")
    named = app_signed_in(app, customer.email, client_name="Doorman for iOS")
    _, desk = agent

    page = desk.get(f"/support/users/{customer.id}").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; · iOS 17.1" in page
    assert "Doorman for iOS · iOS 17.1" in page
    assert page.count('<span class="badge badge--app">App<span class="visually-hidden">') == 2
    assert hostile["session_id"] in page and named["session_id"] in page


def test_opening_an_account_is_recorded_once_per_visit(app, agent, make_user, clock):
    customer = make_user()
    staff, desk = agent

    desk.get(f"/support/users/{customer.id}")
    desk.get(f"/support/users/{customer.id}?page=2")  # the same visit
    clock.advance(minutes=11)
    desk.get(f"/support/users/{customer.id}")  # a new one

    views = [e for e in events_of(app, customer.id) if e.event_type == EventType.STAFF_VIEWED_SESSIONS]
    assert [(e.actor_kind, e.actor_id) for e in views] == [(ActorKind.STAFF, staff.id)] * 2
    assert seen_in(views[0].details["from"]).place == "Madrid, Spain"


# -- who may record a look ----------------------------------------------------------------
# A GET any page on the web can link to must not write "Support viewed this
# account" into someone's history; a look is recorded only on the staff
# member's own navigation, and the account is never shown without one.


def looks_at(app, customer):
    return [e for e in events_of(app, customer.id) if e.event_type == EventType.STAFF_VIEWED_SESSIONS]


def headers_only(desk, headers):
    """``desk`` with no Fetch Metadata of its own: exactly ``headers`` say where the request came from."""
    desk.environ_base.pop("HTTP_SEC_FETCH_SITE", None)
    return headers


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "same-origin"},  # a link or form on Doorman's pages
    {"Sec-Fetch-Site": "none"},  # a typed address or a bookmark
    {"Referer": "http://localhost/support/?q=customer"},  # a browser without Fetch Metadata
    {"Origin": "http://localhost"},
], ids=["same-origin", "typed", "own-referer", "own-origin"])
def test_the_staff_members_own_navigation_records_one_look(app, agent, make_user, make_session, headers):
    customer = make_user("customer@example.com")
    make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    staff, desk = agent

    response = desk.get(f"/support/users/{customer.id}", headers=headers_only(desk, headers))

    assert response.status_code == 200 and "Active sessions (1)" in response.get_data(as_text=True)
    looks = [(e.actor_id, seen_in(e.details["from"]).place) for e in looks_at(app, customer)]
    assert looks == [(staff.id, "Madrid, Spain")]


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # another application on a sibling domain
    {"Sec-Fetch-Site": "cross-site", "Referer": "http://localhost/support/"},  # Fetch Metadata decides
    {"Referer": "https://elsewhere.example/phish"},
    {"Referer": "http://localhost:8080/"},  # another port is another origin
    {"Referer": "https://localhost/support/"},  # so is another scheme
    {"Origin": "https://elsewhere.example", "Referer": "http://localhost/support/"},
    {"Origin": "null"},
    {"Referer": "http://[::1/"},  # not even a URL
    {},  # nothing says where it came from: an old browser following a rel=noreferrer link
], ids=["cross-site", "same-site", "cross-site-with-own-referer", "foreign-referer", "other-port",
        "other-scheme", "foreign-origin", "opaque-origin", "broken-referer", "no-headers"])
def test_a_request_from_elsewhere_records_no_look_and_shows_nothing_of_the_account(
        app, agent, make_user, make_session, headers):
    customer = make_user("customer@example.com")
    make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    _, desk = agent

    response = desk.get(f"/support/users/{customer.id}", headers=headers_only(desk, headers))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Open customer@example.com?" in page
    assert f'action="/support/users/{customer.id}/open"' in page
    for fact in (VALENCIA, "Valencia", SAFARI_IPHONE, "Active sessions", "<h2>Security activity</h2>"):
        assert fact not in page, fact
    assert looks_at(app, customer) == []


def test_opening_from_the_question_records_one_look_and_shows_the_account(app, agent, make_user, make_session,
                                                                        clock):
    customer = make_user("customer@example.com")
    make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    staff, desk = agent
    desk.get(f"/support/users/{customer.id}", headers={"Sec-Fetch-Site": "cross-site"})

    response = desk.post(f"/support/users/{customer.id}/open")
    assert (response.status_code, response.headers["Location"]) == (302, f"/support/users/{customer.id}")
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    clock.advance(minutes=9)
    desk.post(f"/support/users/{customer.id}/open")  # the same visit

    assert "Active sessions (1)" in page and "147.156.1.0/24" in page
    looks = [(e.actor_id, seen_in(e.details["from"]).place) for e in looks_at(app, customer)]
    assert looks == [(staff.id, "Madrid, Spain")]


def test_within_a_recorded_visit_a_link_from_elsewhere_shows_the_account_and_records_nothing(
        app, agent, make_user, make_session, clock):
    customer = make_user("customer@example.com")
    make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    _, desk = agent
    desk.get(f"/support/users/{customer.id}")
    clock.advance(minutes=9)

    inside = desk.get(f"/support/users/{customer.id}", headers={"Sec-Fetch-Site": "cross-site"})
    clock.advance(minutes=2)
    after = desk.get(f"/support/users/{customer.id}", headers={"Sec-Fetch-Site": "cross-site"})

    assert "Active sessions (1)" in inside.get_data(as_text=True)
    assert "Open customer@example.com?" in after.get_data(as_text=True)
    assert len(looks_at(app, customer)) == 1


def test_the_question_is_asked_only_of_staff_who_may_open_the_account(app, agent, make_user):
    colleague = make_user("colleague@example.com", role="admin")
    _, desk = agent

    assert desk.get(f"/support/users/{colleague.id}", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert desk.get("/support/users/999999", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 404
    assert desk.post(f"/support/users/{colleague.id}/open").status_code == 403
    assert desk.post("/support/users/999999/open").status_code == 404
    assert looks_at(app, colleague) == []


def test_an_unknown_account_is_a_404(app, agent):
    _, desk = agent
    assert desk.get("/support/users/999999").status_code == 404
    assert desk.post("/support/users/999999/sign-out-all", data={"reason": REASON}).status_code == 404


def test_recently_ended_sessions_say_who_ended_them_and_why(app, agent, make_user, make_session, clock, services):
    customer = make_user("customer@example.com")
    by_support, _ = make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    by_owner, _ = make_session(customer)
    staff, desk = agent
    desk.post(f"/support/users/{customer.id}/sessions/{by_support.id}/sign-out", data={"reason": REASON})
    clock.advance(minutes=5)
    with app.app_context():
        services.sessions.end(by_owner.id, owner_id=customer.id,
                              ending=Ending.by_user(customer.id, EndReason.REVOKED_BY_USER))
        db.session.commit()

    page = desk.get(f"/support/users/{customer.id}").get_data(as_text=True)
    ended_table = text_of(page.split("Recently ended sessions")[1].split("Security activity")[0])

    assert "Signed out from another device the account holder" in ended_table
    assert f"Support Signed out by support “{REASON}” agent@example.com" in ended_table
    assert ended_table.index("the account holder") < ended_table.index("agent@example.com")  # newest first


# -- signing sessions out -----------------------------------------------------------------


def test_support_signs_out_one_session_with_a_reason(app, agent, make_user, make_session, clock):
    customer = make_user()
    target, target_token = make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    other, other_token = make_session(customer)
    staff, desk = agent

    response = desk.post(f"/support/users/{customer.id}/sessions/{target.id}/sign-out",
                         data={"reason": f"  {REASON} "}, follow_redirects=True)

    assert response.request.path == f"/support/users/{customer.id}"
    assert ("Signed out Safari on iPhone in Valencia, Spain. The reason is on the account&#39;s record."
            in response.get_data(as_text=True))
    ended = session_row(app, target.id)
    assert (ended.is_active, ended.revoked_reason, ended.revoked_by, ended.revoked_at) == (
        False, EndReason.REVOKED_BY_SUPPORT, staff.id, clock.now())
    assert session_row(app, other.id).is_active
    event = [e for e in events_of(app, customer.id) if e.event_type == EventType.SESSION_REVOKED][0]
    assert (event.actor_kind, event.actor_id, event.reason, event.session_id) == (
        ActorKind.STAFF, staff.id, REASON, target.id)
    assert (event_place(event), seen_in(event.details["from"]).place) == ("Valencia, Spain", "Madrid, Spain")


@pytest.mark.parametrize("reason", ["", "   ", "ab", "  ab \n", "x" * 501])
@pytest.mark.parametrize("action", ["one", "all"])
def test_a_reason_of_3_to_500_characters_is_required(app, agent, make_user, make_session, reason, action):
    customer = make_user()
    row, _ = make_session(customer)
    staff, desk = agent
    url = (f"/support/users/{customer.id}/sessions/{row.id}/sign-out" if action == "one"
           else f"/support/users/{customer.id}/sign-out-all")

    response = desk.post(url, data={"reason": reason}, follow_redirects=True)

    assert "Nothing was changed. Say why, for the record: 3 to 500 characters." in response.get_data(as_text=True)
    assert session_row(app, row.id).is_active
    assert not [e for e in events_of(app) if e.actor_id == staff.id and e.event_type != EventType.SIGNED_IN
                and e.event_type != EventType.STAFF_VIEWED_SESSIONS]


def test_a_reason_of_exactly_3_and_500_characters_is_enough(app, agent, make_user, make_session):
    customer = make_user()
    first, _ = make_session(customer)
    second, _ = make_session(customer)
    _, desk = agent
    desk.post(f"/support/users/{customer.id}/sessions/{first.id}/sign-out", data={"reason": " abc "})
    desk.post(f"/support/users/{customer.id}/sessions/{second.id}/sign-out", data={"reason": "y" * 500})
    assert active_sessions(app, customer.id) == []


def test_a_session_that_is_not_the_accounts_active_one_changes_nothing(app, agent, make_user, make_session):
    customer, someone_else = make_user(), make_user()
    theirs, _ = make_session(someone_else)
    staff, desk = agent

    response = desk.post(f"/support/users/{customer.id}/sessions/{theirs.id}/sign-out",
                         data={"reason": REASON}, follow_redirects=True)

    assert "That session had already ended, so nothing was changed." in response.get_data(as_text=True)
    assert session_row(app, theirs.id).is_active
    assert desk.post(f"/support/users/{customer.id}/sessions/not-a-uuid/sign-out",
                     data={"reason": REASON}).status_code == 404


def test_support_signs_out_every_session(app, agent, make_user, make_session):
    customer = make_user("customer@example.com")
    for _ in range(3):
        make_session(customer)
    staff, desk = agent

    response = desk.post(f"/support/users/{customer.id}/sign-out-all", data={"reason": REASON}, follow_redirects=True)

    assert "Signed out 3 sessions of customer@example.com." in response.get_data(as_text=True)
    assert active_sessions(app, customer.id) == []
    with app.app_context():
        ended_by = db.session.scalars(select(UserSession.revoked_by).where(UserSession.user_id == customer.id))
        assert set(ended_by) == {staff.id}
    again = desk.post(f"/support/users/{customer.id}/sign-out-all", data={"reason": REASON}, follow_redirects=True)
    assert "customer@example.com had no active sessions, so nothing was changed." in again.get_data(as_text=True)


@pytest.mark.parametrize("target_role", ["support", "admin"])
def test_support_cannot_touch_a_staff_account(app, agent, make_user, make_session, target_role):
    colleague = make_user(role=target_role)
    row, token = make_session(colleague)
    _, desk = agent
    before = events_of(app)

    responses = [
        desk.get(f"/support/users/{colleague.id}"),
        desk.post(f"/support/users/{colleague.id}/sessions/{row.id}/sign-out", data={"reason": REASON}),
        desk.post(f"/support/users/{colleague.id}/sign-out-all", data={"reason": REASON}),
        desk.post(f"/support/users/{colleague.id}/sign-out-all", data={"reason": ""}),
    ]

    assert [r.status_code for r in responses] == [403] * 4
    assert session_row(app, row.id).is_active
    assert [e.id for e in events_of(app)] == [e.id for e in before]


@pytest.mark.parametrize("target_role", ["support", "admin"])
def test_an_admin_can_act_on_staff_accounts(app, make_user, make_session, target_role):
    colleague = make_user(role=target_role)
    row, _ = make_session(colleague)
    admin = signed_in_client(app, make_user(role="admin").email)

    assert admin.get(f"/support/users/{colleague.id}").status_code == 200
    response = admin.post(f"/support/users/{colleague.id}/sessions/{row.id}/sign-out", data={"reason": REASON})
    assert response.status_code == 302
    assert not session_row(app, row.id).is_active


def test_staff_accounts_are_marked_in_search_results(app, agent, make_user):
    make_user("boss@example.com", role="admin")
    _, desk = agent
    page = desk.get("/support/?q=boss").get_data(as_text=True)
    assert "Administrator <span class=\"badge\">Staff</span>" in page


# -- the staff audit page ----------------------------------------------------------------


@pytest.fixture
def staff_history(app, make_user, make_session, clock):
    """Two staff members acting on two customers, plus the customers' own doings."""
    alice, bob = make_user("alice@example.com", role="support"), make_user("bob@example.com", role="admin")
    carol, dave = make_user("carol@example.com"), make_user("dave@example.com")
    desks = {s.email: signed_in_client(app, s.email) for s in (alice, bob)}
    for staff, customer in ((alice, carol), (alice, dave), (bob, carol)):
        make_session(customer)
        clock.advance(minutes=20)
        desks[staff.email].post("/confirm-password", data={"password": PASSWORD})  # the window has passed
        desks[staff.email].post(f"/support/users/{customer.id}/sign-out-all", data={"reason": f"ticket {staff.id}"})
    signed_in_client(app, carol.email)  # not a staff action
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave, "bob_desk": desks[bob.email]}


def audit_rows(html):
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    return [text_of(r) for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_audit_page_lists_every_staff_action_and_only_those(app, staff_history):
    desk = staff_history["bob_desk"]

    page = desk.get("/support/audit").get_data(as_text=True)

    rows = audit_rows(page)
    assert len(rows) == 3
    bob, alice = staff_history["bob"], staff_history["alice"]
    assert rows[0] == ("3 Nov 2026, 10:00 UTC bob@example.com carol@example.com All sessions signed out by support "
                       f"(bob@example.com): ticket {bob.id} an unknown browser on a local network")
    assert [row.split(" ")[5:7] for row in rows] == [
        ["bob@example.com", "carol@example.com"], ["alice@example.com", "dave@example.com"],
        ["alice@example.com", "carol@example.com"]]
    assert f"ticket {alice.id}" in rows[2]
    with app.app_context():
        staff_events = db.session.scalar(select(db.func.count()).select_from(SecurityEvent)
                                         .where(SecurityEvent.actor_kind == ActorKind.STAFF))
    assert staff_events == 3
    assert all("Signed in" not in row for row in rows)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"staff": "alice"}, {("alice", "carol"), ("alice", "dave")}),
        ({"account": "carol"}, {("alice", "carol"), ("bob", "carol")}),
        ({"staff": "alice", "account": "dave"}, {("alice", "dave")}),
        ({"staff": "bob", "account": "dave"}, set()),
    ],
)
def test_the_audit_page_filters_by_staff_member_and_account_email(app, staff_history, params, expected):
    # The account by its email, in any case and with stray spaces, as staff would paste it.
    query = {key: staff_history[name].id if key == "staff" else f" {staff_history[name].email.upper()} "
             for key, name in params.items()}

    page = staff_history["bob_desk"].get("/support/audit", query_string=query).get_data(as_text=True)

    found = {tuple(name for name in ("alice", "bob", "carol", "dave") if f"{name}@example.com" in row)
             for row in audit_rows(page)}
    assert found == expected
    if not expected:
        assert "No staff actions match." in page


@pytest.mark.parametrize("query", [{"staff": "abc"}, {"staff": "999999"}, {"account": "a" * 255}])
def test_the_audit_filters_are_validated(app, staff_history, query):
    response = staff_history["bob_desk"].get("/support/audit", query_string=query)
    assert response.status_code == 400
    assert audit_rows(response.get_data(as_text=True)) == []


def test_an_unknown_account_email_says_so_and_lists_nothing(app, staff_history):
    response = staff_history["bob_desk"].get("/support/audit", query_string={"account": "nobody@example.com"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert audit_rows(page) == [] and "No account has that email." in page
    assert 'aria-invalid="true"' in page and 'value="nobody@example.com"' in page


def test_the_audit_form_asks_for_an_email_not_an_account_id(app, staff_history):
    page = staff_history["bob_desk"].get("/support/audit").get_data(as_text=True)
    assert 'type="email"' in page and 'name="account"' in page
    assert "Account ID" not in page and 'name="subject"' not in page


def test_a_plain_user_is_not_a_staff_choice(app, staff_history):
    page = staff_history["bob_desk"].get("/support/audit", query_string={"staff": staff_history["carol"].id})
    assert page.status_code == 400


@pytest.mark.config(REAUTHENTICATION_WINDOW=3600)
def test_the_audit_page_is_paginated_keeping_its_filters(app, make_user, make_session, clock):
    admin, customer = make_user(role="admin"), make_user()
    desk = signed_in_client(app, admin.email)
    for _ in range(26):
        make_session(customer)
        clock.advance(minutes=1)
        desk.post(f"/support/users/{customer.id}/sign-out-all", data={"reason": "cleanup"})

    first = desk.get("/support/audit", query_string={"account": customer.email}).get_data(as_text=True)
    second = desk.get("/support/audit", query_string={"account": customer.email, "page": 2}).get_data(as_text=True)
    beyond = desk.get("/support/audit", query_string={"account": customer.email, "page": 9}).get_data(as_text=True)

    assert (len(audit_rows(first)), len(audit_rows(second)), len(audit_rows(beyond))) == (25, 1, 1)
    assert f'href="/support/audit?account={customer.email}&amp;page=2"' in first


# -- the whole story, with the demo data ------------------------------------------------


def test_support_signs_out_a_demo_session_and_the_user_and_device_see_it(app, services):
    from app.demo import DEMO_PASSWORD

    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    # The demo user's own browser, which support is about to sign out, and their laptop.
    phone = signed_in_client(app, "demo@example.com", password=DEMO_PASSWORD,
                             user_agent=SAFARI_IPHONE, ip_address=VALENCIA)
    laptop = signed_in_client(app, "demo@example.com", password=DEMO_PASSWORD,
                              user_agent=CHROME_MAC, ip_address=MADRID)
    phone_token = phone.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value
    desk = signed_in_client(app, "support@example.com", password=DEMO_PASSWORD)

    found = desk.get("/support/", query_string={"q": "DEMO@"}).get_data(as_text=True)
    [link] = re.findall(r'href="(/support/users/\d+)">demo@example.com<', found)
    account = desk.get(link).get_data(as_text=True)
    with app.app_context():
        signed_in = services.sessions.resolve(phone_token)
    assert f"/sessions/{signed_in.session_id}/sign-out" in account
    done = desk.post(f"{link}/sessions/{signed_in.session_id}/sign-out",
                     data={"reason": "Customer lost their phone, ticket 5120"}, follow_redirects=True)
    assert "Signed out Safari on iPhone in Valencia, Spain." in done.get_data(as_text=True)

    activity = laptop.get("/activity").get_data(as_text=True)
    assert "Signed out by support: Customer lost their phone, ticket 5120" in activity
    assert "Failed sign-in attempt from Lagos, Nigeria" in activity  # the demo's own history
    assert "Signed out by support: Account recovery, ticket 4411" in activity

    next_request = phone.get("/devices", follow_redirects=True)
    assert next_request.request.path == "/sign-in"
    assert "This session was signed out by Doorman support." in next_request.get_data(as_text=True)
    assert laptop.get("/devices").status_code == 200


@pytest.mark.config(REAUTHENTICATION_WINDOW=600)
@pytest.mark.parametrize("action", ["one", "all"])
def test_staff_sign_outs_need_a_password_entered_within_the_window(app, agent, make_user, make_session, clock,
                                                                    services, action):
    customer = make_user()
    row, token = make_session(customer)
    _, desk = agent
    clock.advance(minutes=11)
    url = (f"/support/users/{customer.id}/sessions/{row.id}/sign-out" if action == "one"
           else f"/support/users/{customer.id}/sign-out-all")

    response = desk.post(url, data={"reason": "account recovery, ticket 4411"})

    assert response.headers["Location"] == f"/confirm-password?next=/support/users/{customer.id}"
    with app.app_context():
        assert services.sessions.resolve(token) is not None
    desk.post("/confirm-password", data={"password": PASSWORD})
    assert desk.post(url, data={"reason": "account recovery, ticket 4411"}).headers["Location"] == (
        f"/support/users/{customer.id}"
    )
    with app.app_context():
        assert services.sessions.resolve(token) is None
