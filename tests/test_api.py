"""The JSON API for apps: tokens, refresh, sessions, and every error as problem details."""

import uuid

import pytest

from app.models import EndReason, EventType, SessionKind
from bench.statements import is_write, recorded_statements
from tests.conftest import PASSWORD
from tests.helpers import SAFARI_IPHONE, event_types, session_row, signed_in_client

APP_AGENT = "DoormanApp/2.1 (iPhone; iOS 17.1)"
PROBLEM = "application/problem+json"


def get_tokens(client, email, password=PASSWORD, **fields):
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password, **fields},
                           headers={"User-Agent": APP_AGENT})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status, kind):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["type"] == f"https://doorman.example/problems/{kind}"
    assert body["status"] == status and body["title"]
    return body


def test_signing_an_app_in_answers_a_bearer_pair_and_opens_an_app_session(app, client, make_user):
    user = make_user()
    tokens = get_tokens(client, user.email, client_name="Doorman for iOS", device_id="A1B2")

    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in", "session_id"}
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    row = session_row(app, uuid.UUID(tokens["session_id"]))
    assert (row.kind, row.client_name, row.user_agent) == (SessionKind.APP, "Doorman for iOS", APP_AGENT)
    # The device_id is known by its hash, through the known device the session links to; the value is not kept.
    assert row.known_device_id is not None
    assert "device_id" not in (row.extra or {}) and "A1B2" not in repr(row.extra)
    assert event_types(app, user.id) == [EventType.SIGNED_IN]


def test_a_wrong_password_and_an_unknown_account_get_the_same_401(app, client, make_user):
    user = make_user()
    wrong = client.post("/api/v1/auth/token", json={"email": user.email, "password": "not it"})
    unknown = client.post("/api/v1/auth/token", json={"email": "nobody@example.com", "password": "not it"})
    assert assert_problem(wrong, 401, "invalid-credentials") == assert_problem(unknown, 401, "invalid-credentials")
    assert event_types(app, user.id) == [EventType.SIGN_IN_FAILED]


@pytest.mark.config(PASSWORD_ATTEMPTS_PER_ACCOUNT="2 per 15 minutes")
def test_the_form_s_password_budgets_answer_429_with_retry_after(client, make_user):
    user = make_user()
    for _ in range(2):
        client.post("/api/v1/auth/token", json={"email": user.email, "password": "wrong"})
    refused = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert_problem(refused, 429, "too-many-attempts")
    assert int(refused.headers["Retry-After"]) > 0


@pytest.mark.parametrize(("body", "fields"), [
    ({"email": "a@example.com"}, ["password"]),
    ({"email": 5, "password": "x"}, ["email"]),
    ({"email": "a@example.com", "password": ["x"]}, ["password"]),
    ({"email": "a@example.com", "password": "x", "admin": True}, ["admin"]),
    ({"email": "a@example.com", "password": "x", "client_name": "x" * 61}, ["client_name"]),
    ({"email": "a@example.com", "password": "x", "client_name": "line\nbreak"}, ["client_name"]),
    ({"email": "a\u0000@example.com", "password": "x"}, ["email"]),
    ({"email": "a@example.com", "password": "\ud800"}, ["password"]),
    ({}, ["email", "password"]),
])
def test_bad_bodies_are_422_naming_the_fields_at_fault_and_never_echoing_them(client, body, fields):
    response = client.post("/api/v1/auth/token", json=body)
    problem = assert_problem(response, 422, "invalid-body")
    assert sorted(error["field"] for error in problem["errors"]) == fields
    assert "\ud800" not in response.get_data(as_text=True) and '"x"' not in response.get_data(as_text=True)


@pytest.mark.parametrize(("data", "content_type", "status", "kind"), [
    (b"{not json", "application/json", 400, "malformed-json"),
    (b"[1, 2]", "application/json", 400, "malformed-json"),
    (b"[" * 7000 + b"]" * 7000, "application/json", 400, "malformed-json"),
    (b"email=a&password=b", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
    (b'{"email": "' + b"a" * 20_000 + b'"}', "application/json", 413, "body-too-large"),
])
def test_bodies_that_are_not_a_json_object_or_too_big_are_refused(client, data, content_type, status, kind):
    assert_problem(client.post("/api/v1/auth/token", data=data, content_type=content_type), status, kind)


def test_the_access_token_opens_the_api_and_refresh_rotates_it(client, make_user):
    user = make_user()
    first = get_tokens(client, user.email)
    assert client.get("/api/v1/sessions", headers=bearer(first["access_token"])).status_code == 200

    response = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    second = response.get_json()
    assert second["session_id"] == first["session_id"]
    assert_problem(client.get("/api/v1/sessions", headers=bearer(first["access_token"])), 401, "invalid-token")
    assert client.get("/api/v1/sessions", headers=bearer(second["access_token"])).status_code == 200


def test_an_old_refresh_token_used_again_ends_the_session_and_shows_on_activity(app, client, make_user):
    user = make_user()
    first = get_tokens(client, user.email, client_name="Doorman CLI")
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).get_json()

    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}),
                   401, "invalid-refresh-token")
    assert_problem(client.get("/api/v1/sessions", headers=bearer(second["access_token"])), 401, "invalid-token")
    assert session_row(app, uuid.UUID(first["session_id"])).revoked_reason == EndReason.REFRESH_TOKEN_REUSED
    browser = signed_in_client(app, user.email)
    assert "An app&#39;s sign-in was ended because an old token was used again" in browser.get("/activity").get_data(
        as_text=True)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer " + "x" * 43}, {"Authorization": "Bearer é"}])
