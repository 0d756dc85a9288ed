"""The new-device alert: rendered at enqueue, in the person's language and time zone.

Rendering needs an application context (templates, translations); it runs
inside the sign-in's request, and writes the outbox row in its transaction.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.i18n import DEFAULT_TIME_ZONE, known_time_zone, supported_language
from app.languages import DEFAULT_LANGUAGE
from app.mail.links import LinkFor
from app.models import MailKind, OutboxMail, User, UserSession
from app.presenters.devices import device_summary, place_label
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


def reader_language(user: User) -> str:
    return supported_language(user.language) or DEFAULT_LANGUAGE


def reader_zone(user: User, row: UserSession) -> str:
    return known_time_zone(user.time_zone) or known_time_zone(row.time_zone) or DEFAULT_TIME_ZONE


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
                device=device_summary(row.browser, row.os, row.device),
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
