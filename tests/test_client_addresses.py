"""One client, one address: IPv6 budgets by network, IPv4-mapped addresses unwrapped, one form everywhere."""

import pytest
from sqlalchemy import select

from app.config import ConfigurationError, load_config
from app.extensions import db
from app.models import EventType, SecurityEvent, UserSession
from app.presenters.activity import event_place
from app.services.addresses import canonical_ip, client_network
from tests.conftest import PASSWORD
from tests.helpers import MADRID

pytestmark = pytest.mark.config(
    PASSWORD_ATTEMPTS_PER_IP="3 per minute", PASSWORD_ATTEMPTS_PER_ACCOUNT="1000 per minute"
)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("::FFFF:cb00:7109", "203.0.113.9"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("unix:/run/doorman.sock", None),
        ("", None),
        (None, None),
    ],
)
def test_an_address_has_one_canonical_form(raw, canonical):
    assert canonical_ip(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "prefix", "counted_as"),
    [
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2ff::1", 56, "2001:db8:1:200::/56"),
        ("2001:db8::1", 128, "2001:db8::1/128"),
        ("::ffff:203.0.113.9", 64, "203.0.113.9"),
        ("203.0.113.9", 64, "203.0.113.9"),
        ("not an address", 64, None),
    ],
)
def test_a_budget_counts_ipv6_by_network_and_ipv4_by_address(raw, prefix, counted_as):
    assert client_network(raw, ipv6_prefix=prefix) == counted_as


def wrong_sign_in(client, email, ip):
    return client.post("/sign-in", data={"email": email, "password": "wrong"}, environ_base={"REMOTE_ADDR": ip})


def sign_in(client, email, ip):
    return client.post("/sign-in", data={"email": email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": ip})


def test_addresses_in_one_ipv6_64_share_a_budget_and_other_64s_do_not(app, client, make_user):
    """One host with a /64 cannot rotate through its addresses to get fresh budgets."""
    users = [make_user() for _ in range(4)]
    addresses = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:abcd:ef01:2345:6789"]
    for user, ip in zip(users, addresses, strict=False):
        assert wrong_sign_in(client, user.email, ip).status_code == 200

    assert sign_in(client, users[3].email, "2001:db8:1:2:ffff:ffff:ffff:ffff").status_code == 429
    assert sign_in(client, users[3].email, "2001:db8:1:3::1").status_code == 302


@pytest.mark.config(PASSWORD_ATTEMPTS_IPV6_PREFIX="56")
def test_the_ipv6_prefix_is_a_setting(app, client, make_user):
    users = [make_user() for _ in range(4)]
    for user, ip in zip(users, ["2001:db8:1:200::1", "2001:db8:1:201::1", "2001:db8:1:2ff::1"], strict=False):
        assert wrong_sign_in(client, user.email, ip).status_code == 200

    assert sign_in(client, users[3].email, "2001:db8:1:2aa::1").status_code == 429
    assert sign_in(client, users[3].email, "2001:db8:1:300::1").status_code == 302


@pytest.mark.parametrize(("guessing_from", "then_from"), [
    ("::ffff:203.0.113.9", "203.0.113.9"),
    ("203.0.113.9", "::ffff:203.0.113.9"),
])
def test_an_ipv4_mapped_address_shares_the_budget_of_its_ipv4_address(app, client, make_user, guessing_from, then_from):
    users = [make_user() for _ in range(4)]
    for user in users[:3]:
        assert wrong_sign_in(client, user.email, guessing_from).status_code == 200

    assert sign_in(client, users[3].email, then_from).status_code == 429
    assert sign_in(client, users[3].email, "203.0.113.10").status_code == 302


def test_the_stored_and_shown_address_is_the_unwrapped_one(app, client, make_user):
    user = make_user()
    wrong_sign_in(client, user.email, "::ffff:" + MADRID)

    assert sign_in(client, user.email, "::ffff:" + MADRID).status_code == 302

    with app.app_context():
        session = db.session.scalars(select(UserSession)).one()
        failure = db.session.scalars(
            select(SecurityEvent).where(SecurityEvent.event_type == EventType.SIGN_IN_FAILED)
        ).one()
        assert (session.ip_address, session.city) == (MADRID, "Madrid")
        assert (failure.ip_address, event_place(failure)) == (MADRID, "Madrid, Spain")
    page = client.get("/devices").get_data(as_text=True)
    assert MADRID in page and "::ffff:" not in page


def test_the_ipv6_prefix_defaults_to_64_and_is_checked_at_start_up():
    assert load_config({"DOORMAN_ENV": "test"}, "/tmp")["PASSWORD_ATTEMPTS_IPV6_PREFIX"] == 64
    assert load_config({"DOORMAN_ENV": "test", "PASSWORD_ATTEMPTS_IPV6_PREFIX": "48"}, "/tmp")[
        "PASSWORD_ATTEMPTS_IPV6_PREFIX"] == 48
    for unusable in ("0", "129", "-64", "/64", "sixty-four"):
        with pytest.raises(ConfigurationError, match="PASSWORD_ATTEMPTS_IPV6_PREFIX"):
            load_config({"DOORMAN_ENV": "test", "PASSWORD_ATTEMPTS_IPV6_PREFIX": unusable}, "/tmp")
