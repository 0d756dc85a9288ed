"""Demo accounts and sessions for ``make run``.

Sessions are started through the session service with a clock set in the
past, so the devices page shows realistic "signed in" and "active" times.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from app.extensions import db
from app.models import User
from app.services import clock, session_service, user_service
from app.services.sessions import SessionService

DEMO_PASSWORD = "correct horse battery staple"
DEMO_ACCOUNTS = (
    ("demo@example.com", "user"),
    ("support@example.com", "support"),
    ("admin@example.com", "admin"),
)


@dataclass(frozen=True)
class DemoDevice:
    user_agent: str
    ip_address: str
    signed_in_ago: timedelta
    active_ago: timedelta


# Three sessions for the demo user, so that signing in from two browsers
# stays within the five-session limit.
DEMO_DEVICES = {
    "demo@example.com": (
        DemoDevice(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36",
            "147.96.1.1", timedelta(days=5), timedelta(minutes=7),  # Madrid
        ),
        DemoDevice(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.1.2 Mobile/15E148 Safari/604.1",
            "147.156.1.1", timedelta(days=3), timedelta(hours=2),  # Valencia
        ),
        DemoDevice(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/119.0.0.0 Safari/537.36 Edg/119.0.2151.97",
            "130.133.1.1", timedelta(days=6), timedelta(days=1, hours=4),  # Berlin
        ),
    ),
    "support@example.com": (
        DemoDevice(
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "128.16.1.1", timedelta(days=1), timedelta(minutes=30),  # London
        ),
    ),
    "admin@example.com": (
        DemoDevice(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.1 Safari/605.1.15",
            "132.227.1.1", timedelta(days=4), timedelta(hours=3),  # Paris
        ),
        DemoDevice(
            "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
            "54.232.1.1", timedelta(days=2), timedelta(hours=20),  # São Paulo
        ),
    ),
}


class _At:
    """A clock stopped at one moment."""

    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def now(self) -> datetime:
        return self._moment


def _service_at(moment: datetime) -> SessionService:
    return SessionService(db.session, clock=_At(moment), policy=session_service().policy)


def _start_demo_session(user: User, device: DemoDevice, now: datetime) -> None:
    from app.services.request_details import describe_client

    new = _service_at(now - device.signed_in_ago).create(
        user, **describe_client(device.user_agent, device.ip_address)
    )
    active_at = _service_at(now - device.active_ago)
    signed_in = active_at.resolve(new.token)
    if signed_in is not None:
        active_at.touch_if_due(signed_in)


def load_demo_data() -> Iterator[str]:
    """Create (or recreate) the demo accounts with a few sessions each."""
    users = user_service()
    now = clock().now()
    for email, role in DEMO_ACCOUNTS:
        existing = users.find_by_email(email)
        if existing is not None:
            db.session.delete(existing)  # its sessions go with it (ON DELETE CASCADE)
            db.session.flush()
        user = users.create(email, DEMO_PASSWORD, role=role)
        devices = sorted(DEMO_DEVICES[email], key=lambda d: d.signed_in_ago, reverse=True)
        for device in devices:
            _start_demo_session(user, device, now)
        yield f"{role:>8}: {email}  password: {DEMO_PASSWORD}  ({len(devices)} sessions)"
    db.session.commit()
    current_app.logger.info("demo data loaded")
