"""The OpenAPI 3.1 document is built from the schemas the views validate and answer with."""

import pytest
from pydantic import ValidationError

from app.api.schemas import SessionList, TokenRequest, TokenResponse
from tests.conftest import PASSWORD

OPERATIONS = {
    ("/api/v1/auth/token", "post"), ("/api/v1/auth/refresh", "post"), ("/api/v1/auth/sign-out", "post"),
    ("/api/v1/sessions", "get"), ("/api/v1/sessions/{session_id}", "delete"), ("/api/v1/sessions/revoke-all", "post"),
}


def test_the_document_is_openapi_3_1_with_every_operation_and_their_schemas(client):
    document = client.get("/api/v1/openapi.json").get_json()

    assert document["openapi"] == "3.1.0"
    assert {(path, method) for path, methods in document["paths"].items() for method in methods} == OPERATIONS
    schemas = document["components"]["schemas"]
    assert schemas["TokenRequest"] == TokenRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    assert schemas["TokenRequest"]["additionalProperties"] is False
    token = document["paths"]["/api/v1/auth/token"]["post"]
    body_schema = token["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema == {"$ref": "#/components/schemas/TokenRequest"}
    assert token["security"] == []
    assert document["paths"]["/api/v1/sessions"]["get"]["security"] == [{"bearer": []}]
    assert "application/problem+json" in token["responses"]["401"]["content"]


def test_real_answers_validate_against_the_response_schemas(client, make_user):
    user = make_user()
    answer = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).get_json()
    TokenResponse.model_validate(answer)
    listed = client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {answer['access_token']}"})
    SessionList.model_validate(listed.get_json())
    with pytest.raises(ValidationError):
        SessionList.model_validate({"sessions": [{"id": "x"}]})
