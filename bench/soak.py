"""``python -m bench.soak`` (``make soak``): hours of mixed traffic, and the promises checked while it runs.

gunicorn (several sync workers) serves the real Doorman (``wsgi:app``) on
PostgreSQL, in a throwaway schema (``bench.databases.scratch_database``),
behind a pretend proxy on 127.0.0.1 (``TRUSTED_PROXIES=1``), so every device
has its own address in X-Forwarded-For and its own User-Agent. Each load
thread owns some accounts and, one account at a time, signs browsers in
(CSRF form), views pages, signs apps in and refreshes their tokens, ends one
session (devices page or API), ends all others (devices page or API) and
changes the password; ``flask sessions cleanup`` runs every half minute.

Invariants, checked by ``check`` (a pure function of what was observed):

1. no request is served on a session after its revocation committed: the
   moment the revoking response arrived is recorded, the revoked cookie or
   tokens are probed at once and again later, and any 200 on a probe sent
   after that moment is a violation;
2. no 5xx and no failed connection;
3. every revocation has its security event (queried at the end: every row
   ended by its owner or by a password change is named by a
   ``session_revoked`` or ``other_sessions_revoked`` event);
4. no account ever has more open sessions than MAX_SESSIONS_PER_USER
   (sampled every few seconds);
5. the workers' memory stays flat: the median of their summed RSS over the
   last quarter of the run is within a tolerance of the first quarter's
   (after a warm-up).

Prints a summary table (requests by kind, errors, p50/p99, each invariant
PASS/FAIL) and exits 1 when any invariant is broken.
"""

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlsplit

from sqlalchemy import create_engine, text

from app.config import database_uri
from app.extensions import db, services
from app.services.sessions.tokens import hash_token
from bench.databases import app_environment, bench_app, insert_sessions, postgresql_url, scratch_database
from bench.report import percentile, progress
from bench.servers import gunicorn

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
THREADS = 8
ACCOUNTS = 40
CLEANUP_EVERY = 30.0  # seconds
MEMORY_TOLERANCE = 0.15  # the last quarter's median may be 15% above the first's
MEMORY_SLACK = 8 * 2**20  # plus this much, for allocator noise on small runs
REVOKED_POOL = 400  # recently revoked credentials kept for later probes
REVOCATION_REASONS = ("revoked_by_user", "password_changed")
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


# What was observed, and what check() decides from it.

@dataclass(frozen=True)
class Revocation:
    """Sessions ended by a request, and when its answer arrived (the client's moment of commit)."""

    kind: str  # "one" or "others" or "password"
    credentials: tuple[str, ...]  # keys of the ended sessions' cookies and tokens
    committed_at: float  # time.monotonic()


@dataclass(frozen=True)
class Probe:
    credential: str
    status: int
    sent_at: float


@dataclass
class Observations:
    requests: list[tuple[str, int, float]] = field(default_factory=list)  # kind, status (0: failed), seconds
    revocations: list[Revocation] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    session_counts: list[tuple[float, int]] = field(default_factory=list)  # time, most open sessions of one account
    memory: list[tuple[float, int]] = field(default_factory=list)  # time, summed worker RSS in bytes
    worker_pids: set[int] = field(default_factory=set)
    revoked_rows: set[str] = field(default_factory=set)  # ids of rows ended by their owner or a password change
    evented_rows: set[str] = field(default_factory=set)  # ids named by a revocation event
    cleanups: list[int] = field(default_factory=list)  # exit codes of `flask sessions cleanup`


@dataclass(frozen=True)
class Verdict:
    name: str
    passed: bool
    detail: str


def check(seen: Observations, *, session_limit: int, memory_tolerance: float = MEMORY_TOLERANCE,
          memory_slack: int = MEMORY_SLACK) -> list[Verdict]:
    """Each invariant's verdict on what the soak observed."""
    return [
        _no_request_after_revocation(seen),
        _no_server_errors(seen),
        _every_revocation_has_its_event(seen),
        _sessions_within_limit(seen, session_limit),
        _memory_flat(seen, memory_tolerance, memory_slack),
    ]


