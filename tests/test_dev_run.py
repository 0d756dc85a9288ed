"""`make run`'s launcher: the app, the local SMTP server and the mail worker start on 127.0.0.1, and stop together."""

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.mail_fixtures import free_port

ROOT = Path(__file__).resolve().parent.parent


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _children_of(pid: int) -> list[int]:
    rows = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True).stdout.split("\n")
    return [int(child) for child, parent in (row.split() for row in rows if row.strip()) if int(parent) == pid]


def _wait(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM])
def test_everything_starts_and_everything_stops(tmp_path, stop_with):
    web, smtp = free_port(), free_port()
    mail_directory = tmp_path / "mail"
    env = {k: v for k, v in os.environ.items() if k not in ("SMTP_URL", "PUBLIC_URL", "DEV_MAIL_DIRECTORY")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'doorman.sqlite3'}"
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "app.dev_run", "--port", str(web), "--mail-port", str(smtp),
             "--mail-directory", str(mail_directory)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        assert _wait(lambda: _answers(web) and _answers(smtp)), "the app or the mail server did not start"
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/dev/mail", timeout=5) as page:
            assert page.status == 200  # development: the mail page is there

        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "Hello"
        message.set_content("hi")
        with smtplib.SMTP("127.0.0.1", smtp, timeout=5) as client:
            client.send_message(message)
        assert _wait(lambda: len(list(mail_directory.glob("*.eml"))) == 1, timeout=5)

        children = _children_of(launcher.pid)
        assert len(children) == 3, children  # the mail server, the worker, the app

        launcher.send_signal(stop_with)
        assert launcher.wait(timeout=15) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    output = log.read_text()
    assert f"mail: to b@example.com: Hello ({mail_directory}" in output
    assert not _answers(web) and not _answers(smtp)
    for pid in children:  # every child is gone with it
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_when_one_part_cannot_start_the_others_are_stopped(tmp_path):
    smtp = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SMTP_URL", "PUBLIC_URL", "DEV_MAIL_DIRECTORY")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'doorman.sqlite3'}"
    with socket.socket() as taken:  # the app's port is already in use: `flask run` exits at once
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        web = taken.getsockname()[1]
        with (tmp_path / "run.log").open("wb") as out:
            launcher = subprocess.Popen(
                [sys.executable, "-m", "app.dev_run", "--port", str(web), "--mail-port", str(smtp),
                 "--mail-directory", str(tmp_path / "mail")],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        try:
            assert launcher.wait(timeout=30) == 1
        finally:
            if launcher.poll() is None:
                launcher.kill()
                launcher.wait()
    assert not _answers(smtp)
