"""Real servers for the production tests (issue 16): PgBouncer, a PostgreSQL replica, gunicorn, Redis.

Each starts as a subprocess on a free loopback port and is stopped by its own
process id (terminate, wait, then kill). A test that needs a binary this
machine lacks, or PostgreSQL when TEST_DATABASE_URL is not set, is skipped
with the reason.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import pytest

from app.config import database_uri
from bench.servers import _NO_CONTROL_SOCKET, free_port

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
# Servers that refuse to run as root (PostgreSQL, PgBouncer) run as this user.
SERVICE_USER = "postgres"


def postgresql_url() -> str:
    """TEST_DATABASE_URL, if it is a PostgreSQL database; else the test is skipped."""
    url = database_uri(os.environ.get("TEST_DATABASE_URL", ""))
    if not url.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL is not a PostgreSQL database: these servers sit in front of one")
    return url


def need_binary(path: str | Path, what: str) -> str:
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.skip(f"{what} is not installed here ({path} is missing)")
    return str(path)


def _as_service_user() -> list[str]:
    """Prefix running a command as SERVICE_USER when we are root (else as ourselves)."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL or PgBouncer as another user")
    return [runuser, "-u", SERVICE_USER, "--"]


def _give_to_service_user(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, SERVICE_USER, SERVICE_USER)
        path.chmod(0o700)


def wait_for_port(port: int, process: subprocess.Popen, log: IO[str] | None, *, timeout: float,
                  what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{_read(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout} s:\n{_read(log)}")


def _read(log: IO[str] | None) -> str:
    if log is None:
        return ""
    log.seek(0)
    return log.read()


def stop(process: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Stop one server by its own process id: a signal, a wait, then kill."""
    if process.poll() is not None:
        return
    if sig:
        process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


# -- Redis ---------------------------------------------------------------------


@dataclass
class RedisServer:
    """A private redis-server: nobody else's keys, and it may be killed and started again on its port."""

    port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = need_binary(shutil.which("redis-server") or "/usr/bin/redis-server", "redis-server")
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, None, timeout=10, what="redis-server")

    def kill(self) -> None:
        """Gone at once, as when its host dies."""
        if self.process is not None:
            stop(self.process, sig=signal.SIGKILL)
            self.process = None


@contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()


# -- PgBouncer -----------------------------------------------------------------


@contextmanager
def pgbouncer(database_url: str, *, pool_size: int = 4, extra: Mapping[str, str] | None = None) -> Iterator[str]:
    """PgBouncer in transaction pooling mode in front of ``database_url``; yields the URL through it."""
    binary = need_binary(PGBOUNCER, "PgBouncer")
    target = urlsplit(database_url)
    name = target.path.lstrip("/")
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="doorman-pgbouncer-"))
    try:
        _give_to_service_user(directory)
        settings = {
            "listen_addr": "127.0.0.1", "listen_port": str(port), "unix_socket_dir": "",
            "auth_type": "trust", "auth_file": str(directory / "users.txt"),
            "pool_mode": "transaction", "default_pool_size": str(pool_size), "max_client_conn": "200",
            "server_reset_query": "", "ignore_startup_parameters": "extra_float_digits",
            "logfile": str(directory / "pgbouncer.log"), "pidfile": str(directory / "pgbouncer.pid"),
            **(extra or {}),
        }
        user = target.username or "postgres"
        (directory / "users.txt").write_text(f'"{user}" ""\n')
        (directory / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"{name} = host={target.hostname or '127.0.0.1'} port={target.port or 5432} dbname={name}\n"
            "[pgbouncer]\n" + "".join(f"{key} = {value}\n" for key, value in settings.items())
        )
        for path in directory.iterdir():
            _give_to_service_user(path)
        log = (directory / "stdout.log").open("w+")
        process = subprocess.Popen([*_as_service_user(), binary, str(directory / "pgbouncer.ini")],
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process, log, timeout=10, what="pgbouncer")
            yield f"postgresql+psycopg://{user}@127.0.0.1:{port}/{name}"
        finally:
            stop(process)
            log.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# -- A primary and its streaming replica ---------------------------------------


