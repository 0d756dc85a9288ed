"""With CSRF protection on, as in production: a POST without a valid token changes nothing."""

import re

import pytest

from app.extensions import db, services
from app.models import UserSession
from tests.conftest import PASSWORD
from tests.helpers import csrf_tokens_in

pytestmark = pytest.mark.config(WTF_CSRF_ENABLED=True)


def csrf_token_from(page: str) -> str:
    return csrf_tokens_in(page)[0]


def sign_in(client, email):
    token = csrf_token_from(client.get("/sign-in").get_data(as_text=True))
    return client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})


def test_sign_in_without_a_csrf_token_is_refused(app, client, make_user):
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD}, follow_redirects=True)
    assert "That form had expired, so nothing was changed." in response.get_data(as_text=True)
    assert client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]) is None
    with app.app_context():
        assert db.session.query(UserSession).count() == 0


def test_sign_in_with_a_csrf_token_works(app, client, make_user):
    response = sign_in(client, make_user().email)
    assert (response.status_code, response.headers["Location"]) == (302, "/devices")


@pytest.mark.parametrize("csrf_token", [None, "", "forged-token"])
def test_sign_out_without_a_valid_csrf_token_keeps_the_session(app, client, make_user, csrf_token):
    sign_in(client, make_user().email)
    data = {} if csrf_token is None else {"csrf_token": csrf_token}

    response = client.post("/sign-out", data=data, headers={"Referer": "http://localhost/devices"})

    assert (response.status_code, response.headers["Location"]) == (302, "/devices")
    assert client.get("/devices").status_code == 200
    with app.app_context():
        assert db.session.query(UserSession).filter_by(is_active=True).count() == 1


def test_a_stale_form_from_before_sign_in_is_a_message_not_an_error(app, client, make_user):
    user = make_user()
    stale = csrf_token_from(client.get("/sign-in").get_data(as_text=True))
    sign_in(client, user.email)  # a new CSRF secret comes with the new session

    response = client.post("/sign-out", data={"csrf_token": stale}, follow_redirects=True)

    assert response.status_code == 200
    assert "That form had expired" in response.get_data(as_text=True)
    assert client.get("/devices").status_code == 200


def test_sign_out_with_the_pages_token_works(client, make_user):
    sign_in(client, make_user().email)
    token = csrf_token_from(client.get("/devices").get_data(as_text=True))
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.headers["Location"] == "/sign-in"
    assert client.get("/devices").status_code == 302


def test_a_foreign_referer_over_https_is_refused(app, client, make_user):
    sign_in(client, make_user().email)
    token = csrf_token_from(client.get("/devices").get_data(as_text=True))
    response = client.post(
        "/sign-out",
        data={"csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://evil.example/page"},
    )
    assert response.headers["Location"] != "/sign-in"
    assert client.get("/devices").status_code == 200


def post_routes(app):
    return sorted(rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods)


def test_every_post_route_refuses_a_missing_token(app, client, make_user, make_session):
    """Walks the URL map, so a new form that forgets CSRF fails here."""
    user = make_user()
    sign_in(client, user.email)
    other, _ = make_session(user)
    with app.app_context():
        # A real "Not you? End this session" link for the other session: only its page's CSRF token may use it.
        link = services(app).end_session_links.issue(db.session.merge(other))
        db.session.commit()
    routes = post_routes(app)
    assert {"/sign-in", "/sign-out", "/devices/<uuid:session_id>/sign-out", "/devices/sign-out-others"} <= set(routes)

    for route in routes:
        url = re.sub(r"<(uuid:)?session_id>", str(other.id), route).replace("<int:user_id>", str(user.id))
        url = url.replace("<token>", link)
        url = url.replace("<int:device_id>", "1")  # a known device id; CSRF refuses before anything is looked up
        response = client.post(url, data={"password": PASSWORD, "email": user.email, "reason": "because"})
        # The API is exempt from CSRF because it never reads the cookie: a form post there opens nothing.
        refusals = (401, 415) if url.startswith("/api/") else (302, 400, 403)
        assert response.status_code in refusals, url  # staff routes may refuse a plain user first
        assert "/sign-in" != response.headers.get("Location"), url

    with app.app_context():
        assert db.session.query(UserSession).filter_by(is_active=True).count() == 2
    assert client.get("/devices").status_code == 200
