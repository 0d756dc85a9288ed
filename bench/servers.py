"""gunicorn on loopback, and a load generator to point at it (wrk, or Python when wrk is missing).

Every server binds 127.0.0.1 only and is stopped by its own process id;
every load run is bounded in time and, for the Python client, in count.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.report import percentile

ROOT = Path(__file__).resolve().parent.parent
WRK_REPORT = Path(__file__).resolve().parent / "wrk_report.lua"

# The same for every app, so only the session differs: one process per core,
# each serving one request at a time (gunicorn's default sync worker).
WORKERS = 2
GUNICORN_SETTINGS = ("--worker-class", "sync")
# gunicorn 25.1+ opens a control socket at one fixed path per user, which two
# servers at once (or anyone else's gunicorn) would fight over.
_NO_CONTROL_SOCKET = ("--no-control-socket",) if tuple(
    int(part) for part in version("gunicorn").split(".")[:2]) >= (25, 1) else ()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(*apps: tuple[str, dict[str, str]], workers: int = WORKERS,
             startup_timeout: float = 30.0, python: str = sys.executable) -> Iterator[list[str]]:
    """Serve each (app spec, environment) on a free loopback port; yields their base URLs.

    ``python`` is the interpreter whose gunicorn serves them: Doorman's by
    default, another virtual environment's for the peers (benchmark 9).

    The servers start together (each takes a second or two to import the app)
    and are stopped by their own process ids when the block ends.
    """
    with ExitStack() as stack:
        started: list[tuple[int, subprocess.Popen, Any]] = []
        stack.callback(lambda: _stop([process for _, process, _ in started]))
        for app_spec, env in apps:
            port = free_port()
            log = stack.enter_context(tempfile.TemporaryFile(mode="w+"))
            process = subprocess.Popen(
                [python, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                 *GUNICORN_SETTINGS,
                 *_NO_CONTROL_SOCKET, "--log-level", "warning", "--chdir", str(ROOT), app_spec],
                env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            )
            started.append((port, process, log))
        for port, process, log in started:
            _wait_until_listening(port, process, log, startup_timeout)
        yield [f"http://127.0.0.1:{port}" for port, _, _ in started]


def _stop(processes: list[subprocess.Popen]) -> None:
    # All at once: each takes half a second to reap its workers.
    for process in processes:
        process.send_signal(signal.SIGINT)  # quick shutdown: nothing is in flight any more
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_until_listening(port: int, process: subprocess.Popen, log, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read()}")
        try:
            get(f"http://127.0.0.1:{port}/", {}, timeout=1)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"gunicorn did not answer on port {port} within {timeout} s")


def get(url: str, headers: dict[str, str], *, timeout: float = 5) -> tuple[int, str]:
    """One GET without following redirects: (status, body)."""
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, _, port = host_port.partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", "/" + path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50: float  # seconds
    p99: float
    errors: int  # failed connections, timeouts and non-2xx/3xx answers

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load_generator() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def run_load(url: str, headers: dict[str, str], *, seconds: float, connections: int,
             generator: str | None = None) -> Load:
    """Keep ``connections`` requests in flight against ``url`` for ``seconds``."""
    if (generator or load_generator()) == "wrk":
        return _run_wrk(url, headers, seconds=seconds, connections=connections)
    return _run_python(url, headers, seconds=seconds, connections=connections)


def _run_wrk(url: str, headers: dict[str, str], *, seconds: float, connections: int) -> Load:
    command = ["wrk", "--threads", "1", "--connections", str(connections), "--duration",
               f"{max(1, round(seconds))}s", "--timeout", "5s", "--script", str(WRK_REPORT)]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    done = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 30, check=True)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("WRK_REPORT "))
    report = json.loads(line.removeprefix("WRK_REPORT "))
    return Load(
        requests=report["requests"],
        seconds=report["duration_us"] / 1e6,
        p50=report["p50_us"] / 1e6,
        p99=report["p99_us"] / 1e6,
        errors=report["errors"],
    )


def _run_python(url: str, headers: dict[str, str], *, seconds: float, connections: int,
                max_requests: int = 1_000_000) -> Load:
    """The fallback: one thread per connection, keep-alive when the server allows it.

    Much slower than wrk (every request is Python, under one GIL, on the
    cores the servers need), so its numbers only compare with each other.
    """
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, _, port = host_port.partition(":")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    per_thread = max_requests // connections

    def worker() -> None:
        conn: http.client.HTTPConnection | None = None
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline and len(mine) + failed < per_thread:
            start = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, int(port), timeout=5)
                conn.request("GET", "/" + path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
                else:
                    mine.append(time.perf_counter() - start)
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                failed += 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - started
    if not latencies:
        return Load(0, elapsed, 0.0, 0.0, errors[0])
    return Load(len(latencies), elapsed, percentile(latencies, 50), percentile(latencies, 99), errors[0])
