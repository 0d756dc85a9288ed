"""X-Forwarded-For and -Proto are believed only from TRUSTED_PROXY_ADDRESSES (SECURITY-CHECKS "forwarded headers").

A client that reaches the app's port directly, past the proxy, must not be
able to choose the address it is stored, shown and rate-limited as.
"""

from typing import Any

import pytest
from werkzeug.test import EnvironBuilder

from app.config import load_config
from app.extensions import db
from app.models import UserSession
from app.proxies import TrustedProxyFix
from tests.conftest import PASSWORD
from tests.helpers import MADRID, VALENCIA

pytestmark = pytest.mark.config(TRUSTED_PROXIES=1)
DIRECT_CLIENT = "198.51.100.20"  # not a proxy of ours: it connected to the app port itself


def sign_in(app, email: str, *, peer: str, forwarded_for: str, password: str = PASSWORD):
    return app.test_client().post(
        "/sign-in", data={"email": email, "password": password},
        headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": peer},
    )


def stored_ip(app, user) -> str:
    with app.app_context():
        return db.session.scalar(db.select(UserSession.ip_address).where(UserSession.user_id == user.id))


def test_a_spoofed_forwarded_for_from_a_peer_outside_the_list_is_ignored(app, make_user):
    user = make_user()
    assert sign_in(app, user.email, peer=DIRECT_CLIENT, forwarded_for=MADRID).status_code == 302
    assert stored_ip(app, user) == DIRECT_CLIENT


@pytest.mark.parametrize("proxy", ["127.0.0.1", "127.3.4.5", "::1"])
def test_a_proxy_on_the_same_host_is_believed_by_default(app, make_user, proxy):
    user = make_user()
    assert sign_in(app, user.email, peer=proxy, forwarded_for=f"203.0.113.1, {MADRID}").status_code == 302
    assert stored_ip(app, user) == MADRID  # one hop: only the address our proxy added


@pytest.mark.env(TRUSTED_PROXY_ADDRESSES="10.0.0.0/8, 2001:db8::/32")
@pytest.mark.parametrize(
    ("peer", "believed"),
    [("10.20.30.40", True), ("2001:db8:1::7", True), ("11.0.0.1", False), ("127.0.0.1", False), ("::1", False)],
)
def test_cidr_entries_replace_the_default(app, make_user, peer, believed):
    user = make_user()
    assert sign_in(app, user.email, peer=peer, forwarded_for=MADRID).status_code == 302
    assert stored_ip(app, user) == (MADRID if believed else peer)


@pytest.mark.config(PASSWORD_ATTEMPTS_PER_IP="2 per minute", PASSWORD_ATTEMPTS_PER_ACCOUNT="1000 per minute")
def test_the_ip_budget_of_a_direct_client_is_its_own_whatever_it_forwards(app, make_user):
    users = [make_user() for _ in range(3)]
    for user, claimed in zip(users[:2], (MADRID, VALENCIA), strict=False):
        assert sign_in(app, user.email, peer=DIRECT_CLIENT, forwarded_for=claimed, password="wrong").status_code == 200

    # A fresh X-Forwarded-For does not buy a fresh budget: the count is the peer's.
    assert sign_in(app, users[2].email, peer=DIRECT_CLIENT, forwarded_for="192.0.2.99").status_code == 429
    assert sign_in(app, users[2].email, peer="198.51.100.21", forwarded_for=MADRID).status_code == 302


@pytest.mark.config(PASSWORD_ATTEMPTS_PER_IP="2 per minute", PASSWORD_ATTEMPTS_PER_ACCOUNT="1000 per minute")
def test_behind_our_proxy_the_ip_budget_is_the_forwarded_clients(app, make_user):
    users = [make_user() for _ in range(3)]
    for user in users[:2]:
        assert sign_in(app, user.email, peer="127.0.0.1", forwarded_for=MADRID, password="wrong").status_code == 200

    assert sign_in(app, users[2].email, peer="127.0.0.1", forwarded_for=MADRID).status_code == 429
    # Another client behind the same proxy has its own budget.
    assert sign_in(app, users[2].email, peer="127.0.0.1", forwarded_for=VALENCIA).status_code == 302


def forwarded_environ(peer: str, trusted: str | None = None, hops: int = 1) -> dict[str, Any]:
    """What the app behind TrustedProxyFix sees of a request from ``peer`` claiming HTTPS from Madrid."""
    seen: dict[str, Any] = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("204 No Content", [])
        return []

    env = {"TRUSTED_PROXY_ADDRESSES": trusted} if trusted else {}
    networks = load_config({"DOORMAN_ENV": "test", **env}, "/tmp")["TRUSTED_PROXY_ADDRESSES"]
    environ = EnvironBuilder(
        "/", headers={"X-Forwarded-For": MADRID, "X-Forwarded-Proto": "https"}, environ_base={"REMOTE_ADDR": peer}
    ).get_environ()
    list(TrustedProxyFix(app, hops=hops, trusted=networks)(environ, lambda status, headers: None))
    return seen


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_forwarded_for_and_proto_from_a_trusted_peer_are_used(peer):
    seen = forwarded_environ(peer)
    assert (seen["REMOTE_ADDR"], seen["wsgi.url_scheme"]) == (MADRID, "https")


@pytest.mark.parametrize("peer", [DIRECT_CLIENT, "::2", "::ffff:198.51.100.20", "", "not an address"])
def test_forwarded_for_and_proto_from_any_other_peer_are_ignored(peer):
    seen = forwarded_environ(peer)
    assert (seen["REMOTE_ADDR"], seen["wsgi.url_scheme"]) == (peer, "http")


def test_a_single_address_entry_trusts_that_address_only():
    assert forwarded_environ("192.0.2.10", trusted="192.0.2.10")["REMOTE_ADDR"] == MADRID
    assert forwarded_environ("192.0.2.11", trusted="192.0.2.10")["REMOTE_ADDR"] == "192.0.2.11"
