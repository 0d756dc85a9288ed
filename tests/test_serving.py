"""app/gunicorn.conf.py: its settings from the environment, and a real gunicorn serving /readyz with it (issue 16)."""

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade

from app.config import ConfigurationError
from app.extensions import db
from app.serving import gunicorn_settings
from bench.servers import free_port
from tests.conftest import create_test_app

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "app" / "gunicorn.conf.py"


def test_defaults_bind_loopback_with_two_workers_per_core_plus_one_capped():
    settings = gunicorn_settings({}, cores=2)
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert settings["workers"] == 5 and gunicorn_settings({}, cores=64)["workers"] == 8
    assert (settings["threads"], settings["worker_class"]) == (1, "sync")
    assert (settings["timeout"], settings["graceful_timeout"], settings["keepalive"]) == (30, 30, 5)
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (1000, 100)
    assert settings["forwarded_allow_ips"] == ""  # no proxy configured: nobody's X-Forwarded-Proto is believed
    assert settings["accesslog"] == "-"


def test_settings_read_from_the_environment():
    settings = gunicorn_settings({
        "PORT": "9000", "WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "4", "LOG_FORMAT": "json",
        "TRUSTED_PROXIES": "1", "TRUSTED_PROXY_ADDRESSES": "10.0.0.0/8,::1", "GUNICORN_MAX_REQUESTS": "0",
    }, cores=2)
    assert settings["bind"] == ["127.0.0.1:9000"]
    assert (settings["workers"], settings["threads"], settings["worker_class"]) == (3, 4, "gthread")
    assert settings["forwarded_allow_ips"] == "10.0.0.0/8,::1/128"
    assert settings["accesslog"] is None  # the app writes its own JSON line per request
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (0, 0)
    assert gunicorn_settings({"DOORMAN_BIND": "unix:/run/doorman.sock", "PORT": "9000"})["bind"] == [
        "unix:/run/doorman.sock"]


@pytest.mark.parametrize(("name", "value"), [
    ("WEB_CONCURRENCY", "0"), ("WEB_CONCURRENCY", "many"), ("PORT", "70000"), ("GUNICORN_TIMEOUT", "-1"),
    ("LOG_FORMAT", "xml"), ("TRUSTED_PROXY_ADDRESSES", "not-an-address"),
])
def test_unusable_values_are_refused_with_their_name(name, value):
    with pytest.raises(ConfigurationError, match=name):
        gunicorn_settings({name: value})


def get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def wait_until_ready(port: int, process: subprocess.Popen, timeout: float = 30) -> tuple[int, dict[str, str], str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}")
        try:
            return get(port, "/readyz")
        except OSError:
            time.sleep(0.1)
    pytest.fail("gunicorn did not answer in time")


def test_gunicorn_with_this_config_serves_wsgi_app_ready_on_a_migrated_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'doorman.sqlite3'}"
    migrating = create_test_app(url)
    with migrating.app_context():
        upgrade()
        db.engine.dispose()
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PORT": str(port), "WEB_CONCURRENCY": "2",
        "DOORMAN_ENV": "test", "DATABASE_URL": url, "LOG_FORMAT": "json",
    }
    log = (tmp_path / "gunicorn.log").open("w+")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "wsgi:app"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        status, headers, body = wait_until_ready(port, process)
        assert status == 200, body
        assert '"status":"ready"' in body.replace(" ", "")
        assert headers["Cache-Control"] == "no-store" and "X-Request-ID" in headers
        assert headers.get("Server") in (None, "gunicorn")  # no version
        assert get(port, "/healthz")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)  # graceful: workers finish what they hold, then exit
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.seek(0)
    logged = log.read()
    log.close()
    assert process.returncode == 0, logged
    assert '"route": "/readyz"' in logged  # the app's own JSON request line; no gunicorn access log
    assert '"GET /readyz HTTP/1.1" 200' not in logged
