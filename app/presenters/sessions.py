"""Session rows as pages and messages show them: titles, places, labels, and the support console's rows.

From stored columns only. The console's rows carry only the fields below,
so no token hash can reach a template.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.models import SecurityEvent, SessionKind, UserSession
from app.presenters.devices import (
    UNKNOWN_PLACE,
    device_summary,
    local_names,
    on_system,
    place_label,
    place_name,
    seen_of_row,
    strip_version,
)
from app.presenters.end_reasons import end_reason_label
from app.services.addresses import masked_network
from app.services.sessions import ActiveSession, EndedSession
from app.services.sessions.grouping import DeviceGroup

SessionRow = ActiveSession | UserSession


# The mark beside an app's session, and what a screen reader says of it.
APP_MARK = _l("App")
APP_MARK_DESCRIPTION = _l("signed in through an app")
UNNAMED_APP = _l("Unnamed app")


def is_app_session(row: SessionRow) -> bool:
    """Whether an app holds this session (tokens) rather than a browser (a cookie)."""
    return row.kind == SessionKind.APP


def app_name(row: SessionRow) -> str:
    """The name the app gave itself at sign-in, or words for an app that gave none."""
    return row.client_name or str(UNNAMED_APP)


def session_title(row: SessionRow) -> str:
    """Browser and OS with versions, "Chrome 120 on macOS 10.15"; an app's name and OS, "Doorman for iOS · iOS 17.1"."""
    if is_app_session(row):
        return f"{app_name(row)} · {row.os}" if row.os else app_name(row)
    return device_summary(row.browser, row.os, None)


def session_place(row: SessionRow) -> str:
    """"Madrid, Spain", "Local network" or "Unknown location", in the reader's language."""
    return place_label(row.country, row.city, row.ip_address, row.places)


def moved_to(row: ActiveSession) -> str | None:
    """"Signed in from a new place: Lagos, Nigeria" for a session flagged as moved, else None."""
    if row.moved_at is None:
        return None
    place = place_name(row.last_country, row.last_city, row.last_places) or str(UNKNOWN_PLACE)
    return gettext("Signed in from a new place: %(place)s", place=place)


def signed_out_device(count: int) -> str:
    return ngettext("Signed out this device (%(num)d session)", "Signed out this device (%(num)d sessions)", count)


def device_group_label(group: DeviceGroup) -> str:
    """"Chrome on macOS · Madrid, Spain · 3 sessions": one device and how many sessions it holds."""
    first = group.sessions[0]
    device = app_name(first) if is_app_session(first) else device_summary(first.browser, first.os, None,
                                                                           versions=False)
    count = ngettext("%(num)d session", "%(num)d sessions", len(group.sessions))
    return f"{device} · {session_place(first)} · {count}"


def device_group_title(group: DeviceGroup) -> str:
    """What an entry of the devices page is called: the name its owner gave it, else "Chrome on macOS"."""
    if group.name:
        return group.name
    first = group.sessions[0]
    return app_name(first) if is_app_session(first) else device_summary(first.browser, first.os, None,
                                                                         versions=False)


def device_renamed(name: str | None) -> str:
    """The message after naming a device or clearing its name; the name is shown as typed (and escaped)."""
    if name is None:
        return gettext("The device’s name was cleared.")
    return gettext("This device is now called “%(name)s”.", name=name)


def session_label(row: SessionRow) -> str:
    """A short name for one session, for buttons and messages: "Safari on iPhone in Valencia".

    An app's session is named by the app: "Doorman for iOS on iPhone in Valencia".
    """
    if is_app_session(row):
        where_on = row.device or strip_version(row.os)
        device = on_system(app_name(row), where_on) if where_on else app_name(row)
    else:
        device = device_summary(row.browser, row.os, row.device, versions=False)
    country, city = local_names(row.country, row.city, row.places)
    where = city or country
    return gettext("%(device)s in %(place)s", device=device, place=where) if where else device


def session_phrase(row: UserSession) -> str:
    """"Safari on iPhone in Valencia, Spain": which session, in the words of the activity page."""
    return seen_of_row(row).phrase


def signed_out_one(row: SessionRow) -> str:
    """The account holder's message after signing out one of their sessions."""
    return gettext("Signed out %(session)s.", session=session_label(row))


def signed_out_others(count: int) -> str:
    """The account holder's message after signing out every other session."""
    if not count:
        return gettext("There were no other sessions to sign out.")
    return ngettext("Signed out %(num)d other session.", "Signed out %(num)d other sessions.", count)


def staff_signed_out_one(row: UserSession) -> str:
    """A staff member's message after signing out one of an account's sessions."""
    return gettext("Signed out %(session)s. The reason is on the account's record.", session=session_phrase(row))


def staff_signed_out_all(count: int, email: str) -> str:
    """A staff member's message after signing out all of an account's sessions."""
    return ngettext("Signed out %(num)d session of %(email)s.", "Signed out %(num)d sessions of %(email)s.",
                    count, email=email)


@dataclass(frozen=True, slots=True)
class StaffSessionRow:
    id: uuid.UUID
    device_type: str
    summary: str
    is_app: bool
    device_model: str | None
    place: str
    # The network of its address ("203.0.113.0/24"), or the address itself once revealed with a reason.
    ip_address: str | None
    ip_revealed: bool
    signed_in: datetime
    last_active: datetime
    user_agent: str | None

    @classmethod
    def of(cls, row: SessionRow, *, revealed: bool = False) -> "StaffSessionRow":
        return cls(
            id=row.id,
            device_type=row.device_type,
            summary=session_title(row),
            is_app=is_app_session(row),
            device_model=row.device,
            place=session_place(row),
            ip_address=row.ip_address if revealed else masked_network(row.ip_address),
            ip_revealed=revealed and row.ip_address is not None,
            signed_in=row.created_at,
            last_active=row.last_activity_at,
            user_agent=row.user_agent,
        )


@dataclass(frozen=True, slots=True)
class EndedSessionRow:
    session: StaffSessionRow
    ended: datetime | None
    why: str
    ended_by: str
    staff_reason: str | None

    @classmethod
    def of(cls, ended: EndedSession, staff_event: SecurityEvent | None, *, revealed: bool = False) -> "EndedSessionRow":
        row = ended.row
        if row.revoked_by is not None and row.revoked_by == row.user_id:
            by = gettext("the account holder")
        else:
            # No one recorded: Doorman itself (the session limit), or an account since deleted.
            by = ended.ended_by_email or "Doorman"
        return cls(
            session=StaffSessionRow.of(row, revealed=revealed),
            ended=row.revoked_at,
            why=end_reason_label(row.revoked_reason),
            ended_by=by,
            staff_reason=staff_event.reason if staff_event is not None else None,
        )
