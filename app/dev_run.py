"""``make run``: the app, a local SMTP server that keeps what it receives, and the mail worker.

All three listen on or talk to 127.0.0.1 only. Interrupting (Ctrl-C) or
terminating this launcher stops every child by its pid; so does any child
exiting. Development only.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

STOP_GRACE = 5.0


def _wait_for_port(host: str, port: int, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _stop(children: Sequence[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Doorman with a local mail server and the mail worker.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--mail-port", type=int, default=8025)
    parser.add_argument("--mail-directory", default=os.path.join("instance", "mail"))
    args = parser.parse_args(argv)

    env = {**os.environ, "DOORMAN_ENV": "development", "PYTHONUNBUFFERED": "1",
           "SMTP_URL": f"smtp://127.0.0.1:{args.mail_port}", "DEV_MAIL_DIRECTORY": os.path.abspath(args.mail_directory)}
    # The links in the mails point at this very server, unless PUBLIC_URL says otherwise.
    env.setdefault("PUBLIC_URL", f"http://{args.host}:{args.port}")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        # Each child in a session of its own: a Ctrl-C reaches only this launcher, which stops them in turn.
        children.append(subprocess.Popen(
            [sys.executable, "-m", "app.dev_mail", "--host", "127.0.0.1", "--port", str(args.mail_port),
             "--directory", env["DEV_MAIL_DIRECTORY"]], env=env, start_new_session=True))
        if not _wait_for_port("127.0.0.1", args.mail_port, timeout=15):
            print(f"The local mail server did not start on 127.0.0.1:{args.mail_port}.", file=sys.stderr)
            return 1
        children.append(subprocess.Popen([*flask, "mail", "deliver", "--interval", "1"], env=env,
                                         start_new_session=True))
        children.append(subprocess.Popen([*flask, "run", "--host", args.host, "--port", str(args.port)], env=env,
                                         start_new_session=True))
        print(f"Mails sent by Doorman are shown at http://{args.host}:{args.port}/dev/mail", flush=True)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
    finally:
        _stop(children)
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
