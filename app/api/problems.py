"""Every API error as RFC 9457 problem details, with a stable ``type`` URI per kind of error."""

from typing import Any

from flask import Response, current_app, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from app.api.schemas import FieldError, Problem

PROBLEM_TYPE_BASE = "https://doorman.example/problems/"
PROBLEM_JSON = "application/problem+json"


class ApiProblem(Exception):
    """Raised by views and helpers; the blueprint answers it as problem details."""

    def __init__(self, status: int, kind: str, title: str, detail: str | None = None, *,
                 errors: list[FieldError] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(title)
        self.problem = Problem(type=PROBLEM_TYPE_BASE + kind, title=title, status=status, detail=detail,
                               errors=errors)
        self.headers = headers or {}


def invalid_token(detail: str = "The access token is missing, expired or no longer valid.") -> ApiProblem:
    return ApiProblem(401, "invalid-token", "Invalid access token", detail,
                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def invalid_body(error: ValidationError) -> ApiProblem:
    """The fields at fault, and why; never the values sent (one may be a password)."""
    errors = [
        FieldError(field=".".join(str(part) for part in item["loc"]), detail=_detail(item))
        for item in error.errors(include_url=False, include_input=False, include_context=False)
    ]
    return ApiProblem(422, "invalid-body", "The request body is not valid",
                      "See errors for each field at fault.", errors=errors)


def _detail(item: Any) -> str:
    if item["type"] == "extra_forbidden":
        return "is not a field of this request"
    if item["type"] == "missing":
        return "is required"
    message = str(item["msg"])
    return message.removeprefix("Value error, ")


def problem_response(problem: ApiProblem) -> Response:
    response = jsonify(problem.problem.model_dump(mode="json", exclude_none=True))
    response.status_code = problem.problem.status
    response.mimetype = PROBLEM_JSON
    response.headers.update(problem.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def http_problem(error: HTTPException) -> Response:
    """Werkzeug's own errors (404, 405, 413, 415, ...) on API paths, as problem details."""
    code = error.code or 500
    kind = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large",
            415: "unsupported-media-type"}.get(code, f"http-{code}")
    headers = dict(error.get_response().headers) if code == 405 else {}
    allow = {"Allow": headers["Allow"]} if "Allow" in headers else {}
    return problem_response(ApiProblem(code, kind, error.name, error.description, headers=allow))


def unavailable() -> Response:
    current_app.logger.error("database error on an API request; answering 503", exc_info=True)
    return problem_response(ApiProblem(503, "unavailable", "Service unavailable",
                                       "Nothing was changed. Please try again shortly."))
