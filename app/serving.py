"""gunicorn's settings from the environment: what ``app/gunicorn.conf.py`` applies.

    gunicorn -c app/gunicorn.conf.py wsgi:app

- ``DOORMAN_BIND`` (``host:port``, or ``unix:/path``), else ``127.0.0.1:$PORT``, else ``127.0.0.1:8000``:
  loopback unless told otherwise, because a reverse proxy with TLS is meant to stand in front.
- ``WEB_CONCURRENCY`` worker processes: 2 × cores + 1 by default, at most 8; ``GUNICORN_THREADS`` threads
  each (1: the sync worker; more: gthread).
- ``GUNICORN_TIMEOUT`` (30 s), ``GUNICORN_GRACEFUL_TIMEOUT`` (30 s), ``GUNICORN_KEEPALIVE`` (5 s),
  ``GUNICORN_MAX_REQUESTS`` (1000, with a jitter of a tenth so workers do not all restart together; 0: never).
- ``forwarded_allow_ips`` is ``TRUSTED_PROXY_ADDRESSES`` when ``TRUSTED_PROXIES`` is set, and nobody otherwise:
  gunicorn then believes ``X-Forwarded-Proto`` from exactly the peers the app believes.
- The access log is off with ``LOG_FORMAT=json`` (the app writes its own line per request, without
  the raw path); on standard output otherwise. Errors go to standard error.
"""

import os
from collections.abc import Mapping
from typing import Any

from app.config import ConfigurationError, _int, _log_format, _networks, _proxy_count

MAX_DEFAULT_WORKERS = 8


def _positive(env: Mapping[str, str], name: str, default: int, *, zero: bool = False) -> int:
    value = _int(env, name, default)
    if value < (0 if zero else 1):
        raise ConfigurationError(f"{name} must be {'0 or more' if zero else '1 or more'}, got {value}")
    return value


def _bind(env: Mapping[str, str]) -> str:
    if env.get("DOORMAN_BIND"):
        return env["DOORMAN_BIND"]
    port = _int(env, "PORT", 8000)
    if not 1 <= port <= 65535:
        raise ConfigurationError(f"PORT must be a TCP port from 1 to 65535, got {port}")
    return f"127.0.0.1:{port}"


def gunicorn_settings(env: Mapping[str, str], cores: int | None = None) -> dict[str, Any]:
    workers_default = min(2 * (cores or os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)
    threads = _positive(env, "GUNICORN_THREADS", 1)
    max_requests = _positive(env, "GUNICORN_MAX_REQUESTS", 1000, zero=True)
    json_logs = _log_format(env, "LOG_FORMAT") == "json"
    proxies = _proxy_count(env, "TRUSTED_PROXIES")
    trusted = _networks(env, "TRUSTED_PROXY_ADDRESSES", "127.0.0.0/8,::1")
    return {
        "bind": [_bind(env)],
        "workers": _positive(env, "WEB_CONCURRENCY", workers_default),
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": _positive(env, "GUNICORN_TIMEOUT", 30),
        "graceful_timeout": _positive(env, "GUNICORN_GRACEFUL_TIMEOUT", 30),
        "keepalive": _positive(env, "GUNICORN_KEEPALIVE", 5),
        "max_requests": max_requests,
        "max_requests_jitter": max_requests // 10,
        "forwarded_allow_ips": ",".join(str(network) for network in trusted) if proxies else "",
        "accesslog": None if json_logs else "-",
        "errorlog": "-",
        # Heartbeat files in memory, not on a disk that may stall (gunicorn's advice in containers).
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
        # Several servers may share a host: no control socket at gunicorn's one fixed path per user.
        "control_socket_disable": True,
        "proc_name": "doorman",
    }
