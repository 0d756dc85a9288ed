"""The new-device alert: rendered at enqueue, in the person's language and time zone.

Rendering needs an application context (templates, translations); it runs
inside the sign-in's request, and writes the outbox row in its transaction.
"""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from app.clock import Clock
from app.i18n import DEFAULT_TIME_ZONE, known_time_zone, supported_language
from app.languages import DEFAULT_LANGUAGE
from app.mail.links import LinkFor
from app.models import MailKind, OutboxMail, User, UserSession
from app.presenters.devices import device_in_full, place_label
from app.presenters.sessions import app_name, session_title
from app.services.known_devices import Sighting
from app.services.mail_outbox import MailOutbox

# "3 Nov 2026, 10:00 CET": every time in a mail names its zone.
MAIL_TIME_FORMAT = "d MMM y, HH:mm zzzz"


@dataclass(frozen=True)
class SignInFacts:
    """What signed in, in the reader's words."""

    device: str
    place: str
    ip_address: str
    at: str
    new_country: bool
    # The name its owner gave the device ("Work laptop"), as typed; a new device has none yet.
    name: str | None = None


def reader_language(user: User) -> str:
    return supported_language(user.language) or DEFAULT_LANGUAGE


def reader_zone(user: User, row: UserSession) -> str:
    return known_time_zone(user.time_zone) or known_time_zone(row.time_zone) or DEFAULT_TIME_ZONE


def _when(user: User, zone_hint: str | None, at: datetime, language: str) -> str:
    zone = known_time_zone(user.time_zone) or known_time_zone(zone_hint) or DEFAULT_TIME_ZONE
    return format_datetime(at, MAIL_TIME_FORMAT, tzinfo=ZoneInfo(zone), locale=language)


def _facts_of_request(user: User, where: Mapping[str, Any], now: datetime, language: str, *,
                      name: str | None = None) -> SignInFacts:
    """What a request's sign-in details (``where``: device and place columns) say, in the reader's words."""
    return SignInFacts(
        device=device_in_full(where.get("browser"), where.get("os"), where.get("device")),
        place=place_label(where.get("country"), where.get("city"), where.get("ip_address"),
                          (where.get("extra") or {}).get("places")),
        ip_address=where.get("ip_address") or _("unknown"),
        at=_when(user, where.get("time_zone"), now, language), new_country=False, name=name,
    )


class PasswordChangedMails:
    """The mail that says the password was changed, when and from where; it cannot be turned off."""

    def __init__(self, outbox: MailOutbox, *, clock: Clock, devices_url: str) -> None:
        self._outbox = outbox
        self._clock = clock
        self._devices_url = devices_url

    def changed(self, user: User, where: Mapping[str, Any]) -> OutboxMail:
        """``where`` is the request's sign-in details (device and place columns)."""
        language = reader_language(user)
        with force_locale(language):
            facts = _facts_of_request(user, where, self._clock.now(), language)
            subject = _("Your Doorman password was changed")
            context = {"facts": facts, "devices_url": self._devices_url, "language": language, "subject": subject}
            text_body = render_template("mail/password_changed.txt", **context)
            html_body = render_template("mail/password_changed.html", **context)
        return self._outbox.enqueue(user_id=user.id, kind=MailKind.PASSWORD_CHANGED.value, recipient=user.email,
                                    subject=subject, text_body=text_body, html_body=html_body)


