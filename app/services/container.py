"""Every service, built once and wired together into one ``Services``.

The app builds one at start-up; the CLI and the views reach it through the
app, the demo loader builds another on a clock set in the past, and the
tests and benchmarks use the app's. Nothing here knows about Flask: it takes
a database session, the settings, a clock and a logger.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.audit import AuditService
from app.services.enrichment import GeoLocator
from app.services.password_attempts import PasswordAttemptLimits
from app.services.passwords import Passwords, make_hasher
from app.services.sessions import SessionPolicy, SessionService
from app.services.support import SupportService
from app.services.users import UserService

@dataclass(frozen=True)
class Services:
    clock: Clock
    audit: AuditService
    sessions: SessionService
    users: UserService
    support: SupportService
    geo: GeoLocator
    passwords: Passwords
    password_attempts: PasswordAttemptLimits


def build_services(db_session: Session, config: Mapping[str, Any], *, clock: Clock,
                   logger: logging.Logger) -> Services:
    """Every service on ``db_session``, reading ``clock``; ``config`` is the app's settings."""
    passwords = Passwords(make_hasher(config["PASSWORD_HASH_PROFILE"]))
    # Password attempts, counted in RATELIMIT_STORAGE_URI's storage before each password is verified.
    password_attempts = PasswordAttemptLimits.from_config(config, logger=logger)
    # One audit service shared by the others, so their events join their transaction.
    audit = AuditService(db_session, clock=clock)
    sessions = SessionService(db_session, clock=clock, policy=SessionPolicy.from_config(config), audit=audit)
    users = UserService(
        db_session, passwords=passwords, attempt_limits=password_attempts, audit=audit, sessions=sessions
    )
    support = SupportService(db_session, sessions=sessions, audit=audit, clock=clock)
    # Opened once per Services; a missing or corrupt file only logs a warning.
    geo = GeoLocator(config["GEOIP_DATABASE"], logger=logger)
    return Services(
        clock=clock, audit=audit, sessions=sessions, users=users, support=support, geo=geo,
        passwords=passwords, password_attempts=password_attempts,
    )
