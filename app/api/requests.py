"""What an API request brings: its bearer token and its JSON body, checked before a view uses them."""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from app.api.problems import ApiProblem, invalid_body, invalid_token
from app.extensions import db, services
from app.request_details import client_ip
from app.services.sessions import SignedInUser

# A sign-in body is a few hundred bytes; nothing the API takes comes near this.
MAX_BODY_BYTES = 16 * 1024
Body = TypeVar("Body", bound=BaseModel)


def json_body(model: type[Body]) -> Body:
    """The request's JSON body as ``model``, or the problem that says what is wrong with it."""
    if request.mimetype != "application/json":
        raise ApiProblem(415, "unsupported-media-type", "The body must be JSON",
                         "Send the body as application/json.")
    request.max_content_length = MAX_BODY_BYTES
    raw = request.get_data(cache=False)  # RequestEntityTooLarge (413) past MAX_BODY_BYTES
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiProblem(400, "malformed-json", "The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiProblem(400, "malformed-json", "The body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid_body(error) from None


def bearer_token() -> str:
    """The access token from the Authorization header: the only place it is taken from."""
    if "access_token" in request.args or "access_token" in request.form:
        # RFC 6750 allows a query parameter; ASVS 14.2.1 forbids it: URLs end up in logs and histories.
        raise ApiProblem(400, "token-in-url", "Access tokens are accepted only in the Authorization header",
                         headers={"WWW-Authenticate": 'Bearer error="invalid_request"'})
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise invalid_token()
    return token.strip()


View = TypeVar("View", bound=Callable[..., Any])


def bearer_required(view: View) -> View:
    """The view runs for an open app session's access token; ``g.api_user`` is who it belongs to."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        token = bearer_token()
        sessions = services().sessions
        try:
            signed_in = sessions.resolve_bearer(token)
            if signed_in is not None and sessions.touch_if_due(signed_in, client_ip(request)):
                db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            raise
        if signed_in is None:
            raise invalid_token()
        g.api_user = signed_in
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def api_user() -> SignedInUser:
    user: SignedInUser = g.api_user
    return user
