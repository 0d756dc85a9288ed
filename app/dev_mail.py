"""A local SMTP server for development: every mail it receives is kept as an .eml file.

``python -m app.dev_mail --directory instance/mail`` listens on 127.0.0.1:8025
(where SMTP_URL points in development), writes each message to the
directory and prints one line about it. It delivers nothing anywhere:
``/dev/mail`` (app.dev) shows what arrived. Development only; it needs
aiosmtpd, which ``make install`` brings with the test extra.
"""

import argparse
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MailSink:
    """aiosmtpd's DATA handler: each accepted message becomes ``<time>-<random>.eml`` in ``directory``."""

    def __init__(self, directory: Path, *, echo: Callable[[str], None] = print) -> None:
        self.directory = directory
        self._echo = echo

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        content: bytes = envelope.original_content or envelope.content
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        (self.directory / name).write_bytes(content)
        subject = message_from_bytes(content, policy=policy.default).get("Subject", "")
        self._echo(f"mail: to {', '.join(envelope.rcpt_tos)}: {subject} ({self.directory / name})")
        return "250 Message accepted"


def start_sink(directory: Path, *, host: str, port: int, echo: Callable[[str], None] = print) -> Controller:
    controller = Controller(MailSink(directory, echo=echo), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Keep every mail sent to this SMTP server as an .eml file.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--directory", type=Path, default=Path("instance/mail"))
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    controller = start_sink(args.directory, host=args.host, port=args.port,
                            echo=lambda line: print(line, flush=True))
    print(f"mail: keeping what arrives at smtp://{args.host}:{args.port} in {args.directory}/", flush=True)
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
