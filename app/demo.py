"""Demo accounts and sessions for ``make run``.

Sessions are started through the session service with a clock set in the
past, so the devices page shows realistic "signed in" and "active" times. The
demo user's past (a failed sign-in, a sign-in that support then ended) goes
through the services the same way, so its security events are the real ones.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from app.extensions import db
from app.models import ActorKind, EndReason, User
from app.services import clock, session_service, user_service
from app.services.audit import AuditService
from app.services.credentials import VerifiedCredentials
from app.services.errors import InvalidCredentials
from app.services.passwords import Passwords, make_hasher
from app.services.sessions import SessionService
from app.services.users import UserService

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


def _audit_at(moment: datetime) -> AuditService:
    return AuditService(db.session, clock=_At(moment))


def _service_at(moment: datetime) -> SessionService:
    return SessionService(db.session, clock=_At(moment), policy=session_service().policy, audit=_audit_at(moment))


def _users_at(moment: datetime) -> UserService:
    passwords = Passwords(make_hasher(current_app.config["PASSWORD_HASH_PROFILE"]))
    return UserService(db.session, passwords=passwords, audit=_audit_at(moment), sessions=_service_at(moment))


# Someone in Lagos guesses the demo user's password, then gets it right; the
# next day support ends that session after the user calls in.
INTRUDER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/118.0.0.0 Safari/537.36"
)
INTRUDER_IP = "105.112.0.1"  # Lagos
SUPPORT_REASON = "Account recovery, ticket 4411: the customer did not recognise this sign-in"


def _add_demo_history(now: datetime) -> None:
    from app.services.request_details import describe_client

    demo = user_service().find_by_email("demo@example.com")
    support = user_service().find_by_email("support@example.com")
    assert demo is not None and support is not None
    intruder = describe_client(INTRUDER_USER_AGENT, INTRUDER_IP)
    tried_at = now - timedelta(days=9)
    try:
        _users_at(tried_at).authenticate(demo.email, "password123", attempt=intruder)
    except InvalidCredentials:
        pass  # the point: the failure is on the demo user's activity page
    signed_in = _service_at(tried_at + timedelta(minutes=4)).create(
        VerifiedCredentials.without_password(demo), **intruder
    )
    handled_at = tried_at + timedelta(days=1)
    _audit_at(handled_at).record_staff_view(staff_id=support.id, subject_id=demo.id, context=None)
    _service_at(handled_at + timedelta(minutes=2)).end(
        signed_in.row.id,
        owner_id=demo.id,
        reason=EndReason.REVOKED_BY_SUPPORT,
        ended_by=support.id,
        actor_kind=ActorKind.STAFF,
        staff_reason=SUPPORT_REASON,
    )


def _start_demo_session(user: User, device: DemoDevice, now: datetime) -> None:
    from app.services.request_details import describe_client

    new = _service_at(now - device.signed_in_ago).create(
        VerifiedCredentials.without_password(user), **describe_client(device.user_agent, device.ip_address)
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
    _add_demo_history(now)
    db.session.commit()
    current_app.logger.info("demo data loaded")
