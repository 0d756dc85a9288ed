"""LOG_FORMAT=json: a JSON line per request and per error, with the request id, and never a secret (issue 16)."""

import io
import json
import uuid
from collections.abc import Callable

import pytest

from app.config import ConfigurationError, load_config
from tests.conftest import PASSWORD
from tests.test_secrets_not_logged import assert_no_secrets

REQUEST_FIELDS = ("method", "route", "status", "duration_ms", "user_id", "session_id")


@pytest.fixture
def json_lines(app) -> Callable[[], list[dict]]:
    """Everything the app's JSON handler writes from now on, each line parsed (a line that is not JSON fails)."""
    written = io.StringIO()
    (handler,) = app.logger.handlers
    handler.setStream(written)

    def lines() -> list[dict]:
        text = written.getvalue()
        parsed = [json.loads(line) for line in text.splitlines()]
        for line in parsed:
            assert {"time", "level", "logger", "message", "request_id"} <= line.keys(), line
        return parsed

    lines.text = written.getvalue  # type: ignore[attr-defined]
    return lines


def requests_in(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line.get("event") == "request"]


@pytest.mark.env(LOG_FORMAT="json")
def test_sign_in_revocation_database_failure_and_api_error_log_json_lines_without_secrets(
    app, client, json_lines, make_user, make_session, sessions_table_moved
):
    user = make_user()
    other, other_token = make_session(user)
    assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 302
    own_token = client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value
    assert client.post(f"/devices/{other.id}/sign-out").status_code == 302  # a revocation
    revoked = app.test_client()
    revoked.set_cookie(app.config["SESSION_TOKEN_COOKIE"], other_token)
    assert revoked.get("/devices").status_code == 302  # refused on its next request
    bearer = "not-a-real-access-token-" + uuid.uuid4().hex
    assert client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {bearer}"}).status_code == 401
    with sessions_table_moved():
        assert client.get("/devices").status_code == 503

    lines = json_lines()
    requests = requests_in(lines)
    assert [(line["method"], line["route"], line["status"]) for line in requests] == [
        ("POST", "/sign-in", 302),
        ("POST", "/devices/<uuid:session_id>/sign-out", 302),  # the rule: never the path with its id
        ("GET", "/devices", 302),
        ("GET", "/api/v1/sessions", 401),
        ("GET", "/devices", 503),
    ]
    for line in requests:
        assert set(REQUEST_FIELDS) <= line.keys() and line["duration_ms"] >= 0
    signed_in_lines = [requests[1]]
    assert all(line["user_id"] == user.id for line in signed_in_lines)
    assert requests[1]["session_id"] != str(other.id) and uuid.UUID(requests[1]["session_id"])
    assert requests[2]["user_id"] is None and requests[3]["user_id"] is None  # the revoked cookie, the bad token
    assert len({line["request_id"] for line in requests}) == len(requests)

    failure = next(line for line in lines if line["message"].startswith("session lookup failed"))
    assert failure["level"] == "ERROR" and failure["request_id"] == requests[-1]["request_id"]
    assert "user_sessions" in failure["message"]  # what failed is still there for the operator

    logged = json_lines.text()
    assert_no_secrets(logged, own_token, other_token, bearer)
    assert "Cookie" not in logged and "Authorization" not in logged and "Bearer" not in logged


@pytest.mark.env(LOG_FORMAT="json")
def test_the_request_id_is_echoed_and_a_fresh_one_each_time(client, json_lines):
    first, second = client.get("/sign-in"), client.get("/sign-in")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert ids[0] != ids[1]
    assert [line["request_id"] for line in requests_in(json_lines())] == ids


@pytest.mark.env(LOG_FORMAT="json", TRUSTED_PROXIES="1")
@pytest.mark.parametrize(("peer", "given", "kept"), [
    ("127.0.0.1", "edge-4bf92f3577b34da6", True),  # our proxy, a well-formed id
    ("203.0.113.5", "edge-4bf92f3577b34da6", False),  # a client reaching the app directly
    ("127.0.0.1", "x" * 129, False),  # too long
    ("127.0.0.1", "id with spaces", False),
    ("127.0.0.1", '"}{"level":"CRITICAL', False),
], ids=["trusted", "untrusted-peer", "too-long", "spaces", "json-injection"])
def test_x_request_id_is_taken_only_from_a_trusted_proxy_and_only_when_well_formed(
    client, json_lines, peer, given, kept
):
    response = client.get("/sign-in", headers={"X-Request-ID": given, "X-Forwarded-For": "198.51.100.7"},
                          environ_base={"REMOTE_ADDR": peer})
    echoed = response.headers["X-Request-ID"]
    assert (echoed == given) is kept
    if not kept:
        assert len(echoed) == 32 and int(echoed, 16) >= 0
    assert requests_in(json_lines())[0]["request_id"] == echoed


@pytest.mark.env(LOG_FORMAT="json")
def test_x_request_id_is_ignored_without_trusted_proxies(client):
    assert client.get("/sign-in", headers={"X-Request-ID": "from-the-client"}).headers["X-Request-ID"] != \
        "from-the-client"


@pytest.mark.env(LOG_FORMAT="json")
def test_health_checks_are_logged_without_resolving_anyone(client, json_lines, signed_in):
    client.get("/healthz")
    (line,) = [line for line in requests_in(json_lines()) if line["route"] == "/healthz"]
    assert line["status"] == 200 and line["user_id"] is None


def test_the_default_stays_text_with_no_request_id(client, app):
    assert app.config["LOG_FORMAT"] == "text"
    assert "X-Request-ID" not in client.get("/sign-in").headers


def test_an_unknown_log_format_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="LOG_FORMAT must be text or json"):
        load_config({"DOORMAN_ENV": "test", "LOG_FORMAT": "xml"}, str(tmp_path))


@pytest.mark.env(LOG_FORMAT="json")
@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_an_unhandled_exception_is_one_json_line_with_its_request_id_and_route(app, json_lines):
    def fails(secret: str) -> str:
        raise RuntimeError("the view broke")

    app.add_url_rule("/broken/<secret>", "broken", fails)
    response = app.test_client().get("/broken/s3cr3t-in-the-path")
    assert response.status_code == 500

    lines = json_lines()
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["message"] == "Exception on /broken/<secret> [GET]"
    assert "RuntimeError: the view broke" in error["exception"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert requests_in(lines)[0]["status"] == 500
    assert "s3cr3t-in-the-path" not in json_lines.text()