def _no_request_after_revocation(seen: Observations) -> Verdict:
    revoked_at: dict[str, float] = {}
    for revocation in seen.revocations:
        for credential in revocation.credentials:
            revoked_at[credential] = min(revoked_at.get(credential, revocation.committed_at), revocation.committed_at)
    late = [probe for probe in seen.probes
            if probe.status == 200 and probe.credential in revoked_at and probe.sent_at >= revoked_at[probe.credential]]
    probed = sum(1 for probe in seen.probes if probe.credential in revoked_at)
    detail = (f"{len(seen.revocations):,} revocations ending {len(revoked_at):,} cookies and tokens, "
              f"{probed:,} probes after, {len(late)} answered 200")
    if late:
        first = min(late, key=lambda probe: probe.sent_at)
        detail += f" (first {first.sent_at - revoked_at[first.credential]:.3f} s after, on {first.credential})"
    return Verdict("1 nothing served after revocation", not late and probed > 0, detail)


def _no_server_errors(seen: Observations) -> Verdict:
    server_errors = sum(1 for _, status, _ in seen.requests if status >= 500)
    failed = sum(1 for _, status, _ in seen.requests if status == 0)
    cleanups_failed = sum(1 for code in seen.cleanups if code != 0)
    detail = (f"{len(seen.requests):,} requests: {server_errors} 5xx, {failed} failed connections; "
              f"{len(seen.cleanups)} cleanups, {cleanups_failed} failed")
    return Verdict("2 no 5xx", not server_errors and not failed and not cleanups_failed and bool(seen.requests),
                   detail)


def _every_revocation_has_its_event(seen: Observations) -> Verdict:
    missing = seen.revoked_rows - seen.evented_rows
    detail = f"{len(seen.revoked_rows):,} revoked rows, {len(missing)} without an event"
    return Verdict("3 every revocation has its event", not missing and bool(seen.revoked_rows), detail)


def _sessions_within_limit(seen: Observations, limit: int) -> Verdict:
    most = max((count for _, count in seen.session_counts), default=0)
    over = sum(1 for _, count in seen.session_counts if count > limit)
    detail = f"{len(seen.session_counts)} samples, at most {most} open sessions per account (limit {limit})"
    return Verdict("4 sessions within the limit", not over and bool(seen.session_counts), detail)


