"""LOG_FORMAT=json: every log line a JSON object, one line per request, each with its request id.

A request line names the route (the URL rule, ``/devices/<uuid:session_id>/sign-out``,
never the path it matched), the method, the status, the duration, and who made it
as ids only: the user's id and the session row's id, never its token or hash. The
request id is made here, or taken from ``X-Request-ID`` when the request came
through one of our trusted proxies (``TRUSTED_PROXIES``, ``TRUSTED_PROXY_ADDRESSES``)
and the id looks like an id; it is sent back in ``X-Request-ID``.

What a record's message says is the code's own words; database errors reach it
already described without their values (app/database_logging.py).
"""

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from werkzeug.wrappers import Response

from app.proxies import peer_in

# Letters, digits and . _ : - only, at most 128 of them: a UUID, a hex id, a proxy's own "req-1234".
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
REQUEST_ID_HEADER = "X-Request-ID"


class JsonLines(logging.Formatter):
    """A record as one JSON object on one line: time, level, logger, message, request id, then its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            line["request_id"] = g.request_id
        line.update(getattr(record, "request_fields", {}))
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, ensure_ascii=False)


class _RouteNotPath(logging.Filter):
    """Flask's "Exception on /the/raw/path [GET]" names the route instead: a path can carry ids and worse."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Exception on ") and has_request_context():
            rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
            record.msg, record.args = f"Exception on {rule} [{request.method}]", None
        return True


def request_id_from(header: str | None, *, from_trusted_proxy: bool) -> str:
    """The proxy's id when a trusted proxy sent one that looks like an id; else a new one."""
    if from_trusted_proxy and header and REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestLog:
    """The before/after hooks that time each request and write its line."""

    def __init__(self, app: Flask) -> None:
        self._logger = app.logger
        self._proxies = app.config["TRUSTED_PROXY_ADDRESSES"] if app.config["TRUSTED_PROXIES"] else ()

    def _direct_peer(self) -> str | None:
        # TrustedProxyFix has replaced REMOTE_ADDR when it believed the proxy: the peer is the original.
        original = request.environ.get("werkzeug.proxy_fix.orig") or {}
        peer: str | None = original.get("REMOTE_ADDR", request.environ.get("REMOTE_ADDR"))
        return peer

    def start(self) -> None:
        g.request_started = time.perf_counter()
        g.request_id = request_id_from(
            request.headers.get(REQUEST_ID_HEADER),
            from_trusted_proxy=bool(self._proxies) and peer_in(self._proxies, self._direct_peer()),
        )

    def finish(self, response: Response) -> Response:
        started = g.get("request_started")
        if started is None:  # a request that failed before the first hook ran
            return response
        response.headers[REQUEST_ID_HEADER] = g.request_id
        who = g.get("_login_user") or g.get("api_user")
        fields = {
            "event": "request",
            "method": request.method,
            "route": request.url_rule.rule if request.url_rule is not None else None,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "user_id": getattr(who, "id", None) if getattr(who, "is_authenticated", False) else None,
            "session_id": getattr(who, "session_id", None) if getattr(who, "is_authenticated", False) else None,
        }
        self._logger.info("request", extra={"request_fields": fields})
        return response


def init_request_log(app: Flask) -> None:
    """Registered before the session is resolved, so even a 503 from the lookup is timed and logged."""
    if app.config["LOG_FORMAT"] != "json":
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    app.logger.handlers.clear()  # Flask's own text handler
    app.logger.addHandler(handler)
    app.logger.addFilter(_RouteNotPath())
    app.logger.propagate = False  # one line per record, not a second one in text from the root logger
    if app.logger.level == logging.NOTSET or app.logger.level > logging.INFO:
        app.logger.setLevel(logging.INFO)
    log = RequestLog(app)
    app.before_request(log.start)
    app.after_request(log.finish)
