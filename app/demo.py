"""Demo accounts and sessions for ``make run``.

Sessions are started through services built by ``build_services``, as the
app's are, on a clock the loader sets in the past, so the devices page shows
realistic "signed in" and "active" times. The demo user's past (a failed
sign-in, a sign-in that support then ended) goes through those services the
same way, so its security events are the real ones.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import ngettext

from app.clock import FrozenClock
from app.extensions import db, services
from app.models import EndReason, User
from app.services.container import Services, build_services
from app.services.credentials import VerifiedCredentials
from app.services.enrichment import GeoLocator, describe_client
from app.services.errors import InvalidCredentials
from app.services.sessions import Ending, SignedInUser

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
    client_name: str | None = None  # set: an app's session, opened as the token endpoint opens one


# Three sessions for the demo user (two browsers and the iPhone app), so that
# signing in from two more browsers stays within the five-session limit.
DEMO_APP_NAME = "Doorman for iOS"
DEMO_DEVICES = {
    "demo@example.com": (
        DemoDevice(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36",
            "147.96.1.1", timedelta(days=5), timedelta(minutes=7),  # Madrid
        ),
        DemoDevice(
            "Doorman/2.3 (iPhone; iOS 17.1; Scale/3.00)",
            "147.156.1.1", timedelta(days=3), timedelta(hours=2),  # Valencia
            client_name=DEMO_APP_NAME,
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


class _Past:
    """Services built like the app's, on a clock the loader sets to each moment of the demo's past."""

    def __init__(self, now: datetime) -> None:
        self._clock = FrozenClock(now)
        # Password budgets of their own (a fresh memory://): writing past attempts into
        # the history spends nothing of today's.
        settings = {**current_app.config, "RATELIMIT_STORAGE_URI": "memory://"}
        self._services = build_services(db.session, settings, clock=self._clock, logger=current_app.logger)

    def at(self, moment: datetime) -> Services:
        self._clock.move_to(moment)
        return self._services

    @property
    def geo(self) -> GeoLocator:
        return self._services.geo

    def close(self) -> None:
        self._services.geo.close()


# Someone in Lagos guesses the demo user's password, then gets it right; the
# next day support ends that session after the user calls in.
INTRUDER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/118.0.0.0 Safari/537.36"
)
INTRUDER_IP = "105.112.0.1"  # Lagos
SUPPORT_REASON = "Account recovery, ticket 4411: the customer did not recognise this sign-in"


def _add_demo_history(past: _Past, now: datetime) -> None:
    demo = services().users.find_by_email("demo@example.com")
    support = services().users.find_by_email("support@example.com")
    assert demo is not None and support is not None
    intruder = describe_client(past.geo, INTRUDER_USER_AGENT, INTRUDER_IP)
    tried_at = now - timedelta(days=9)
    try:
        past.at(tried_at).users.authenticate(demo.email, "password123", attempt=intruder)
    except InvalidCredentials:
        pass  # the point: the failure is on the demo user's activity page
    signed_in = past.at(tried_at + timedelta(minutes=4)).sessions.create(
        VerifiedCredentials.without_password(demo), **intruder
    )
    handled_at = tried_at + timedelta(days=1)
    past.at(handled_at).audit.record_staff_view(staff_id=support.id, subject_id=demo.id, context=None)
    past.at(handled_at + timedelta(minutes=2)).sessions.end(
        signed_in.row.id,
        owner_id=demo.id,
        ending=Ending.by_staff(support.id, EndReason.REVOKED_BY_SUPPORT, staff_reason=SUPPORT_REASON),
    )


def _start_demo_session(past: _Past, user: User, device: DemoDevice, now: datetime) -> None:
    credentials = VerifiedCredentials.without_password(user)
    client = describe_client(past.geo, device.user_agent, device.ip_address)
    opening = past.at(now - device.signed_in_ago).sessions
    if device.client_name is not None:
        tokens = opening.open_app_session(credentials, client_name=device.client_name, **client)
        # Its first access token long expired, the app refreshed as apps do; that is its last activity.
        past.at(now - device.active_ago).sessions.refresh(tokens.refresh_token)
        return
    row = opening.create(credentials, **client).row
    # Touched as a request would touch it, but from the row: the cookie lookup reads on a
    # connection of its own, which cannot see this row before the loader commits.
    signed_in = SignedInUser._make((
        row.id, user.id, user.email, user.role, row.created_at, row.last_activity_at, row.authenticated_at,
        user.language, user.time_zone, row.time_zone, user.organisation_id, user.new_device_emails,
        row.ip_address,
    ))
    past.at(now - device.active_ago).sessions.touch_if_due(signed_in)


def demo_account_line(role: str, email: str, session_count: int) -> str:
    """One loaded account, as the loader prints it: "    user: demo@example.com  password: ...  (3 sessions)"."""
    return ngettext(
        "%(role)s: %(email)s  password: %(password)s  (%(num)d session)",
        "%(role)s: %(email)s  password: %(password)s  (%(num)d sessions)",
        session_count, role=f"{role:>8}", email=email, password=DEMO_PASSWORD,
    )


def load_demo_data() -> Iterator[str]:
    """Create (or recreate) the demo accounts with a few sessions each."""
    users = services().users
    now = services().clock.now()
    past = _Past(now)
    try:
        for email, role in DEMO_ACCOUNTS:
            existing = users.find_by_email(email)
            if existing is not None:
                db.session.delete(existing)  # its sessions go with it (ON DELETE CASCADE)
                db.session.flush()
            user = users.create(email, DEMO_PASSWORD, role=role)
            devices = sorted(DEMO_DEVICES[email], key=lambda d: d.signed_in_ago, reverse=True)
            for device in devices:
                _start_demo_session(past, user, device, now)
            yield demo_account_line(role, email, len(devices))
        _add_demo_history(past, now)
    finally:
        past.close()
    db.session.commit()
    current_app.logger.info("demo data loaded")
