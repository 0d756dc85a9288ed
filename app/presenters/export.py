"""An account's sessions and recent activity as data a person can take away (GDPR Art. 15 and 20).

Each record is built field by field from what the pages show, so nothing
the pages keep back (a token's hash, where a staff member acted from, a
staff member's email) can reach a download. Times are ISO 8601 instants in
UTC; words are in the reader's language, as on the pages.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.models import SecurityEvent, UserSession
from app.presenters.activity import describe
from app.presenters.end_reasons import end_reason_label
from app.presenters.sessions import app_name, is_app_session, session_place, session_title

# The columns of the CSV file: one row per session, then one per event.
CSV_COLUMNS = (
    "record", "id", "at", "description", "device", "place", "ip_address", "user_agent",
    "last_active_at", "ended_at", "end_reason", "by_support",
)
# A spreadsheet runs a cell that starts with one of these as a formula; a
# User-Agent or a device's name is whatever someone typed (OWASP: CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _instant(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


@dataclass(frozen=True, slots=True)
class AccountExport:
    """What a download holds: who, when, their sessions and their activity."""

    email: str
    account_created_at: datetime
    organisation: str | None
    exported_at: datetime
    activity_days: int
    sessions: list[dict[str, Any]]
    activity: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "account": {
                "email": self.email,
                "created_at": _instant(self.account_created_at),
                "organisation": self.organisation,
            },
            "exported_at": _instant(self.exported_at),
            "activity_days": self.activity_days,
            "sessions": self.sessions,
            "activity": self.activity,
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        for record_type, records in (("session", self.sessions), ("event", self.activity)):
            for record in records:
                writer.writerow(_csv_row(record_type, record))
        return out.getvalue()


def _csv_row(record_type: str, record: dict[str, Any]) -> dict[str, str]:
    if record_type == "session":
        values = {
            "record": "session", "id": record["id"], "at": record["signed_in_at"],
            "description": record["status"], "device": record["device"], "place": record["place"],
            "ip_address": record["ip_address"], "user_agent": record["user_agent"],
            "last_active_at": record["last_active_at"], "ended_at": record["ended_at"],
            "end_reason": record["end_reason"],
        }
    else:
        values = {
            "record": "event", "id": record["id"], "at": record["at"], "description": record["description"],
            "device": record["device"], "ip_address": record["ip_address"],
            "by_support": "yes" if record["by_support"] else "no",
        }
    return {name: _cell(value) for name, value in values.items()}


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def session_record(row: UserSession, now: datetime) -> dict[str, Any]:
    """One session as a download keeps it."""
    open_now = row.is_active and row.expires_at > now
    return {
        "id": str(row.id),
        "status": "active" if open_now else "ended",
        "kind": row.kind,
        "app": app_name(row) if is_app_session(row) else None,
        "device": session_title(row),
        "device_type": row.device_type,
        "browser": row.browser,
        "os": row.os,
        "device_model": row.device,
        "place": session_place(row),
        "country": row.country,
        "city": row.city,
        "ip_address": row.ip_address,
        "user_agent": row.user_agent,
        "signed_in_at": _instant(row.created_at),
        "last_active_at": _instant(row.last_activity_at),
        "expires_at": _instant(row.expires_at),
        "ended_at": _instant(row.revoked_at) if not row.is_active else (None if open_now else _instant(row.expires_at)),
        "end_reason": end_reason_label(row.revoked_reason) if not row.is_active else None,
    }


def event_record(event: SecurityEvent) -> dict[str, Any]:
    """One event as the account holder's activity page tells it."""
    entry = describe(event)
    return {
        "id": event.id,
        "at": _instant(event.created_at),
        "type": event.event_type,
        "description": entry.sentence,
        "device": entry.note,
        "ip_address": entry.ip_address,
        "by_support": entry.by_support,
        "staff_reason": event.reason if entry.by_support else None,
    }


def account_export(
    *, email: str, created_at: datetime, organisation: str | None, now: datetime, days: int,
    sessions: Iterable[UserSession], events: Sequence[SecurityEvent],
) -> AccountExport:
    return AccountExport(
        email=email, account_created_at=created_at, organisation=organisation, exported_at=now, activity_days=days,
        sessions=[session_record(row, now) for row in sessions],
        activity=[event_record(event) for event in events],
    )