def _memory_flat(seen: Observations, tolerance: float, slack: int) -> Verdict:
    samples = [rss for _, rss in sorted(seen.memory)]
    after_warmup = samples[len(samples) // 5:]
    if len(after_warmup) < 4:
        return Verdict("5 worker memory flat", False, f"only {len(samples)} memory samples")
    quarter = len(after_warmup) // 4
    first = statistics.median(after_warmup[:quarter])
    last = statistics.median(after_warmup[-quarter:])
    allowed = first * (1 + tolerance) + slack
    detail = (f"workers' RSS, median of first quarter {first / 2**20:.1f} MiB, last quarter {last / 2**20:.1f} MiB "
              f"({(last / first - 1) * 100:+.1f}%, allowed ≤ {allowed / 2**20:.1f}); "
              f"{len(seen.worker_pids)} worker pids seen")
    return Verdict("5 worker memory flat", last <= allowed, detail)


# The HTTP client: one device's cookies, or an app's tokens.

class Client:
    """One device talking to the server: its cookie jar, User-Agent and address."""

    def __init__(self, base_url: str, seen: "Recorder", *, user_agent: str, ip_address: str) -> None:
        host_port = base_url.removeprefix("http://")
        self.host, _, port = host_port.partition(":")
        self.port = int(port)
        self.seen = seen
        self.cookies: dict[str, str] = {}
        self.headers = {"User-Agent": user_agent, "X-Forwarded-For": ip_address, "X-Forwarded-Proto": "https"}

    def request(self, kind: str, method: str, path: str, *, form: dict[str, str] | None = None,
                body: Any = None, bearer: str | None = None, cookies: dict[str, str] | None = None,
                keep_cookies: bool = True) -> tuple[int, str, dict[str, str]]:
        """(status, body, Location and other headers); status 0 when the connection failed."""
        headers = dict(self.headers)
        jar = self.cookies if cookies is None else cookies
        if jar:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        payload: bytes | None = None
        if form is not None:
            payload = "&".join(f"{k}={_quote(v)}" for k, v in form.items()).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{self.host}:{self.port}{path}"
        elif body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        started = time.monotonic()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            text_body = response.read().decode(errors="replace")
            status = response.status
            set_cookies = response.msg.get_all("Set-Cookie") or []
            answer = {"location": response.getheader("Location", "")}
        except (OSError, http.client.HTTPException):
            self.seen.request(kind, 0, time.monotonic() - started)
            return 0, "", {}
        finally:
            conn.close()
        self.seen.request(kind, status, time.monotonic() - started)
        if keep_cookies:
            for line in set_cookies:
                parsed = SimpleCookie()
                parsed.load(line)
                for name, morsel in parsed.items():
                    if morsel["max-age"] == "0" or "1970" in morsel["expires"] or not morsel.value:
                        jar.pop(name, None)
                    else:
                        jar[name] = morsel.value
        return status, text_body, answer


def _quote(value: str) -> str:
    return quote_plus(value)


def _csrf_token(page: str) -> str | None:
    match = CSRF_INPUT.search(page)
    return (match.group(1) or match.group(2)) if match else None


class Recorder:
    """Observations from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen = Observations()

    def request(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.seen.requests.append((kind, status, seconds))

    def revoked(self, revocation: Revocation) -> None:
        with self.lock:
            self.seen.revocations.append(revocation)

    def probed(self, probe: Probe) -> None:
        with self.lock:
            self.seen.probes.append(probe)


# The load.

@dataclass
class Browser:
    client: Client
    session_cookie: str  # the cookie's name

    @property
    def token(self) -> str | None:
        return self.client.cookies.get(self.session_cookie)


@dataclass
class AppSession:
    session_id: str
    access: str
    refresh: str


@dataclass
class Account:
    email: str
    password: str
    browsers: list[Browser] = field(default_factory=list)
    apps: list[AppSession] = field(default_factory=list)


class Load:
    def __init__(self, base_url: str, recorder: Recorder, engine: Any, *, session_cookie: str, seed: int) -> None:
        self.base_url = base_url
        self.recorder = recorder
        self.engine = engine  # only to learn a browser session's id, as its devices page would show it
        self.session_cookie = session_cookie
        self.rng = random.Random(seed)
        self.seed = seed
        self.revoked_count = 0
        self.devices = 0
        self.revoked: list[tuple[str, str, dict[str, str]]] = []  # (credential key, kind, what to send)
        self.revoked_lock = threading.Lock()

    # Each action on one account, which only this thread touches.

    def act(self, account: Account) -> None:
        actions = [(self.browser_sign_in, 10), (self.page_view, 30), (self.api_sign_in, 6), (self.api_refresh, 12),
                   (self.api_view, 10), (self.revoke_one, 6), (self.revoke_others, 2), (self.change_password, 1),
                   (self.probe_revoked, 12)]
        action = self.rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
        action(account)

    def new_client(self) -> Client:
        self.devices += 1
        n = self.devices
        user_agent = (f"Mozilla/5.0 (X11; Linux x86_64; soak-{os.getpid()}-{id(self)}-{n}) "
                      f"AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{100 + n % 30}.0 Safari/537.36")
        ip_address = f"198.51.{n // 250 % 250}.{n % 250 + 1}"
        return Client(self.base_url, self.recorder, user_agent=user_agent, ip_address=ip_address)

    def browser_sign_in(self, account: Account) -> None:
        client = self.new_client()
        status, page, _ = client.request("sign-in page", "GET", "/sign-in")
        token = _csrf_token(page) if status == 200 else None
        if token is None:
            return
        status, _, _ = client.request("browser sign-in", "POST", "/sign-in",
                                      form={"csrf_token": token, "email": account.email, "password": account.password})
        browser = Browser(client, self.session_cookie)
        if status == 302 and browser.token:
            account.browsers.append(browser)

    def page_view(self, account: Account) -> None:
        if not account.browsers:
            return self.browser_sign_in(account)
        browser = self.rng.choice(account.browsers)
        status, _, _ = browser.client.request("page view", "GET", self.rng.choice(("/devices", "/activity")))
        if status != 200:  # ended by the session limit: the browser signs in again some other time
            account.browsers.remove(browser)

    def api_sign_in(self, account: Account) -> None:
        client = self.new_client()
        status, body, _ = client.request("api sign-in", "POST", "/api/v1/auth/token", body={
            "email": account.email, "password": account.password, "client_name": "soak app"})
        if status == 200:
            answer = json.loads(body)
            account.apps.append(AppSession(str(answer["session_id"]), answer["access_token"], answer["refresh_token"]))

    def api_refresh(self, account: Account) -> None:
        if not account.apps:
            return self.api_sign_in(account)
        app = self.rng.choice(account.apps)
        status, body, _ = self.new_client().request("api refresh", "POST", "/api/v1/auth/refresh",
                                                    body={"refresh_token": app.refresh})
        if status == 200:
            answer = json.loads(body)
            app.access, app.refresh = answer["access_token"], answer["refresh_token"]
        else:
            account.apps.remove(app)

    def api_view(self, account: Account) -> None:
        if not account.apps:
            return self.api_sign_in(account)
        app = self.rng.choice(account.apps)
        status, _, _ = self.new_client().request("api sessions", "GET", "/api/v1/sessions", bearer=app.access)
        if status != 200:
            account.apps.remove(app)

    def revoke_one(self, account: Account) -> None:
        """End one session: from a browser's devices page, or from an app through the API."""
        if len(account.browsers) + len(account.apps) < 2:
            return self.browser_sign_in(account)
        if account.apps and self.rng.random() < 0.5:
            actor_app = self.rng.choice(account.apps)
            victims: list[Browser | AppSession] = [*account.browsers, *[a for a in account.apps if a is not actor_app]]
            victim = self.rng.choice(victims)
            victim_id = victim.session_id if isinstance(victim, AppSession) else self._browser_session_id(victim)
            if victim_id is None:
                return
            status, _, _ = self.new_client().request("api revoke one", "DELETE", f"/api/v1/sessions/{victim_id}",
                                                     bearer=actor_app.access)
            ended = status == 204
        else:
            if not account.browsers:
                return self.browser_sign_in(account)
            actor = account.browsers[-1]  # the newest sign-in: its password counts as recent
            victims = [*[b for b in account.browsers if b is not actor], *account.apps]
            if not victims:
                return self.browser_sign_in(account)
            victim = self.rng.choice(victims)
            victim_id = victim.session_id if isinstance(victim, AppSession) else self._browser_session_id(victim)
            status, page, _ = actor.client.request("devices page", "GET", "/devices")
            token = _csrf_token(page) if status == 200 else None
            if token is None or victim_id is None:
                return
            status, _, answer = actor.client.request("browser revoke one", "POST", f"/devices/{victim_id}/sign-out",
                                                     form={"csrf_token": token})
            # Back to the devices page itself; a password confirmation first (?next=/devices) ended nothing.
            where = urlsplit(answer["location"])
            ended = status == 302 and where.path == "/devices" and not where.query
        if ended:
            self._revoked(account, "one", [victim])

    def revoke_others(self, account: Account) -> None:
        """Sign out every other session, from a browser (with the password) or an app."""
        if account.apps and self.rng.random() < 0.5:
            actor_app = self.rng.choice(account.apps)
            status, _, _ = self.new_client().request("api revoke others", "POST", "/api/v1/sessions/revoke-all",
                                                     bearer=actor_app.access)
            if status == 200:
                self._revoked(account, "others", [*account.browsers, *[a for a in account.apps if a is not actor_app]])
            return
        if not account.browsers:
            return self.browser_sign_in(account)
        actor = self.rng.choice(account.browsers)
        status, page, _ = actor.client.request("devices page", "GET", "/devices")
        token = _csrf_token(page) if status == 200 else None
        if token is None:
            return
        status, _, answer = actor.client.request(
            "browser revoke others", "POST", "/devices/sign-out-others",
            form={"csrf_token": token, "password": account.password})
        if status == 302:
            self._revoked(account, "others", [*[b for b in account.browsers if b is not actor], *account.apps])

    def change_password(self, account: Account) -> None:
        if not account.browsers:
            return self.browser_sign_in(account)
        actor = self.rng.choice(account.browsers)
        status, page, _ = actor.client.request("password page", "GET", "/account/password")
        token = _csrf_token(page) if status == 200 else None
        if token is None:
            return
        new_password = f"soak {self.rng.getrandbits(64):016x} password"
        status, _, _ = actor.client.request("password change", "POST", "/account/password", form={
            "csrf_token": token, "current_password": account.password, "new_password": new_password,
            "confirm_new_password": new_password})
        if status == 302:
            account.password = new_password
            self._revoked(account, "password", [*[b for b in account.browsers if b is not actor], *account.apps])

    def probe_revoked(self, _: Account) -> None:
        with self.revoked_lock:
            if not self.revoked:
                return
            credential, how, what = self.rng.choice(self.revoked)
        self._probe(credential, how, what)

    # Helpers.

    def _browser_session_id(self, browser: Browser) -> str | None:
        token = browser.token
        if token is None:
            return None
        with self.engine.connect() as conn:
            found = conn.scalar(text("SELECT id FROM user_sessions WHERE session_token_hash = :hash"),
                                {"hash": hash_token(token)})
        return str(found) if found else None

    def _revoked(self, account: Account, kind: str, ended: Iterable["Browser | AppSession"]) -> None:
        committed_at = time.monotonic()
        probes: list[tuple[str, str, dict[str, str]]] = []
        for victim in list(ended):
            if isinstance(victim, Browser):
                if victim.token:
                    probes.append((self._label("cookie"), "cookie", dict(victim.client.cookies)))
                if victim in account.browsers:
                    account.browsers.remove(victim)
            else:
                probes.append((self._label("access token"), "access", {"token": victim.access}))
                probes.append((self._label("refresh token"), "refresh", {"token": victim.refresh}))
                if victim in account.apps:
                    account.apps.remove(victim)
        self.recorder.revoked(Revocation(kind, tuple(key for key, _, _ in probes), committed_at))
        for probe in probes:
            self._probe(*probe)  # at once: the moment a race would show
        with self.revoked_lock:
            self.revoked.extend(probes)
            del self.revoked[:-REVOKED_POOL]

    def _label(self, what: str) -> str:
        """A name for one revoked credential in the report: never the token itself, nor a piece of it."""
        self.revoked_count += 1
        return f"{what} {self.seed}-{self.revoked_count}"

    def _probe(self, credential: str, how: str, what: dict[str, str]) -> None:
        client = self.new_client()
        sent_at = time.monotonic()
        if how == "cookie":
            status, _, _ = client.request("probe revoked cookie", "GET", "/devices", cookies=dict(what),
                                          keep_cookies=False)
        elif how == "access":
            status, _, _ = client.request("probe revoked access token", "GET", "/api/v1/sessions", bearer=what["token"])
        else:
            status, _, _ = client.request("probe revoked refresh token", "POST", "/api/v1/auth/refresh",
                                          body={"refresh_token": what["token"]})
        self.recorder.probed(Probe(credential, status, sent_at))


# Watching the server and the database.

def gunicorn_workers(port: int) -> list[int]:
    """The worker pids of the gunicorn this process started on ``port`` (its master's children)."""
    processes: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        processes[int(entry)] = (ppid, command)
    masters = [pid for pid, (ppid, command) in processes.items()
               if ppid == os.getpid() and f"127.0.0.1:{port}" in command and "gunicorn" in command]
    return [pid for pid, (ppid, _) in processes.items() if masters and ppid == masters[0]]


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def most_open_sessions(conn: Any) -> int:
    return conn.scalar(text(
        "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM user_sessions "
        "WHERE is_active AND expires_at > now() GROUP BY user_id) AS per_account"))


def revocation_rows(conn: Any) -> tuple[set[str], set[str]]:
    """(ids of rows ended by their owner or a password change, ids named by a revocation event)."""
    revoked = {str(row_id) for row_id in conn.scalars(
        text("SELECT id FROM user_sessions WHERE revoked_reason = ANY(:reasons)"),
        {"reasons": list(REVOCATION_REASONS)})}
    evented = {str(row_id) for row_id in conn.scalars(text(
        "SELECT session_id FROM security_events WHERE event_type = 'session_revoked' AND session_id IS NOT NULL"))}
    for details in conn.scalars(text(
            "SELECT details FROM security_events WHERE event_type = 'other_sessions_revoked'")):
        evented.update(str(listed["session_id"]) for listed in details.get("sessions", []))
    return revoked, evented


# The run.

def run(minutes: float, *, accounts: int = ACCOUNTS, threads: int = THREADS, workers: int = WORKERS,
        cleanup_every: float = CLEANUP_EVERY, seed: int = 17) -> tuple[list[Verdict], Observations, dict[str, Any]]:
    if postgresql_url() is None:
        raise RuntimeError("set SOAK_DATABASE_URL or BENCH_DATABASE_URL to a PostgreSQL database")
    seconds = minutes * 60
    os.environ.setdefault("BENCH_SCHEMA_PREFIX", "doorman_soak")
    with scratch_database("postgresql", f"soak_{os.getpid()}") as database:
        env = app_environment(database.url, TRUSTED_PROXIES="1")
        app = bench_app(database, TRUSTED_PROXIES="1")
        passwords = {}
        with app.app_context():
            doorman = services(app)
            for i in range(accounts):
                email = f"soak-{i}@example.com"
                passwords[email] = f"soak password {i:04d} to start"
                doorman.users.create(email, passwords[email])
            db.session.commit()
            limit = app.config["MAX_SESSIONS_PER_USER"]
            session_cookie = app.config["SESSION_TOKEN_COOKIE"]
            db.engine.dispose()
        engine = create_engine(database_uri(database.url), pool_size=threads + 2)
        # Expired rows for the cleanup to delete while the load runs.
        with engine.begin() as conn:
            ids = list(conn.scalars(text("SELECT id FROM users ORDER BY id")))
            insert_sessions(conn, first=1, count=20_000, user_ids=ids, expired=True, now=datetime.now(UTC))
        recorder = Recorder()
        with gunicorn(("wsgi:app", env), workers=workers) as (base_url,):
            port = int(base_url.rsplit(":", 1)[1])
            stop = threading.Event()
            deadline = time.monotonic() + seconds
            every = [Account(email, password) for email, password in passwords.items()]
            loads = [Load(base_url, recorder, engine, session_cookie=session_cookie, seed=seed + n)
                     for n in range(threads)]

            def drive(load: Load, owned: list[Account]) -> None:
                while time.monotonic() < deadline and not stop.is_set():
                    load.act(load.rng.choice(owned))

            def watch() -> None:
                interval = min(5.0, max(0.5, seconds / 120))
                while not stop.wait(interval):
                    pids = gunicorn_workers(port)
                    with engine.connect() as conn:
                        most = most_open_sessions(conn)
                    now = time.monotonic()
                    with recorder.lock:
                        recorder.seen.worker_pids.update(pids)
                        recorder.seen.memory.append((now, sum(rss_bytes(pid) for pid in pids)))
                        recorder.seen.session_counts.append((now, most))

            def clean() -> None:
                while not stop.wait(min(cleanup_every, max(seconds / 3, 1.0))):
                    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "sessions", "cleanup"],
                                          env={**os.environ, **env}, cwd=ROOT, capture_output=True, timeout=300)
                    with recorder.lock:
                        recorder.seen.cleanups.append(done.returncode)
                    if done.returncode:
                        progress(f"soak: cleanup failed: {done.stderr.decode(errors='replace')[-500:]}")

            helpers = [threading.Thread(target=watch, daemon=True), threading.Thread(target=clean, daemon=True)]
            drivers = [threading.Thread(target=drive, args=(load, every[n::threads]), daemon=True)
                       for n, load in enumerate(loads)]
            progress(f"soak: {minutes:g} min, {accounts} accounts, {threads} threads, {workers} gunicorn workers")
            started = time.monotonic()
            load_at_start = os.getloadavg()[0]
            for thread in helpers + drivers:
                thread.start()
            while time.monotonic() < deadline:
                time.sleep(max(0.1, min(60.0, deadline - time.monotonic())))
                progress(f"soak: {time.monotonic() - started:,.0f} s, {len(recorder.seen.requests):,} requests")
            for thread in drivers:
                thread.join(timeout=60)  # each finishes the action it is in
            stop.set()
            for thread in helpers:
                thread.join(timeout=310)
            elapsed = time.monotonic() - started
        with engine.connect() as conn:
            recorder.seen.revoked_rows, recorder.seen.evented_rows = revocation_rows(conn)
        engine.dispose()
    verdicts = check(recorder.seen, session_limit=limit)
    facts = {"seconds": elapsed, "accounts": accounts, "threads": threads, "workers": workers, "limit": limit,
             "load": (load_at_start, os.getloadavg()[0])}
    return verdicts, recorder.seen, facts


