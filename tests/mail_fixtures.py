"""What the mail tests share: an app that knows places, a real SMTP server (aiosmtpd), and outbox reads."""

import asyncio
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMail
from tests.conftest import create_test_app
from tests.mmdb import LONDON, MADRID, known_place_record, write_city_db

MADRID_IP = "81.0.0.7"
LONDON_IP = "81.2.69.7"
CHROME_ON_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/120.0.0.0 Safari/537.36")


@pytest.fixture(scope="session")
def city_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_city_db(tmp_path_factory.mktemp("mailgeo") / "city.mmdb", {
        "81.0.0.0/24": known_place_record("ES", MADRID),
        "81.2.69.0/24": known_place_record("GB", LONDON),
    })


@pytest.fixture
def geo_app(app: Flask, database_url: str, clock: Any, city_db: Path,
            request: pytest.FixtureRequest) -> Iterator[Flask]:
    """Like ``app`` (whose teardown empties the tables), with a GeoIP database that knows Madrid and London."""
    settings: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("config"))):
        settings.update(marker.kwargs)
    geo = create_test_app(database_url, clock=clock, GEOIP_DATABASE=str(city_db), **settings)
    yield geo
    with geo.app_context():
        db.session.remove()
        db.engine.dispose()


def outbox_rows(app: Flask) -> list[OutboxMail]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def browser(app: Flask, *, ip: str = MADRID_IP, user_agent: str = CHROME_ON_MAC) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    client.environ_base["HTTP_SEC_FETCH_SITE"] = "same-origin"
    return client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RecordingHandler:
    """An SMTP server's DATA handler: keeps what it accepts; ``answers`` scripts the next replies.

    An answer is an SMTP reply ("451 try later"), "sleep:SECONDS" (longer than
    SMTP_TIMEOUT), or "drop" (closes the connection once the message is in,
    before replying: the client cannot know whether it was delivered).
    """

    received: list[EmailMessage] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        answer = self.answers.pop(0) if self.answers else "250 OK"
        if answer.startswith("sleep:"):
            await asyncio.sleep(float(answer.split(":")[1]))
            return "451 too late"
        if answer == "drop":
            self.received.append(_parsed(envelope.original_content))
            server.transport.close()
            return "250 never heard"
        if answer.startswith("250"):
            self.received.append(_parsed(envelope.original_content))
        return answer


def _parsed(content: bytes) -> EmailMessage:
    message = message_from_bytes(content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, RecordingHandler]]:
    """A real SMTP server on a free loopback port; yields (its smtp:// URL, its handler)."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", handler
    finally:
        controller.stop()


SignIn = Callable[..., Any]
