"""Benchmark 9: the same signed-in page on Doorman and on the session stores people would pick instead.

Every server answers ``GET /bench/whoami`` behind its framework's login
check with the signed-in account's email, under the same gunicorn settings
as benchmark 1, and all are loaded in one run, in rounds whose order
alternates, each with a cookie signed in beforehand:

- Doorman on SQLite and on PostgreSQL (benchmark 1's app and session);
- Flask + Flask-Login with Flask's stateless signed cookie (benchmark 1's baseline);
- the same with Flask-Login's documented ``user_loader`` querying PostgreSQL;
- Flask-Session's SQLAlchemy backend on PostgreSQL (with its default of
  writing the session back on every request, and without), and its Redis backend;
- Django with django-user-sessions on PostgreSQL.

The peers run from their own virtual environment (``bench/peers/.venv``,
made from ``requirements.txt`` the first time, with pip from the configured
package index), never Doorman's. Their tables live in a schema of their own
(``doorman_bench_peers``, dropped afterwards); their Redis keys in database
``REDIS_DB`` under ``REDIS_PREFIX``, deleted afterwards, no others touched.
Each ratio is the median of the per-round ratios.
"""

import hashlib
import http.client
import os
import socket
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from app.config import database_uri
from app.extensions import db, services
from app.models import EndReason
from app.services.sessions import Ending
from bench.databases import SECRET_KEY, Database, app_environment, bench_app, postgresql_url, scratch_database
from bench.report import Row, median, ms, progress
from bench.request_path import DOORMAN_APP, PAGE, doorman_session
from bench.servers import ROOT, WORKERS, Load, get, gunicorn, load_generator, run_load
from bench.stateless_wsgi import BENCH_EMAIL

NAME = "9 peers"
HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
REQUIREMENTS = HERE / "requirements.txt"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DB = 13  # a database of its own on the shared server
REDIS_PREFIX = "doorman_bench_peers:"
USER_AGENT = "wrk"  # sent at sign-in and under load alike, as one browser would


@dataclass(frozen=True)
class Peer:
    key: str
    label: str
    database: str
    revocable: bool
    spec: str  # what gunicorn serves
    doorman: bool = False  # served from Doorman's environment, not the peers'