def test_a_missing_or_unknown_token_is_401_with_www_authenticate(client, headers):
    response = client.get("/api/v1/sessions", headers=headers)
    assert_problem(response, 401, "invalid-token")
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_an_expired_access_token_is_refused_but_the_refresh_token_still_works(client, make_user, clock):
    tokens = get_tokens(client, make_user().email)
    clock.advance(seconds=900)
    assert_problem(client.get("/api/v1/sessions", headers=bearer(tokens["access_token"])), 401, "invalid-token")
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 200


def test_a_token_in_the_query_string_is_refused_even_a_valid_one(client, make_user):
    tokens = get_tokens(client, make_user().email)
    response = client.get(f"/api/v1/sessions?access_token={tokens['access_token']}")
    assert_problem(response, 400, "token-in-url")
    response = client.get(f"/api/v1/sessions?access_token={tokens['access_token']}",
                          headers=bearer(tokens["access_token"]))
    assert_problem(response, 400, "token-in-url")


def test_the_api_never_accepts_the_browser_cookie_and_needs_no_csrf(app, make_user):
    user = make_user()
    browser = signed_in_client(app, user.email)
    assert_problem(browser.get("/api/v1/sessions"), 401, "invalid-token")
    assert_problem(browser.post("/api/v1/sessions/revoke-all"), 401, "invalid-token")


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_with_csrf_on_the_api_still_answers_json_requests(client, make_user):
    tokens = get_tokens(client, make_user().email)
    response = client.post("/api/v1/sessions/revoke-all", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200


def test_html_pages_never_accept_a_bearer_token(client, make_user):
    tokens = get_tokens(client, make_user().email)
    response = client.get("/devices", headers=bearer(tokens["access_token"]))
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_listing_sessions_shows_browsers_and_apps_with_the_seed_fields(app, client, make_user):
    user = make_user()
    signed_in_client(app, user.email, user_agent=SAFARI_IPHONE, ip_address="147.96.1.1")
    tokens = get_tokens(client, user.email, client_name="Doorman for iOS")

    listed = client.get("/api/v1/sessions", headers=bearer(tokens["access_token"])).get_json()["sessions"]

    assert {s["kind"] for s in listed} == {"browser", "app"}
    assert set(listed[0]) == {"id", "device_type", "browser", "os", "ip_address", "country", "city", "created_at",
                              "last_activity_at", "is_current", "kind", "client_name"}
    [current] = [s for s in listed if s["is_current"]]
    assert (current["id"], current["client_name"]) == (tokens["session_id"], "Doorman for iOS")
    assert current["created_at"] == "2026-11-03T09:00:00Z"
    assert next(s for s in listed if s["kind"] == "browser")["city"] == "Madrid"


def test_deleting_a_session_ends_it_and_its_tokens_fail_on_the_very_next_request(app, client, make_user):
    user = make_user()
    mine = get_tokens(client, user.email)
    other = get_tokens(client, user.email)
    assert client.get("/api/v1/sessions", headers=bearer(other["access_token"])).status_code == 200

    response = client.delete(f"/api/v1/sessions/{other['session_id']}", headers=bearer(mine["access_token"]))

    assert response.status_code == 204 and response.data == b""
    assert_problem(client.get("/api/v1/sessions", headers=bearer(other["access_token"])), 401, "invalid-token")
    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]}),
                   401, "invalid-refresh-token")
    assert session_row(app, uuid.UUID(other["session_id"])).revoked_reason == EndReason.REVOKED_BY_USER


@pytest.mark.parametrize("which", ["foreign", "unknown", "malformed", "ended"])
def test_another_account_s_unknown_malformed_or_ended_session_is_the_same_404(app, client, make_user, which):
    user, stranger = make_user(), make_user()
    mine = get_tokens(client, user.email)
    theirs = get_tokens(client, stranger.email)
    ended = get_tokens(client, user.email)
    client.post("/api/v1/auth/sign-out", headers=bearer(ended["access_token"]))
    target = {"foreign": theirs["session_id"], "unknown": str(uuid.uuid4()), "malformed": "not-a-uuid%00",
              "ended": ended["session_id"]}[which]

    response = client.delete(f"/api/v1/sessions/{target}", headers=bearer(mine["access_token"]))

    body = assert_problem(response, 404, "session-not-found")
    assert body["detail"] == "That session does not exist or is already signed out."
    assert session_row(app, uuid.UUID(theirs["session_id"])).is_active


