"""Every API operation, fed what schemathesis generates from the live OpenAPI document.

The document is the one the app serves (``GET /api/v1/openapi.json``), loaded
through WSGI from the test's own app, on SQLite and PostgreSQL. Each case
carries a fresh bearer token from ``POST /api/v1/auth/token`` for a real
account: a case may end its session (sign-out, revoke-all, a DELETE of its
own id), and the next one must not inherit a refusal it did not earn.
A case fails on any 5xx and on any status, content type, header or body
that the document does not declare.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api.openapi import OPERATIONS
from app.api.paths import API_PREFIX
from tests.conftest import PASSWORD

CONFORMANCE = [status_code_conformance, content_type_conformance, response_headers_conformance,
               response_schema_conformance]
CHECKS = [not_a_server_error, *CONFORMANCE]
# The token is fetched from an address of its own, so that generated sign-ins with
# wrong passwords spend another address's budget, never the one this needs.
TOKEN_CLIENT_ADDRESS = "198.51.100.7"


@pytest.fixture
def api_schema(app, make_user):
    make_user("schemathesis@example.com")
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def fresh_access_token(app) -> str:
    response = app.test_client().post(
        "/api/v1/auth/token", json={"email": "schemathesis@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": TOKEN_CLIENT_ADDRESS},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


# One test per declared operation. Schemathesis's own pytest loader (from_fixture) renames
# test nodes through a private attribute that this pytest no longer has, so the
# strategies are drawn here with Hypothesis's @given instead.
@pytest.mark.parametrize(("method", "path"), [(op.method, API_PREFIX + op.path) for op in OPERATIONS],
                         ids=[f"{op.method.upper()} {op.path}" for op in OPERATIONS])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_operation_answers_within_its_documented_schema(app, api_schema, method, path, mode):
    """Positive cases fit the document; negative ones break it (wrong types, missing or unknown fields)."""
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def answers_as_documented(case):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {fresh_access_token(app)}"}
        case.call_and_validate(checks=CHECKS)

    answers_as_documented()


def real_tokens(app) -> dict[str, str]:
    response = app.test_client().post(
        "/api/v1/auth/token", json={"email": "schemathesis@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": TOKEN_CLIENT_ADDRESS},
    )
    return response.get_json()


def test_the_answers_random_data_rarely_reaches_conform_too(app, api_schema):
    """Success paths that need real secrets (a right password, a live refresh token, an own session id)."""
    tokens, other, third = real_tokens(app), real_tokens(app), real_tokens(app)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    cases = [
        (api_schema["/api/v1/auth/token"]["post"].Case(
            body={"email": "schemathesis@example.com", "password": PASSWORD, "client_name": "Doorman CLI"}), 200),
        (api_schema["/api/v1/auth/refresh"]["post"].Case(body={"refresh_token": other["refresh_token"]}), 200),
        # Sent again: reuse, which also ends ``other``'s session.
        (api_schema["/api/v1/auth/refresh"]["post"].Case(body={"refresh_token": other["refresh_token"]}), 401),
        (api_schema["/api/v1/sessions"]["get"].Case(headers=auth), 200),
        (api_schema["/api/v1/sessions/{session_id}"]["delete"].Case(
            path_parameters={"session_id": third["session_id"]}, headers=auth), 204),
        (api_schema["/api/v1/sessions/revoke-all"]["post"].Case(headers=auth), 200),
        (api_schema["/api/v1/auth/sign-out"]["post"].Case(headers=auth), 204),
        (api_schema["/api/v1/sessions"]["get"].Case(headers=auth), 401),
    ]
    for case, status in cases:
        assert case.call_and_validate(checks=CHECKS).status_code == status, case


def test_a_token_in_the_query_string_is_a_documented_400(app, api_schema):
    auth = {"Authorization": f"Bearer {fresh_access_token(app)}"}
    for path, method in [("/api/v1/sessions", "get"), ("/api/v1/sessions/revoke-all", "post"),
                         ("/api/v1/auth/sign-out", "post")]:
        case = api_schema[path][method].Case(headers=auth, query={"access_token": "x"})
        assert case.call_and_validate(checks=CHECKS).status_code == 400


def test_a_database_failure_is_a_documented_503_on_every_operation(app, api_schema, sessions_table_moved):
    tokens = real_tokens(app)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    cases = [
        api_schema["/api/v1/sessions"]["get"].Case(headers=auth),
        api_schema["/api/v1/auth/refresh"]["post"].Case(body={"refresh_token": tokens["refresh_token"]}),
    ]
    with sessions_table_moved():
        for case in cases:
            # A deliberate 5xx: only whether the document declares it is checked here.
            assert case.call_and_validate(checks=CONFORMANCE).status_code == 503
    assert all("503" in answer["responses"] for methods in api_schema.raw_schema["paths"].values()
               for answer in methods.values())