PEERS = (
    Peer("doorman-sqlite", "Doorman", "sqlite", True, DOORMAN_APP, doorman=True),
    Peer("doorman-postgresql", "Doorman", "postgresql", True, DOORMAN_APP, doorman=True),
    Peer("stateless", "Flask-Login, stateless signed cookie", "-", False,
         "bench.stateless_wsgi:create_baseline_app()"),
    Peer("user_loader", "Flask-Login, signed cookie + user_loader query", "postgresql", False,
         "bench.peers.flask_peers:create_peer('user_loader')"),
    Peer("flask-session-sqlalchemy", "Flask-Session, SQLAlchemy backend", "postgresql", True,
         "bench.peers.flask_peers:create_peer('sqlalchemy')"),
    Peer("flask-session-sqlalchemy-no-refresh", "Flask-Session, SQLAlchemy backend, no refresh per request",
         "postgresql", True, "bench.peers.flask_peers:create_peer('sqlalchemy_no_refresh')"),
    Peer("flask-session-redis", "Flask-Session, Redis backend", "redis", True,
         "bench.peers.flask_peers:create_peer('redis')"),
    Peer("django-user-sessions", "Django + django-user-sessions", "postgresql", True,
         "bench.peers.django_peer.wsgi:application"),
)


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """The peers' own environment, (re)made whenever requirements.txt changed; its Python."""
    stamp = VENV / ".requirements-sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if venv_python().exists() and stamp.exists() and stamp.read_text() == wanted:
        return venv_python()
    progress(f"9 peers: installing the peers into {VENV.relative_to(ROOT)} (once)")
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    done = subprocess.run([str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "-r", str(REQUIREMENTS)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"installing the peers failed:\n{done.stdout}{done.stderr}")
    stamp.write_text(wanted)
    return venv_python()


def redis_answers() -> bool:
    """A Redis PING on 127.0.0.1:6379 (raw protocol: Doorman's environment has no Redis client)."""
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def unavailable() -> str | None:
    """Why the benchmark cannot run here, or None."""
    if not postgresql_url():
        return "set BENCH_DATABASE_URL to a PostgreSQL database: six of the eight servers need it"
    return None


def run(*, seconds: float = 3.0, rounds: int = 6, connections: int = 4, workers: int = WORKERS,
        warmup: float = 1.0, generator: str | None = None) -> list[Row]:
    reason = unavailable()
    if reason:
        return [Row(NAME, "-", "skipped", reason)]
    generator = generator or load_generator()
    python = ensure_venv()
    rows: list[Row] = []
    peers = list(PEERS)
    if not redis_answers():
        peers = [peer for peer in peers if peer.database != "redis"]
        rows.append(Row(NAME, "redis", "Flask-Session, Redis backend: skipped",
                        f"no Redis answered on {REDIS_HOST}:{REDIS_PORT}"))
    with scratch_database("sqlite", "peers") as sqlite_db, scratch_database("postgresql", "peers") as pg_db, \
            _peer_schema() as peer_env:
        doorman = {}
        for database in (sqlite_db, pg_db):
            cookie, _ = doorman_session(database)
            doorman[database.backend] = (app_environment(database.url), cookie)
        _in_venv(python, ["-m", "bench.peers.flask_peers", "setup"], peer_env)
        _in_venv(python, ["-m", "bench.peers.django_peer.setup"], peer_env)
        ours = [peer for peer in peers if peer.doorman]
        theirs = [peer for peer in peers if not peer.doorman]
        try:
            with gunicorn(*((p.spec, doorman[p.database][0]) for p in ours), workers=workers) as doorman_urls, \
                    gunicorn(*((p.spec, peer_env) for p in theirs), workers=workers, python=str(python)) as urls:
                base = dict(zip([p.key for p in ours + theirs], doorman_urls + urls, strict=True))
                targets = {}
                for peer in peers:
                    cookie = doorman[peer.database][1] if peer.doorman else _sign_in(base[peer.key])
                    targets[peer.key] = (base[peer.key] + PAGE, {"Cookie": cookie, "User-Agent": USER_AGENT})
                loads = _load_in_rounds(targets, seconds=seconds, rounds=rounds, connections=connections,
                                        warmup=warmup, generator=generator)
                _check_revocable(peers, targets, {"sqlite": sqlite_db, "postgresql": pg_db}, python, peer_env)
        finally:
            if any(peer.database == "redis" for peer in peers):
                _in_venv(python, ["-m", "bench.peers.flask_peers", "forget-redis"], peer_env)
    return rows + _rows(peers, loads)


def _load_in_rounds(targets: dict[str, tuple[str, dict[str, str]]], *, seconds: float, rounds: int,
                    connections: int, warmup: float, generator: str) -> dict[str, list[Load]]:
    for key, (url, headers) in targets.items():
        _check(key, url, headers)
        if warmup:  # pools, caches, prepared statements
            run_load(url, headers, seconds=warmup, connections=connections, generator=generator)
    loads: dict[str, list[Load]] = {key: [] for key in targets}
    order = list(targets)
    for round_number in range(rounds):
        progress(f"9 peers: round {round_number + 1} of {rounds}")
        for key in order if round_number % 2 == 0 else reversed(order):
            url, headers = targets[key]
            loads[key].append(run_load(url, headers, seconds=seconds, connections=connections,
                                       generator=generator))
    for key, (url, headers) in targets.items():
        _check(key, url, headers)  # still signed in: the numbers were of the real page
    return loads


def _rows(peers: list[Peer], loads: dict[str, list[Load]]) -> list[Row]:
    def per_second(key: str) -> float:
        return median(load.per_second for load in loads[key])

    revocable = [peer for peer in peers if peer.revocable and not peer.doorman]
    fastest = max(revocable, key=lambda peer: per_second(peer.key))

    def ratio(key: str, over: str) -> float:
        pairs = zip(loads[key], loads[over], strict=True)
        return median(x.per_second / y.per_second for x, y in pairs if y.per_second)

    rows = []
    for peer in peers:
        measured = {"per_second": per_second(peer.key), "p50": median(x.p50 for x in loads[peer.key]),
                    "p99": median(x.p99 for x in loads[peer.key]), "errors": sum(x.errors for x in loads[peer.key]),
                    "requests": sum(x.requests for x in loads[peer.key]),
                    "to_stateless": ratio(peer.key, "stateless"), "to_fastest_revocable": ratio(peer.key, fastest.key)}
        result = (f"{measured['per_second']:,.0f} req/s, p50 {ms(measured['p50'])}, p99 {ms(measured['p99'])}; "
                  f"{measured['to_stateless']:.2f}× stateless, {measured['to_fastest_revocable']:.2f}× fastest "
                  "revocable peer")
        if measured["errors"]:
            result += f", {measured['errors']:.0f} errors"
        case = f"{peer.label} ({'revocable' if peer.revocable else 'not revocable'})"
        rows.append(Row(NAME, peer.database, case, result, measured))
    rows.append(Row(NAME, fastest.database, "fastest revocable peer (Doorman aside)", fastest.label,
                    {"per_second": per_second(fastest.key)}))
    return rows


def _sign_in(base_url: str) -> str:
    host, _, port = base_url.removeprefix("http://").partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("POST", "/bench/sign-in", headers={"User-Agent": USER_AGENT, "Content-Length": "0"})
        response = conn.getresponse()
        response.read()
        cookies = response.headers.get_all("Set-Cookie") or []
    finally:
        conn.close()
    if response.status != 200 or not cookies:
        raise RuntimeError(f"{base_url} sign-in failed: {response.status}")
    return "; ".join(cookie.split(";", 1)[0] for cookie in cookies)


def _check(key: str, url: str, headers: dict[str, str]) -> None:
    status, body = get(url, headers)
    if status != 200 or body != BENCH_EMAIL:
        raise RuntimeError(f"{key}: {url} answered {status} {body[:200]!r}, not the signed-in page")


def _check_revocable(peers: list[Peer], targets: dict[str, tuple[str, dict[str, str]]],
                     doorman_databases: dict[str, Database], python: Path, peer_env: dict[str, str]) -> None:
    """End every session on the server side; the revocable peers must then refuse the cookie, the others not.

    The column the table calls "revocable" is checked on every run, not taken on trust.
    """
    for database in doorman_databases.values():
        app = bench_app(database)
        with app.app_context():
            services(app).sessions.end_everyone(Ending.by_system(EndReason.REVOKED_BY_SUPPORT))
            db.session.commit()
            db.engine.dispose()
    _in_venv(python, ["-m", "bench.peers.flask_peers", "end-sessions"], peer_env)
    for peer in peers:
        url, headers = targets[peer.key]
        status, body = get(url, headers)
        refused = status != 200 or body != BENCH_EMAIL
        if refused != peer.revocable:
            raise RuntimeError(f"{peer.key}: after every session was ended it answered {status} {body[:100]!r}, "
                               f"which a {'revocable' if peer.revocable else 'stateless'} session should not")


class _peer_schema:
    """The peers' PostgreSQL schema, made empty and dropped afterwards; yields the peers' environment."""

    def __enter__(self) -> dict[str, str]:
        base = make_url(database_uri(postgresql_url() or ""))
        self.schema = f"{os.environ.get('BENCH_SCHEMA_PREFIX', 'doorman_bench')}_peers_theirs"
        self.admin = create_engine(base)
        self._drop()
        with self.admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        url = base.set(drivername="postgresql+psycopg").update_query_dict(
            {"options": f"-csearch_path={self.schema}"})
        return {
            "SECRET_KEY": SECRET_KEY,
            "PEERS_DATABASE_URL": url.render_as_string(hide_password=False),
            "PEERS_PG_NAME": base.database or "", "PEERS_PG_HOST": base.host or "",
            "PEERS_PG_PORT": str(base.port or ""), "PEERS_PG_USER": base.username or "",
            "PEERS_PG_PASSWORD": base.password or "", "PEERS_PG_SCHEMA": self.schema,
            "PEERS_REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}", "PEERS_REDIS_PREFIX": REDIS_PREFIX,
            "DJANGO_SETTINGS_MODULE": "bench.peers.django_peer.settings",
        }

    def __exit__(self, *exc: object) -> None:
        self._drop()
        self.admin.dispose()

    def _drop(self) -> None:
        with self.admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))


def _in_venv(python: Path, args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([str(python), *args], env={**os.environ, **env}, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")


if __name__ == "__main__":
    from bench.report import render

    print(render(run(seconds=1, rounds=2)))
    sys.exit(0)