def test_sign_out_ends_this_app_session(app, client, make_user):
    user = make_user()
    tokens = get_tokens(client, user.email)
    assert client.post("/api/v1/auth/sign-out", headers=bearer(tokens["access_token"])).status_code == 204
    assert_problem(client.post("/api/v1/auth/sign-out", headers=bearer(tokens["access_token"])), 401, "invalid-token")
    assert session_row(app, uuid.UUID(tokens["session_id"])).revoked_reason == EndReason.SIGNED_OUT
    assert event_types(app, user.id)[-1] == EventType.SIGNED_OUT


def test_revoke_all_ends_every_other_session_browser_and_app_and_keeps_this_one(app, client, make_user):
    user = make_user()
    browser = signed_in_client(app, user.email)
    other_app = get_tokens(client, user.email)
    mine = get_tokens(client, user.email)

    response = client.post("/api/v1/sessions/revoke-all", headers=bearer(mine["access_token"]))

    assert response.get_json() == {"message": "Signed out 2 other sessions.", "count": 2}
    assert browser.get("/devices").status_code == 302
    assert_problem(client.get("/api/v1/sessions", headers=bearer(other_app["access_token"])), 401, "invalid-token")
    assert client.get("/api/v1/sessions", headers=bearer(mine["access_token"])).status_code == 200


def test_unknown_api_paths_and_methods_are_problems_too(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")
    response = client.get("/api/v1/auth/token")
    assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["Allow"]


@pytest.mark.config(SESSION_TOUCH_INTERVAL=60)
def test_a_bearer_request_resolves_in_one_statement_and_writes_only_after_the_touch_interval(
    app, client, make_user, clock
):
    tokens = get_tokens(client, make_user().email)
    headers = bearer(tokens["access_token"])
    client.post("/api/v1/auth/sign-out", headers=bearer("x" * 43))  # warm the pool
    clock.advance(seconds=30)

    with recorded_statements(app) as inside:
        response = client.post("/api/v1/auth/sign-out", headers={**headers, "Authorization": "Bearer " + "y" * 43})
    assert response.status_code == 401 and len(inside) == 1, inside
    with recorded_statements(app) as listing:
        client.get("/api/v1/sessions", headers=headers)
    assert [s for s in listing if is_write(s)] == []
    assert "access_token_hash" in listing[0] and "JOIN users" in listing[0]
    clock.advance(seconds=31)
    with recorded_statements(app) as after:
        client.get("/api/v1/sessions", headers=headers)
    assert [s.split()[0].upper() for s in after if is_write(s)] == ["UPDATE"]


def test_an_app_session_on_the_devices_page_is_ended_from_there(app, client, make_user):
    user = make_user()
    tokens = get_tokens(client, user.email, client_name="Doorman for iOS")
    browser = signed_in_client(app, user.email)
    assert tokens["session_id"] in browser.get("/devices").get_data(as_text=True)

    response = browser.post(f"/devices/{tokens['session_id']}/sign-out")

    assert response.status_code == 302
    assert_problem(client.get("/api/v1/sessions", headers=bearer(tokens["access_token"])), 401, "invalid-token")
    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
                   401, "invalid-refresh-token")


def test_a_password_change_ends_app_sessions(app, client, make_user):
    user = make_user()
    tokens = get_tokens(client, user.email)
    browser = signed_in_client(app, user.email)
    response = browser.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a new long password",
        "confirm_new_password": "a new long password"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert_problem(client.get("/api/v1/sessions", headers=bearer(tokens["access_token"])), 401, "invalid-token")
    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
                   401, "invalid-refresh-token")
    assert session_row(app, uuid.UUID(tokens["session_id"])).revoked_reason == EndReason.PASSWORD_CHANGED


def test_disabling_the_account_ends_app_sessions(app, client, make_user, services):
    user = make_user()
    tokens = get_tokens(client, user.email)
    with app.app_context():
        from app.extensions import db
        services.users.disable(user.id)
        db.session.commit()
    assert_problem(client.get("/api/v1/sessions", headers=bearer(tokens["access_token"])), 401, "invalid-token")
    assert session_row(app, uuid.UUID(tokens["session_id"])).revoked_reason == EndReason.ACCOUNT_DISABLED


def test_a_database_failure_on_a_bearer_request_is_a_503_problem_never_a_500(app, client, make_user,
                                                                            sessions_table_moved):
    tokens = get_tokens(client, make_user().email)
    with sessions_table_moved():
        response = client.get("/api/v1/sessions", headers=bearer(tokens["access_token"]))
        refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(response, 503, "unavailable")
    assert_problem(refresh, 503, "unavailable")
    assert client.get("/api/v1/sessions", headers=bearer(tokens["access_token"])).status_code == 200
