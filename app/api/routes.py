"""The API's views: sign an app in, refresh its tokens, list and end the account's sessions."""

from typing import Any

from flask import Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.api import bp
from app.api.openapi import openapi_document, operation
from app.api.paths import API_PREFIX
from app.api.problems import ApiProblem, http_problem, problem_response, unavailable
from app.api.requests import MAX_BODY_BYTES, api_user, bearer_required, json_body
from app.api.schemas import (
    Problem,
    RefreshRequest,
    RevokeAllResponse,
    SessionList,
    SessionOut,
    TokenRequest,
    TokenResponse,
)
from app.extensions import csrf, db, services
from app.models import EndReason, UserSession
from app.presenters.sessions import signed_out_others
from app.request_details import sign_in_details
from app.services.errors import CredentialsChanged, InvalidCredentials, SessionNotFound, TooManyAttempts
from app.services.sessions import AppTokens, Ending, RefreshRefused

# The API takes no cookie, so a cross-site form cannot act with the visitor's credentials: no CSRF token.
csrf.exempt(bp)

WRONG_CREDENTIALS = "The email or password is incorrect."
NO_SUCH_SESSION = "That session does not exist or is already signed out."


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = MAX_BODY_BYTES


@bp.errorhandler(ApiProblem)
def _answer_problem(problem: ApiProblem) -> Response:
    db.session.rollback()
    return problem_response(problem)


@bp.errorhandler(HTTPException)
def _answer_http_error(error: HTTPException) -> Response:
    return http_problem(error)


@bp.errorhandler(SQLAlchemyError)
def _answer_database_error(_: SQLAlchemyError) -> Response:
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass
    return unavailable()


def _token_answer(tokens: AppTokens) -> Response:
    expires_in = int((tokens.access_expires_at - services().clock.now()).total_seconds())
    body = TokenResponse(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                         expires_in=expires_in, session_id=tokens.session_id)
    response = jsonify(body.model_dump(mode="json"))
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 5.1: tokens are never cached
    return response


def _wrong_credentials() -> ApiProblem:
    return ApiProblem(401, "invalid-credentials", "Sign-in failed", WRONG_CREDENTIALS)


@bp.post("/auth/token")
@operation("POST", "/auth/token", body=TokenRequest, bearer=False,
           answers={200: TokenResponse, 400: Problem, 401: Problem, 413: Problem, 415: Problem,
                    422: Problem, 429: Problem})
def token() -> Response:
    """Sign an app in: a new session, and its access and refresh tokens."""
    sign_in = json_body(TokenRequest)
    details = sign_in_details(request)
    try:
        credentials = services().users.authenticate(
            sign_in.email, sign_in.password, attempt=details, client_ip=details["ip_address"]
        )
    except InvalidCredentials:
        db.session.commit()  # the failed attempt is recorded on the account's activity
        raise _wrong_credentials() from None
    except TooManyAttempts as refusal:
        raise ApiProblem(429, "too-many-attempts", "Too many wrong passwords",
                         "For the account's safety, wait and try again.",
                         headers={"Retry-After": str(refusal.retry_after)}) from None
    try:
        tokens = services().sessions.open_app_session(credentials, client_name=sign_in.client_name, **details)
    except CredentialsChanged:
        raise _wrong_credentials() from None
    row = db.session.get(UserSession, tokens.session_id)  # still in the Session: no query
    if row is not None:
        # Only the device_id's hash is kept, on the known device the session links to: never the value itself.
        sighting = services().known_devices.app_signed_in(row, sign_in.device_id)
        services().new_device_alerts.signed_in(credentials.user, row, sighting)
    db.session.commit()
    return _token_answer(tokens)


@bp.post("/auth/refresh")
@operation("POST", "/auth/refresh", body=RefreshRequest, bearer=False,
           answers={200: TokenResponse, 400: Problem, 401: Problem, 413: Problem, 415: Problem, 422: Problem})
def refresh() -> Response:
    """Exchange the refresh token for a new pair; the one sent stops working, and sending it again ends the session."""
    sent = json_body(RefreshRequest)
    try:
        tokens = services().sessions.refresh(sent.refresh_token)
    except RefreshRefused as refusal:
        if refusal.ended is not None:
            # A reused token has just ended its session: that, and the mail telling of it, must stick.
            services().sessions_ended_mails.app_token_reused(refusal.ended.user, refusal.ended,
                                                             where=sign_in_details(request))
        db.session.commit()
        return problem_response(ApiProblem(
            401, "invalid-refresh-token", "Invalid refresh token",
            "The refresh token is unknown, expired or already used. Sign in again.",
        ))
    db.session.commit()
    return _token_answer(tokens)


@bp.post("/auth/sign-out")
@operation("POST", "/auth/sign-out", answers={204: None, 401: Problem})
@bearer_required
def sign_out() -> tuple[str, int]:
    """End this app's session: its access and refresh tokens stop working."""
    # Ended meanwhile or not, what was asked for is true.
    _end_own_session(api_user().session_id, EndReason.SIGNED_OUT)
    return "", 204


@bp.get("/sessions")
@operation("GET", "/sessions", answers={200: SessionList, 401: Problem})
@bearer_required
def list_sessions() -> Response:
    """The account's active sessions, browsers and apps alike, most recently active first."""
    user = api_user()
    listed = [
        SessionOut(is_current=row.id == user.session_id, **_session_fields(row._asdict()))
        for row in services().sessions.list_active(user.id)
    ]
    response = jsonify(SessionList(sessions=listed).model_dump(mode="json"))
    response.headers["Cache-Control"] = "no-store"
    return response


def _session_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in SessionOut.model_fields if name != "is_current"}


@bp.delete("/sessions/<session_id>")
@operation("DELETE", "/sessions/{session_id}", answers={204: None, 401: Problem, 404: Problem})
@bearer_required
def end_session(session_id: str) -> tuple[str, int]:
    """End one session of this account; any other id, well-formed or not, is the same 404."""
    reason = EndReason.SIGNED_OUT if session_id == str(api_user().session_id) else EndReason.REVOKED_BY_USER
    if not _end_own_session(session_id, reason):
        raise ApiProblem(404, "session-not-found", "No such session", NO_SUCH_SESSION)
    return "", 204


def _end_own_session(session_id: Any, reason: EndReason) -> bool:
    """End one session of the caller's account and commit; False if it is not one of its open sessions."""
    user = api_user()
    try:
        services().sessions.end(session_id, owner_id=user.id,
                                ending=Ending.by_user(user.id, reason, context=sign_in_details(request)))
    except SessionNotFound:
        return False
    db.session.commit()
    return True


@bp.post("/sessions/revoke-all")
@operation("POST", "/sessions/revoke-all", answers={200: RevokeAllResponse, 401: Problem})
@bearer_required
def revoke_all() -> Response:
    """End every other session of this account; this one stays."""
    user = api_user()
    count = services().sessions.end_others(
        user.id, keep_session_id=user.session_id,
        ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER, context=sign_in_details(request)),
    )
    db.session.commit()
    return jsonify(RevokeAllResponse(message=signed_out_others(count), count=count).model_dump(mode="json"))


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API."""
    return jsonify(openapi_document(API_PREFIX))
