"""IP addresses: networks for support unless revealed with a reason, networks only once old, places approximate."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from app.config import ConfigurationError
from app.extensions import db
from app.models import EventType, SecurityEvent
from app.services.addresses import masked_address, masked_network
from tests.conftest import environ_for
from tests.helpers import (
    CHROME_MAC,
    LAGOS,
    MADRID,
    SAFARI_IPHONE,
    VALENCIA,
    client_details,
    csrf_tokens_in,
    event_types,
    events_of,
    signed_in_client,
)

REASON = "fraud report, ticket 5120"


@pytest.mark.parametrize(("address", "network", "first"), [
    ("203.0.113.77", "203.0.113.0/24", "203.0.113.0"),
    ("::ffff:203.0.113.77", "203.0.113.0/24", "203.0.113.0"),
    ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48", "2001:db8:abcd::"),
    ("2001:db8:abcd::", "2001:db8:abcd::/48", "2001:db8:abcd::"),
    (None, None, None),
    ("not an address", None, None),
])
def test_an_address_is_masked_to_its_24_or_48(address, network, first):
    assert (masked_network(address), masked_address(address)) == (network, first)


# -- what support sees ---------------------------------------------------------------


@pytest.fixture
def case(app, make_user, make_session):
    customer = make_user("customer@example.com")
    phone, _ = make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    laptop, _ = make_session(customer, **client_details(app, CHROME_MAC, MADRID))
    make_user("agent@example.com", role="support")
    make_user("other.agent@example.com", role="support")
    desk = signed_in_client(app, "agent@example.com", ip_address=LAGOS)
    return customer, phone, laptop, desk


def account_page(desk, customer):
    return desk.get(f"/support/users/{customer.id}").get_data(as_text=True)


def test_support_sees_networks_not_addresses(app, case):
    customer, _, _, desk = case
    page = account_page(desk, customer)
    assert "IP in 147.156.1.0/24" in page and "IP in 147.96.1.0/24" in page
    assert VALENCIA not in page and MADRID not in page
    assert page.count("Show the full IP address</summary>") == 2


def test_revealing_one_address_takes_a_reason_records_it_and_shows_only_that_one(app, case, clock):
    customer, phone, laptop, desk = case

    response = desk.post(f"/support/users/{customer.id}/sessions/{phone.id}/reveal-ip", data={"reason": REASON})

    assert response.headers["Location"] == f"/support/users/{customer.id}#session-{phone.id}"
    page = account_page(desk, customer)
    assert VALENCIA in page and "Full address, revealed" in page
    assert MADRID not in page  # the other session still shows its network
    [event] = [e for e in events_of(app, customer.id) if e.event_type == EventType.STAFF_REVEALED_IP]
    assert (event.event_type, event.actor_kind, event.session_id, event.reason, event.ip_address) == (
        EventType.STAFF_REVEALED_IP, "staff", phone.id, REASON, VALENCIA)
    assert event.details["from"]["ip_address"] == LAGOS  # where the agent was, kept for staff only
    # Another staff member still sees the network, and so does this one once the visit is over.
    assert VALENCIA not in account_page(signed_in_client(app, "other.agent@example.com"), customer)
    clock.advance(minutes=11)
    assert VALENCIA not in account_page(desk, customer)


def test_the_account_holder_reads_that_support_looked_and_why_but_not_where_support_was(app, case):
    customer, phone, _, desk = case
    desk.post(f"/support/users/{customer.id}/sessions/{phone.id}/reveal-ip", data={"reason": REASON})
    page = signed_in_client(app, customer.email).get("/activity").get_data(as_text=True)
    assert f"Support looked at the full IP address of Safari on iPhone in Valencia, Spain: {REASON}" in page
    assert LAGOS not in page and "agent@example.com" not in page


@pytest.mark.parametrize("reason", ["", "  ", "ab", "x" * 501])
def test_without_a_usable_reason_nothing_is_revealed_or_recorded(app, case, reason):
    customer, phone, _, desk = case
    before = event_types(app, customer.id)
    response = desk.post(f"/support/users/{customer.id}/sessions/{phone.id}/reveal-ip", data={"reason": reason},
                         follow_redirects=True)
    assert "Nothing was changed." in response.get_data(as_text=True)
    assert event_types(app, customer.id) == [*before, "staff_viewed_sessions"]  # the page it came back to
    assert VALENCIA not in account_page(desk, customer)


def test_an_ended_session_can_be_revealed_too(app, case):
    customer, phone, _, desk = case
    desk.post(f"/support/users/{customer.id}/sessions/{phone.id}/sign-out", data={"reason": REASON})
    desk.post(f"/support/users/{customer.id}/sessions/{phone.id}/reveal-ip", data={"reason": REASON})
    assert VALENCIA in account_page(desk, customer)


def test_another_accounts_session_is_a_404_and_records_nothing(app, case, make_user, make_session):
    customer, _, _, desk = case
    stranger = make_user()
    theirs, _ = make_session(stranger)
    before = event_types(app)
    response = desk.post(f"/support/users/{customer.id}/sessions/{theirs.id}/reveal-ip", data={"reason": REASON})
    assert response.status_code == 404
    assert event_types(app) == before


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_revealing_needs_the_pages_csrf_token(app, make_user, make_session):
    customer = make_user()
    row, _ = make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    desk = app.test_client()
    desk.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
    token = csrf_tokens_in(desk.get("/sign-in").get_data(as_text=True))[0]
    desk.post("/sign-in", data={"email": make_user(role="support").email, "password": "a long enough password",
                                "csrf_token": token})
    page = desk.get(f"/support/users/{customer.id}").get_data(as_text=True)
    url = f"/support/users/{customer.id}/sessions/{row.id}/reveal-ip"

    refused = desk.post(url, data={"reason": REASON, "csrf_token": "forged"})
    assert "staff_revealed_ip" not in event_types(app, customer.id) and refused.status_code == 302
    desk.post(url, data={"reason": REASON, "csrf_token": csrf_tokens_in(page)[0]})
    assert event_types(app, customer.id)[-1] == "staff_revealed_ip"


def test_the_activity_staff_read_shows_networks(app, case, make_user):
    customer, _, _, desk = case
    app.test_client().post("/sign-in", data={"email": customer.email, "password": "wrong password"},
                           environ_base={"REMOTE_ADDR": LAGOS})
    page = account_page(desk, customer)
    assert "IP 105.112.0.0/24" in page and f"IP {LAGOS}" not in page
    assert f"IP {LAGOS}" in signed_in_client(app, customer.email).get("/activity").get_data(as_text=True)


# -- only networks, once old -------------------------------------------------------------


def test_cleanup_keeps_only_the_networks_of_events_older_than_the_retention(app, case, clock):
    customer, phone, _, desk = case
    app.test_client().post("/sign-in", data={"email": customer.email, "password": "wrong password"},
                           environ_base={"REMOTE_ADDR": LAGOS})
    desk.post(f"/support/users/{customer.id}/sign-out-all", data={"reason": REASON})  # lists both sessions
    old = {e.id for e in events_of(app)}
    clock.advance(days=91)
    signed_in_client(app, customer.email, ip_address="2001:db8:abcd:12::7")

    result = app.test_cli_runner().invoke(args=["sessions", "cleanup"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == (
        f"Kept only the networks of the IP addresses of {len(old)} security events older than 90 days.")
    addresses = set()
    for event in events_of(app):
        found = [event.ip_address] + [s.get("ip_address") for s in event.details.get("sessions", [])] + [
            (event.details.get("from") or {}).get("ip_address")]
        if event.id in old:
            assert event.ip_masked_at is not None
            addresses |= {a for a in found if a}
        else:
            assert event.ip_masked_at is None and event.ip_address == "2001:db8:abcd:12::7"
    assert addresses == {"147.156.1.0", "147.96.1.0", "105.112.0.0"}
    again = app.test_cli_runner().invoke(args=["sessions", "cleanup"])
    assert "of 0 security events" in again.output


@pytest.mark.env(IP_RETENTION_DAYS="7")
def test_the_retention_is_a_setting_and_the_account_holder_sees_networks_past_it(app, make_user, clock):
    user = make_user()
    app.test_client().post("/sign-in", data={"email": user.email, "password": "wrong password"},
                           environ_base={"REMOTE_ADDR": LAGOS})
    clock.advance(days=8)
    assert "older than 7 days" in app.test_cli_runner().invoke(args=["sessions", "cleanup"]).output
    page = signed_in_client(app, user.email).get("/activity").get_data(as_text=True)
    assert "IP 105.112.0.0/24" in page and f"IP {LAGOS}" not in page
    with app.app_context():
        assert db.session.scalar(select(SecurityEvent.ip_address).where(
            SecurityEvent.event_type == EventType.SIGN_IN_FAILED)) == "105.112.0.0"


@pytest.mark.parametrize(("value", "expected"), [("", 90), ("30", 30)])
def test_ip_retention_days_defaults_to_90(value, expected):
    app = create_app(environ=environ_for("sqlite://", IP_RETENTION_DAYS=value))
    assert app.config["IP_RETENTION_DAYS"] == expected


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_ip_retention_days_must_be_a_positive_number_of_days(value):
    with pytest.raises(ConfigurationError, match="IP_RETENTION_DAYS"):
        create_app(environ=environ_for("sqlite://", IP_RETENTION_DAYS=value))


# -- places are approximate; the database's age --------------------------------------------


def test_every_page_says_places_are_approximate(app, signed_in, client):
    for path in ("/devices", "/activity", "/sign-in"):
        assert "Places are approximate" in client.get(path, follow_redirects=True).get_data(as_text=True)


def test_admins_see_when_the_geoip_database_was_built_and_support_does_not(app, make_user):
    admin = signed_in_client(app, make_user(role="admin").email)
    support = signed_in_client(app, make_user(role="support").email)
    # The bundled GeoLite2 file's metadata says 2018-07-03T21:26:56Z.
    for path in ("/support/", "/support/audit"):
        assert "The GeoIP database was built on 3 Jul 2018." in admin.get(path).get_data(as_text=True)
    assert "GeoIP database was built" not in support.get("/support/").get_data(as_text=True)
    spanish = admin.get("/support/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "La base de datos GeoIP se creó el 3 jul 2018." in spanish


@pytest.mark.config(GEOIP_DATABASE="/nonexistent/City.mmdb")
def test_admins_are_told_when_no_geoip_database_is_open(app, make_user):
    admin = signed_in_client(app, make_user(role="admin").email)
    assert "No GeoIP database is open" in admin.get("/support/").get_data(as_text=True)


def test_retention_counts_only_events_with_an_address(app, make_user, services, clock):
    user = make_user()
    with app.app_context():
        services.audit.record(EventType.ROLE_CHANGED, subject_id=user.id, actor_kind="system",
                              details={"from": "user", "to": "support"})
        db.session.commit()
        clock.advance(days=100)
        assert services.audit.mask_old_addresses(older_than=timedelta(days=90), commit=db.session.commit) == 0
        assert db.session.scalar(select(SecurityEvent.ip_masked_at)) is not None