@dataclass
class Cluster:
    """One PostgreSQL 15 cluster of our own, in a temporary directory, run by SERVICE_USER."""

    data: Path
    port: int
    process: subprocess.Popen | None = None
    log: Any = field(default=None, repr=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.log = (self.data.parent / f"{self.data.name}.log").open("w+")
        self.process = subprocess.Popen(
            [*_as_service_user(), str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.data.parent}",
             "-c", "fsync=off", "-c", "shared_buffers=16MB", "-c", "max_connections=40"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self.process, self.log, timeout=30, what=f"postgres ({self.data.name})")
        self._wait_until_accepting()

    def _wait_until_accepting(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                                connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            # SIGINT is PostgreSQL's fast shutdown. It goes to the postmaster's own process id
            # (runuser, in between when we are root, does not pass SIGINT on).
            try:
                os.kill(int((self.data / "postmaster.pid").read_text().split()[0]), signal.SIGINT)
            except (OSError, ValueError, IndexError):
                self.process.terminate()
            stop(self.process, sig=0, timeout=20)
            self.process = None
        if self.log is not None:
            self.log.close()


def _run_as_service_user(*command: str, what: str) -> None:
    done = subprocess.run([*_as_service_user(), *command], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


@dataclass(frozen=True)
class PrimaryAndReplica:
    primary: Cluster
    replica: Cluster


@contextmanager
def primary_and_replica(database: str = "doorman") -> Iterator[PrimaryAndReplica]:
    """A PostgreSQL 15 primary of our own and a streaming replica made from it with ``pg_basebackup -R``.

    The machine's PostgreSQL does not allow replication connections (its
    pg_hba.conf has no ``replication`` line) and its configuration is not
    ours to edit, so the primary is a fresh cluster with its own pg_hba.conf.
    ``database`` is created on the primary and arrives on the replica by replication.
    """
    for binary in ("initdb", "postgres", "pg_basebackup"):
        need_binary(PG_BIN / binary, f"PostgreSQL 15's {binary}")
    root = Path(tempfile.mkdtemp(prefix="doorman-replica-"))
    primary = Cluster(root / "primary", free_port())
    replica = Cluster(root / "replica", free_port())
    try:
        _give_to_service_user(root)
        _run_as_service_user(str(PG_BIN / "initdb"), "-D", str(primary.data), "-U", "postgres",
                             "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8", what="initdb")
        with (primary.data / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        primary.start()
        _run_as_service_user(
            str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(replica.data), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast", what="pg_basebackup",
        )
        replica.start()
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={primary.port} user=postgres dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        deadline = time.monotonic() + 30
        while True:  # the new database reaches the replica by replication
            try:
                psycopg.connect(f"host=127.0.0.1 port={replica.port} user=postgres dbname={database}").close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield PrimaryAndReplica(primary, replica)
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


# -- gunicorn ------------------------------------------------------------------


@dataclass
class AppServer:
    port: int
    process: subprocess.Popen
    log: IO[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return _read(self.log)


@contextmanager
def gunicorn(*environments: Mapping[str, str], workers: int = 1, home: Path) -> Iterator[list[AppServer]]:
    """One gunicorn serving wsgi:app with app/gunicorn.conf.py per environment, each on a free port."""
    servers: list[AppServer] = []
    try:
        for environment in environments:
            port = free_port()
            log = tempfile.TemporaryFile(mode="w+")
            env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "PORT": str(port),
                   "WEB_CONCURRENCY": str(workers), "DOORMAN_ENV": "test", "PASSWORD_HASH_PROFILE": "CHEAPEST",
                   **environment}
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "app" / "gunicorn.conf.py"),
                 *_NO_CONTROL_SOCKET, "wsgi:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
            servers.append(AppServer(port, process, log))
        for server in servers:
            wait_for_port(server.port, server.process, server.log, timeout=30, what="gunicorn")
        yield servers
    finally:
        for server in servers:
            server.process.send_signal(signal.SIGINT)
        for server in servers:
            stop(server.process, sig=signal.SIGINT)
            server.log.close()
