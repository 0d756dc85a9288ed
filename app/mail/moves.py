"""The mail that says a session is now used from another country, with its "Not you? End this session" link.

Enqueued by the session store at the throttled touch that records the move
(``SessionLookup``), so the outbox row joins the transaction of the
session_moved event: a committed move never loses its mail. Like the
new-device alert it is a mail one can turn off (the settings' switch for
new-device emails covers it, and it carries List-Unsubscribe): a country
change of a session already open is the same kind of news as a sign-in from
a new country. A move within one country sends nothing.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.mail.alerts import MAIL_TIME_FORMAT, reader_language, reader_zone
from app.mail.links import LinkFor
from app.models import MailKind, OutboxMail, User, UserSession
from app.presenters.devices import UNKNOWN_PLACE, device_in_full, place_name
from app.services.enrichment import PLACES_KEY
from app.services.mail_outbox import MailOutbox


@dataclass(frozen=True)
class MoveFacts:
    """What moved, in the reader's words: the device (and its name), from where to where, the address, when."""

    device: str
    name: str | None
    from_place: str
    to_place: str
    ip_address: str
    at: str


def _place(place: Mapping[str, Any]) -> str:
    return place_name(place.get("country"), place.get("city"), place.get(PLACES_KEY)) or str(UNKNOWN_PLACE)


def _render(name: str, context: Mapping[str, Any]) -> str:
    """The template alone, without the request's context processors: this runs while the request's
    signed-in user is being loaded, and one of those (flask-login's ``current_user``) would load it again."""
    return current_app.jinja_env.get_template(name).render(**context)


class SessionMovedMails:
    """Enqueues the mail for a session whose requests now come from another country, unless switched off."""

    def __init__(self, *, outbox: MailOutbox, link_for: LinkFor, settings_url: str) -> None:
        self._outbox = outbox
        self._link_for = link_for
        self._settings_url = settings_url

    def country_changed(self, user: User, row: UserSession, *, ip_address: str, before: Mapping[str, Any],
                        after: Mapping[str, Any], at: datetime, device_name: str | None) -> OutboxMail | None:
        """``before`` and ``after`` are the places (country, city, their names); ``row`` is the session."""
        if not user.new_device_emails:
            return None
        language = reader_language(user)
        with force_locale(language):
            facts = MoveFacts(
                device=device_in_full(row.browser, row.os, row.device), name=device_name,
                from_place=_place(before), to_place=_place(after), ip_address=ip_address,
                at=format_datetime(at, MAIL_TIME_FORMAT, tzinfo=ZoneInfo(reader_zone(user, row)), locale=language),
            )
            subject = _("A Doorman session is now used from another country")
            context = {"facts": facts, "end_link": self._link_for(row), "settings_url": self._settings_url,
                       "language": language, "subject": subject}
            text_body = _render("mail/session_moved.txt", context)
            html_body = _render("mail/session_moved.html", context)
        return self._outbox.enqueue(user_id=user.id, kind=MailKind.SESSION_MOVED.value, recipient=user.email,
                                    subject=subject, text_body=text_body, html_body=html_body)