def summary(verdicts: list[Verdict], seen: Observations, facts: dict[str, Any]) -> str:
    by_kind: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for kind, status, seconds in seen.requests:
        by_kind[kind].append((status, seconds))
    lines = [
        f"Soak: {facts['seconds']:,.0f} s, {facts['accounts']} accounts, {facts['threads']} client threads, "
        f"gunicorn {facts['workers']} sync workers, PostgreSQL; "
        f"{len(seen.requests) / max(facts['seconds'], 1):,.0f} requests/s overall; "
        f"load average {facts['load'][0]:.1f} at the start, {facts['load'][1]:.1f} at the end "
        f"on {os.cpu_count()} cores.",
        "",
        "| requests | count | 5xx | failed | other 4xx | p50 | p99 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in sorted(by_kind):
        answers = by_kind[kind]
        latencies = [seconds for status, seconds in answers if status]
        lines.append(
            f"| {kind} | {len(answers):,} | {sum(1 for s, _ in answers if s >= 500)} "
            f"| {sum(1 for s, _ in answers if s == 0)} | {sum(1 for s, _ in answers if 400 <= s < 500):,} "
            f"| {_ms(percentile(latencies, 50)) if latencies else '-'} "
            f"| {_ms(percentile(latencies, 99)) if latencies else '-'} |")
    lines += ["", "| invariant | result | detail |", "|---|---|---|"]
    lines += [f"| {v.name} | {'PASS' if v.passed else '**FAIL**'} | {v.detail} |" for v in verdicts]
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", "10")))
    parser.add_argument("--accounts", type=int, default=ACCOUNTS)
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    if os.environ.get("SOAK_DATABASE_URL"):
        os.environ["BENCH_DATABASE_URL"] = os.environ["SOAK_DATABASE_URL"]
    if args.minutes <= 0:
        parser.error("--minutes must be more than 0")
    try:
        verdicts, seen, facts = run(args.minutes, accounts=args.accounts, threads=args.threads, workers=args.workers)
    except RuntimeError as error:
        print(f"soak: {error}", file=sys.stderr)
        return 2
    print(summary(verdicts, seen, facts))
    broken = [v for v in verdicts if not v.passed]
    if broken:
        print(f"\n{len(broken)} invariant(s) broken.")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
