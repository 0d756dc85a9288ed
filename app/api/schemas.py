"""What the API accepts and answers, as pydantic models.

The same models validate request bodies, build response bodies and, through
their JSON Schema (draft 2020-12, which OpenAPI 3.1 speaks natively), make
the OpenAPI document; so the document cannot drift from what is enforced.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from app.models import CLIENT_NAME_MAX_LENGTH
from app.services.passwords import PASSWORD_MAX_LENGTH


def _encodable(text: str) -> str:
    # A lone surrogate ("\ud800") is valid JSON but no UTF-8: the database and argon2 would fail on it.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return text


def _printable(text: str) -> str:
    _encodable(text)
    if not text.isprintable():
        raise ValueError("must be printable characters only (no control characters or line breaks)")
    return text


def _rfc3339_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


Text = Annotated[str, AfterValidator(_encodable)]
PrintableText = Annotated[str, AfterValidator(_printable)]
UtcTime = Annotated[datetime, PlainSerializer(_rfc3339_utc, return_type=str, when_used="json")]


class _Strict(BaseModel):
    # Strict: a number is not a string; forbid: a field nobody reads is a mistake worth telling.
    model_config = ConfigDict(strict=True, extra="forbid")


class TokenRequest(_Strict):
    """Sign an app in with the account's email and password."""

    email: PrintableText = Field(min_length=1, max_length=254)
    password: Text = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)
    client_name: PrintableText | None = Field(
        default=None, min_length=1, max_length=CLIENT_NAME_MAX_LENGTH, examples=["Doorman for iOS"]
    )
    device_id: PrintableText | None = Field(
        default=None, min_length=1, max_length=100,
        description="A stable, random id the app keeps for this installation. Doorman keeps only its "
                    "SHA-256, to tell a sign-in from a device this account has not used before, which is "
                    "emailed to the account.",
        examples=["3f6c1e0a-9b7d-4c2e-8f51-0d2a6b9e4c77"],
    )


class RefreshRequest(_Strict):
    """Exchange a refresh token for a new pair; the one sent stops working."""

    refresh_token: Text = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token stops working.")
    session_id: uuid.UUID


class SessionOut(BaseModel):
    id: uuid.UUID
    kind: Literal["browser", "app"]
    client_name: str | None
    device_type: str
    browser: str | None
    os: str | None
    ip_address: str | None
    country: str | None
    city: str | None
    created_at: UtcTime
    last_activity_at: UtcTime
    is_current: bool


class SessionList(BaseModel):
    sessions: list[SessionOut]


class RevokeAllResponse(BaseModel):
    message: str
    count: int


class FieldError(BaseModel):
    field: str = Field(description="Where in the body, dotted: \"client_name\"; empty for the body itself.")
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
