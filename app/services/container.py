"""Every service, built once and wired together into one ``Services``.

The app builds one at start-up; the CLI and the views reach it through the
app, the demo loader builds another on a clock set in the past, and the
tests and benchmarks use the app's. Nothing here knows about Flask: it takes
a database session, the settings, a clock and a logger.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, scoped_session

from app.clock import Clock
from app.languages import LANGUAGES
from app.mail.alerts import NewDeviceAlerts, PasswordChangedMails, SessionsEndedMails
from app.mail.links import LinkFor, settings_link
from app.mail.links import end_session_link as link_ending
from app.mail.moves import SessionMovedMails
from app.services.audit import AuditService
from app.services.end_session_links import EndSessionLinks
from app.services.enrichment import GeoLocator
from app.services.event_partitions import EventPartitions
from app.services.known_devices import KnownDevices
from app.services.mail_outbox import MailOutbox
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
    event_partitions: EventPartitions
    sessions: SessionService
    users: UserService
    organisations: OrganisationService
    support: SupportService
    geo: GeoLocator
    passwords: Passwords
    password_attempts: PasswordAttemptLimits
    known_devices: KnownDevices
    outbox: MailOutbox
    new_device_alerts: NewDeviceAlerts
    password_changed_mails: PasswordChangedMails
    sessions_ended_mails: SessionsEndedMails

    end_session_links: EndSessionLinks

def message_id_domain(config: Mapping[str, Any]) -> str:
    """The right side of every Message-ID: MAIL_FROM's domain, else PUBLIC_URL's host."""
    _name, address = parseaddr(config["MAIL_FROM"])
    domain = address.rpartition("@")[2]
    return domain or urlsplit(config["PUBLIC_URL"]).hostname or "localhost"


def build_services(db_session: Session | scoped_session[Any], config: Mapping[str, Any], *, clock: Clock,
                   logger: logging.Logger, end_session_link: LinkFor | None = None,
                   history_session: Session | scoped_session[Any] | None = None) -> Services:
    """Every service on ``db_session``, reading ``clock``; ``config`` is the app's settings.

    ``db_session`` is a Session or, in the app, Flask-SQLAlchemy's scoped
    session, which hands every call to the current request's Session.
    ``end_session_link`` makes the "Not you? End this session" link of the
    new-device mail; without one it is a signed, single-use link to end that session.
    ``history_session`` is what the pages that only read history read through
    (a read replica's session); ``db_session`` unless given.
    """
    # The services keep the scoped session itself, never one Session out of
    # it, so that each request gets its own; it answers every Session method.
    session = cast(Session, db_session)
    history = cast(Session, history_session) if history_session is not None else session
    passwords = Passwords(make_hasher(config["PASSWORD_HASH_PROFILE"]))
    # Password attempts, counted in RATELIMIT_STORAGE_URI's storage before each password is verified.
    password_attempts = PasswordAttemptLimits.from_config(config, logger=logger)
    # One audit service shared by the others, so their events join their transaction.
    event_partitions = EventPartitions(session, clock=clock)
    audit = AuditService(session, clock=clock, partitions=event_partitions, history=history)
    # Opened once per Services; a missing or corrupt file only logs a warning.
    geo = GeoLocator(config["GEOIP_DATABASE"], languages=LANGUAGES, logger=logger)
    sessions = SessionService(
        session, clock=clock, policy=SessionPolicy.from_config(config), audit=audit, geo=geo
    )
    users = UserService(
        session, passwords=passwords, attempt_limits=password_attempts, audit=audit, sessions=sessions
    )
    support = SupportService(session, sessions=sessions, audit=audit, clock=clock, history=history)
    known_devices = KnownDevices(session, clock=clock, lifetime=timedelta(seconds=config["KNOWN_DEVICE_LIFETIME"]))
    outbox = MailOutbox(session, clock=clock, message_id_domain=message_id_domain(config))
    end_session_links = EndSessionLinks.from_config(session, config, clock=clock, sessions=sessions)
    new_device_alerts = NewDeviceAlerts(
        outbox, link_for=end_session_link or link_ending(config["PUBLIC_URL"], end_session_links),
        settings_url=settings_link(config["PUBLIC_URL"]),
    )
    # A session now used from another country: the same switch, link and transaction as the new-device alert.
    sessions.alert_country_changes(SessionMovedMails(
        outbox=outbox, link_for=new_device_alerts.link_for, settings_url=settings_link(config["PUBLIC_URL"]),
    ))
    devices_url = config["PUBLIC_URL"].rstrip("/") + "/devices"
    return Services(
        known_devices=known_devices, outbox=outbox, new_device_alerts=new_device_alerts,
        password_changed_mails=PasswordChangedMails(outbox, clock=clock, devices_url=devices_url),
        sessions_ended_mails=SessionsEndedMails(outbox, clock=clock, devices_url=devices_url,
                                                device_names=known_devices.name_of_session),
        clock=clock, audit=audit, event_partitions=event_partitions, sessions=sessions, users=users,
        organisations=OrganisationService(session),
        support=support, geo=geo,
        passwords=passwords, password_attempts=password_attempts,
        end_session_links=end_session_links,
    )
