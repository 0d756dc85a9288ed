"""Who may use which support route: every route and method, for every kind of visitor."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import active_sessions, event_types, signed_in_client

REASON = "account recovery, ticket 4411"

# (method, path template, what it touches). Targets: a customer and an admin colleague.
ROUTES = [
    ("GET", "/support/", None),
    ("GET", "/support/?q=customer", None),
    ("GET", "/support/users/{customer}", "customer"),
    ("POST", "/support/users/{customer}/open", "customer"),
    ("POST", "/support/users/{customer}/sessions/{customer_session}/sign-out", "customer"),
    ("POST", "/support/users/{customer}/sign-out-all", "customer"),
    ("POST", "/support/users/{customer}/sessions/{customer_session}/reveal-ip", "customer"),
    ("GET", "/support/audit", None),
    ("GET", "/support/mail", None),
    ("GET", "/support/users/{colleague}", "colleague"),
    ("POST", "/support/users/{colleague}/open", "colleague"),
    ("POST", "/support/users/{colleague}/sessions/{colleague_session}/sign-out", "colleague"),
    ("POST", "/support/users/{colleague}/sign-out-all", "colleague"),
    ("POST", "/support/users/{colleague}/sessions/{colleague_session}/reveal-ip", "colleague"),
]
SIGN_IN = "sign in"
EXPECTED = {
    "anonymous": [SIGN_IN] * len(ROUTES),
    "user": [403] * len(ROUTES),
    "support": [200, 200, 200, 302, 302, 302, 302, 403, 403, 403, 403, 403, 403, 403],
    "admin": [200, 200, 200, 302, 302, 302, 302, 200, 200, 200, 302, 302, 302, 302],
}
CASES = [(role, method, path, touches, expected)
         for role, statuses in EXPECTED.items()
         for (method, path, touches), expected in zip(ROUTES, statuses, strict=False)]


@pytest.fixture
def world(app, make_user, make_session):
    customer = make_user("customer@example.com")
    colleague = make_user("colleague@example.com", role="admin")
    customer_session, _ = make_session(customer)
    colleague_session, _ = make_session(colleague)
    return {
        "customer": customer, "colleague": colleague,
        "ids": {"customer": customer.id, "colleague": colleague.id,
                "customer_session": customer_session.id, "colleague_session": colleague_session.id},
    }


def visitor(app, make_user, role):
    if role == "anonymous":
        return app.test_client()
    return signed_in_client(app, make_user(f"{role}.visitor@example.com", role=role).email)


@pytest.mark.parametrize(("role", "method", "path", "touches", "expected"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_access_matrix(app, make_user, world, role, method, path, touches, expected):
    browser = visitor(app, make_user, role)
    url = path.format(**world["ids"])
    events_before = event_types(app)

    response = browser.open(url, method=method, data={"reason": REASON} if method == "POST" else None)

    if expected == SIGN_IN:
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/sign-in"
        assert parse_qs(location.query).get("next") == ([url] if method == "GET" else None)
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if expected != 302 and touches is not None:
        # Refused, or only looked at: every session is still there.
        assert len(active_sessions(app, world[touches].id)) == 1
    if expected in (SIGN_IN, 403):
        assert event_types(app) == events_before  # not even a recorded look
    if expected == 302 and path.endswith("/open"):  # only looked at, and the look is recorded
        assert len(active_sessions(app, world[touches].id)) == 1
        assert event_types(app, world[touches].id)[-1] == "staff_viewed_sessions"
    elif expected == 302 and path.endswith("/reveal-ip"):  # only looked at, with the reason on record
        assert len(active_sessions(app, world[touches].id)) == 1
        assert event_types(app, world[touches].id)[-1] == "staff_revealed_ip"
    elif expected == 302:
        assert active_sessions(app, world[touches].id) == []


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("path", [p for m, p, _ in ROUTES if m == "POST"])
def test_no_state_change_over_get(app, make_user, world, role, path):
    browser = visitor(app, make_user, role)
    assert browser.get(path.format(**world["ids"])).status_code == 405
    assert len(active_sessions(app, world["customer"].id)) == 1


def test_the_matrix_covers_every_support_route(app):
    covered = {(method, path.split("?")[0]) for method, path, _ in ROUTES}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/support"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            shape = (rule.rule.replace("<int:user_id>", "{x}").replace("<uuid:session_id>", "{s}"))
            assert any(m == method and _shape(p) == shape for m, p in covered), (method, rule.rule)


def _shape(path):
    return (path.replace("{customer}", "{x}").replace("{colleague}", "{x}")
            .replace("{customer_session}", "{s}").replace("{colleague_session}", "{s}"))
