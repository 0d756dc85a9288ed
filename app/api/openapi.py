"""The OpenAPI 3.1 document, generated from the operations the blueprint registers and their models.

A thin generator over pydantic's ``model_json_schema`` rather than a
framework that replaces Flask's blueprints: the six operations declare
their body and answers next to the view (``operation``), and the JSON
Schemas are exactly the ones the views validate and serialise with.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.api.schemas import Problem

View = TypeVar("View", bound=Callable[..., Any])

_REASONS = {200: "OK", 204: "No content", 400: "Malformed request", 401: "Not signed in",
            404: "No such session", 413: "Body too large", 415: "Not JSON",
            422: "Invalid body", 429: "Too many password attempts", 503: "Database unavailable"}

# What bearer_required answers before any view runs: a token in the URL (400), none or a dead one (401).
BEARER_ANSWERS: dict[int, type[BaseModel] | None] = {400: Problem, 401: Problem}
# The blueprint answers a database error on any operation with 503 (problems.unavailable).
EVERY_OPERATION_ANSWERS: dict[int, type[BaseModel] | None] = {503: Problem}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    body: type[BaseModel] | None
    answers: dict[int, type[BaseModel] | None]
    bearer: bool
    operation_id: str
    path_parameters: tuple[str, ...] = field(default=())


OPERATIONS: list[Operation] = []


def operation(method: str, path: str, *, body: type[BaseModel] | None = None,
              answers: dict[int, type[BaseModel] | None], bearer: bool = True) -> Callable[[View], View]:
    """Declare a view's operation for the document: its path (OpenAPI style), body and answers."""

    def declare(view: View) -> View:
        parameters = tuple(part[1:-1] for part in path.split("/") if part.startswith("{"))
        every = {**answers, **(BEARER_ANSWERS if bearer else {}), **EVERY_OPERATION_ANSWERS}
        OPERATIONS.append(Operation(method.lower(), path, (view.__doc__ or "").strip().splitlines()[0],
                                    body, dict(sorted(every.items())), bearer, view.__name__, parameters))
        return view

    return declare


def _json(model: type[BaseModel], media_type: str = "application/json") -> dict[str, Any]:
    return {media_type: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}


def openapi_document(prefix: str) -> dict[str, Any]:
    models: set[type[BaseModel]] = {Problem}
    for op in OPERATIONS:
        models.update(m for m in (op.body, *op.answers.values()) if m is not None)
    _, schemas = models_json_schema(
        [(m, "validation" if any(m is op.body for op in OPERATIONS) else "serialization")
         for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        entry: dict[str, Any] = {"summary": op.summary, "operationId": op.operation_id}
        responses: dict[str, Any] = {}
        for status, model in op.answers.items():
            answer: dict[str, Any] = {"description": _REASONS.get(status, "Answer")}
            if model is not None:
                answer["content"] = _json(model, "application/problem+json" if model is Problem else "application/json")
            responses[str(status)] = answer
        entry["responses"] = responses
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": _json(op.body)}
        entry["security"] = [{"bearer": []}] if op.bearer else []
        if op.path_parameters:
            entry["parameters"] = [{"name": name, "in": "path", "required": True,
                                    "schema": {"type": "string"}} for name in op.path_parameters]
        paths.setdefault(prefix + op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Doorman API", "version": "1",
                 "description": "Sign-in and session management for Doorman's own apps."},
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An access token from /auth/token or /auth/refresh."}},
        },
    }