class SessionsEndedMails:
    """The mails that say sessions were ended: by support (with their reason), or from one of the person's devices.

    They cannot be turned off: each tells of a change the person did not necessarily make.
    ``device_names`` gives the name of a session's device (KnownDevices.name_of_session).
    """

    def __init__(self, outbox: MailOutbox, *, clock: Clock, devices_url: str,
                 device_names: Callable[[uuid.UUID], str | None] | None = None) -> None:
        self._outbox = outbox
        self._clock = clock
        self._devices_url = devices_url
        self._names = device_names

    def by_support(self, user: User, *, count: int, reason: str, session: UserSession | None = None) -> OutboxMail:
        """Support ended ``count`` sessions; ``session`` is the one, when only one was."""
        language = reader_language(user)
        with force_locale(language):
            headline = ngettext(
                "Doorman support signed out %(num)d session of your account.",
                "Doorman support signed out %(num)d sessions of your account.", count,
            )
            facts = None
            if session is not None:
                facts = SignInFacts(
                    device=device_in_full(session.browser, session.os, session.device),
                    place=place_label(session.country, session.city, session.ip_address, session.places),
                    ip_address=session.ip_address or _("unknown"),
                    at=_when(user, session.time_zone, self._clock.now(), language), new_country=False,
                    name=self._names(session.id) if self._names is not None else None,
                )
            when = _when(user, session.time_zone if session else None, self._clock.now(), language)
            lines = [headline, _("When: %(time)s.", time=when), _("The reason they gave: %(reason)s", reason=reason)]
            return self._enqueue(user, MailKind.SESSIONS_ENDED_BY_SUPPORT, language,
                                 _("Doorman support signed you out"), lines, facts)

    def others_signed_out(self, user: User, *, count: int, where: Mapping[str, Any],
                          device_name: str | None = None) -> OutboxMail:
        """Every other session was signed out from one device, described by ``where`` (sign-in details).

        ``device_name`` is the name its owner gave that device, if any.
        """
        language = reader_language(user)
        with force_locale(language):
            facts = _facts_of_request(user, where, self._clock.now(), language, name=device_name)
            lines = [ngettext(
                "%(num)d other session of your Doorman account was signed out, from this device:",
                "Every other session of your Doorman account (%(num)d) was signed out, from this device:", count,
            )]
            return self._enqueue(user, MailKind.OTHER_SESSIONS_SIGNED_OUT, language,
                                 _("Your other Doorman sessions were signed out"), lines, facts)

    def app_token_reused(self, user: User, session: UserSession, *, where: Mapping[str, Any]) -> OutboxMail:
        """An app's session was ended because an old refresh token of it was sent again, from ``where``."""
        language = reader_language(user)
        with force_locale(language):
            now = _when(user, session.time_zone, self._clock.now(), language)
            facts = SignInFacts(
                device=session_title(session),
                place=place_label(session.country, session.city, session.ip_address, session.places),
                ip_address=session.ip_address or _("unknown"),
                at=_when(user, session.time_zone, session.created_at, language), new_country=False,
            )
            sent_from = place_label(where.get("country"), where.get("city"), where.get("ip_address"),
                                    (where.get("extra") or {}).get("places"))
            lines = [
                _("%(app)s was signed out of your Doorman account because an old sign-in token of it was used "
                  "again. Either the app was copied, or someone else got hold of that token.", app=app_name(session)),
                _("When: %(time)s.", time=now),
                _("The old token was sent from %(place)s (IP address %(ip)s).", place=sent_from,
                  ip=where.get("ip_address") or _("unknown")),
                _("The app's sign-in:"),
            ]
            return self._enqueue(user, MailKind.APP_TOKEN_REUSED, language,
                                 _("An app was signed out of your Doorman account"), lines, facts)

    def _enqueue(self, user: User, kind: MailKind, language: str, subject: str, lines: list[str],
                 facts: SignInFacts | None) -> OutboxMail:
        context = {"lines": lines, "facts": facts, "devices_url": self._devices_url, "language": language,
                   "subject": subject}
        return self._outbox.enqueue(
            user_id=user.id, kind=kind.value, recipient=user.email, subject=subject,
            text_body=render_template("mail/sessions_ended.txt", **context),
            html_body=render_template("mail/sessions_ended.html", **context),
        )


class NewDeviceAlerts:
    """Enqueues the alert for a new sign-in, unless the person has turned these emails off."""

    def __init__(self, outbox: MailOutbox, *, link_for: LinkFor, settings_url: str) -> None:
        self._outbox = outbox
        self.link_for = link_for
        self._settings_url = settings_url

    def signed_in(self, user: User, row: UserSession, sighting: Sighting | None) -> OutboxMail | None:
        if sighting is None or not sighting.is_new or not user.new_device_emails:
            return None
        language = reader_language(user)
        with force_locale(language):
            facts = SignInFacts(
                device=device_in_full(row.browser, row.os, row.device),
                place=place_label(row.country, row.city, row.ip_address, row.places),
                ip_address=row.ip_address or _("unknown"),
                at=format_datetime(row.created_at, MAIL_TIME_FORMAT, tzinfo=ZoneInfo(reader_zone(user, row)),
                                   locale=language),
                new_country=sighting.new_country and not sighting.new_device,
            )
            subject = _("New sign-in to your Doorman account")
            context = {"facts": facts, "end_link": self.link_for(row), "settings_url": self._settings_url,
                       "language": language, "subject": subject}
            text_body = render_template("mail/new_device.txt", **context)
            html_body = render_template("mail/new_device.html", **context)
        return self._outbox.enqueue(user_id=user.id, kind=MailKind.NEW_DEVICE.value, recipient=user.email,
                                    subject=subject, text_body=text_body, html_body=html_body)
