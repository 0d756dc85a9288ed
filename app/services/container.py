"""Every service, built once and wired together into one ``Services``.

The app builds one at start-up; the CLI and the views reach it through the
app, the demo loader builds another on a clock set in the past, and the
tests and benchmarks use the app's. Nothing here knows about Flask: it takes
a database session, the settings, a clock and a logger.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.orm import Session, scoped_session

from app.clock import Clock
from app.languages import LANGUAGES
from app.services.audit import AuditService
from app.services.end_session_links import EndSessionLinks
from app.services.enrichment import GeoLocator
from app.services.organisations import OrganisationService
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
    organisations: OrganisationService
    support: SupportService
    geo: GeoLocator
    passwords: Passwords
    password_attempts: PasswordAttemptLimits
    end_session_links: EndSessionLinks


def build_services(db_session: Session | scoped_session[Any], config: Mapping[str, Any], *, clock: Clock,
                   logger: logging.Logger) -> Services:
    """Every service on ``db_session``, reading ``clock``; ``config`` is the app's settings.

    ``db_session`` is a Session or, in the app, Flask-SQLAlchemy's scoped
    session, which hands every call to the current request's Session.
    """
    # The services keep the scoped session itself, never one Session out of
    # it, so that each request gets its own; it answers every Session method.
    session = cast(Session, db_session)
    passwords = Passwords(make_hasher(config["PASSWORD_HASH_PROFILE"]))
    # Password attempts, counted in RATELIMIT_STORAGE_URI's storage before each password is verified.
    password_attempts = PasswordAttemptLimits.from_config(config, logger=logger)
    # One audit service shared by the others, so their events join their transaction.
    audit = AuditService(session, clock=clock)
    sessions = SessionService(session, clock=clock, policy=SessionPolicy.from_config(config), audit=audit)
    users = UserService(
        session, passwords=passwords, attempt_limits=password_attempts, audit=audit, sessions=sessions
    )
    support = SupportService(session, sessions=sessions, audit=audit, clock=clock)
    # Opened once per Services; a missing or corrupt file only logs a warning.
    geo = GeoLocator(config["GEOIP_DATABASE"], languages=LANGUAGES, logger=logger)
    return Services(
        clock=clock, audit=audit, sessions=sessions, users=users, organisations=OrganisationService(session),
        support=support, geo=geo,
        passwords=passwords, password_attempts=password_attempts,
        end_session_links=EndSessionLinks.from_config(session, config, clock=clock, sessions=sessions),
    )
