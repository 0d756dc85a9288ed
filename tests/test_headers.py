"""Security headers on every response, error pages included (ASVS 5.0 3.4.x; 4.0.3 14.4.x).

The GET routes are read from the app's own URL map, so a page added later
is checked without anyone remembering to list it here.
"""

import re
import uuid

import pytest
from flask import url_for

from tests.conftest import PASSWORD, create_test_app

SAMPLE_ARGUMENTS = {"IntegerConverter": 1, "UUIDConverter": uuid.UUID(int=1)}


def get_routes() -> list[str]:
    """Every GET rule as a path, with sample values for its arguments."""
    app = create_test_app("sqlite://")
    paths = []
    for rule in app.url_map.iter_rules():
        # The API answers JSON, not pages: its own tests (tests/test_api.py) cover it.
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or rule.endpoint.startswith("api."):
            continue
        values = {name: SAMPLE_ARGUMENTS.get(type(conv).__name__, "x") for name, conv in rule._converters.items()}
        with app.test_request_context():
            paths.append(url_for(rule.endpoint, **values))
    return sorted(set(paths))


ROUTES = get_routes()


def assert_secure_headers(response, *, page: bool = True, referrer: str = "same-origin") -> None:
    headers = response.headers
    csp = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'" and csp["object-src"] == "'none'"  # 5.0 3.4.3
    assert csp["base-uri"] == "'none'" and csp["frame-ancestors"] == "'none'"  # 3.4.3, 3.4.6
    assert csp["style-src"] == "'self'" and csp["form-action"] == "'self'"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert not re.search(r"https?:|\*", headers["Content-Security-Policy"])  # no third-party origin
    assert headers["X-Content-Type-Options"] == "nosniff"  # 3.4.4
    assert headers["Referrer-Policy"] == referrer  # 3.4.5
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"  # 3.4.1
    if page:
        assert headers["Cache-Control"] == "no-store"
        body = response.get_data(as_text=True)
        assert "<script" not in body.lower()  # nothing inline for the CSP to have to allow
        assert not re.search(r"\sstyle=|\son[a-z]+=", body)


def test_the_route_list_is_not_empty():
    assert {"/sign-in", "/devices", "/account/password", "/confirm-password"} <= set(ROUTES)


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("who", ["anonymous", "user", "admin"])
def test_v3_4_every_page_has_the_security_headers(app, client, auth, make_user, path, who):
    if who != "anonymous":
        user = make_user(f"{who}@example.com", role=who)
        assert auth.sign_in(user.email).status_code == 302
    response = client.get(path)
    # An alert email's link carries its token in the path: its pages send no Referer at all.
    assert_secure_headers(response, referrer="no-referrer" if path.startswith("/sessions/end/") else "same-origin")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "/no-such-page", 404), ("get", "/sign-out", 405), ("post", "/devices", 405)],
)
def test_error_pages_have_them_too(client, signed_in, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert_secure_headers(response)


@pytest.mark.config(PASSWORD_ATTEMPTS_PER_ACCOUNT="1 per minute")
def test_the_too_many_attempts_page_has_them(client, make_user):
    user = make_user()
    client.post("/sign-in", data={"email": user.email, "password": "wrong"})
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert_secure_headers(response)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_stale_form_redirect_has_them(client, make_user):
    response = client.post("/sign-in", data={"email": "a@example.com", "password": "x"})
    assert response.status_code == 302
    assert_secure_headers(response, page=False)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_database_failure_page_has_them(client, signed_in, sessions_table_moved):
    with sessions_table_moved():
        response = client.get("/devices")
    assert response.status_code == 503
    assert_secure_headers(response)


def test_static_files_get_the_headers_but_may_be_cached(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert_secure_headers(response, page=False)
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_no_hsts_over_plain_http_in_development(database_url):
    app = create_test_app(database_url, COOKIE_SECURE=False)
    response = app.test_client().get("/sign-in")
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_header_the_response_set_itself_is_kept_and_never_doubled(app):
    from flask import Response

    from app.headers import add_security_headers, security_headers

    own = Response("framed on purpose", headers={"x-frame-options": "SAMEORIGIN", "Cache-Control": "max-age=60"})
    with app.test_request_context("/devices"):
        headers = add_security_headers(own, security_headers(https=True)).headers

    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert headers.getlist("Cache-Control") == ["no-store"]  # a page is never cached, whatever the view said
    assert headers.getlist("Content-Security-Policy") == [security_headers(https=True)[0][2]]
    assert len(headers.getlist("Strict-Transport-Security")) == 1
