"""Session rows as the support console shows them: the devices page's fields plus the raw User-Agent.

Only the fields below ever reach a template, so no token hash can.
"""

import uuid
from dataclasses import dataclass

from app.models import SecurityEvent, UserSession
from app.services.activity import Moment, end_reason_label, where_phrase
from app.services.audit import Snapshot
from app.services.enrichment import device_summary, place_label
from app.services.sessions import ActiveSession, EndedSession


@dataclass(frozen=True, slots=True)
class StaffSessionRow:
    id: uuid.UUID
    device_type: str
    summary: str
    device_model: str | None
    place: str
    ip_address: str | None
    signed_in: Moment
    last_active: Moment
    user_agent: str | None

    @classmethod
    def of(cls, row: ActiveSession | UserSession) -> "StaffSessionRow":
        return cls(
            id=row.id,
            device_type=row.device_type,
            summary=device_summary(row.browser, row.os, None),
            device_model=row.device,
            place=place_label(row.country, row.city, row.ip_address),
            ip_address=row.ip_address,
            signed_in=Moment(row.created_at),
            last_active=Moment(row.last_activity_at),
            user_agent=row.user_agent,
        )


@dataclass(frozen=True, slots=True)
class EndedSessionRow:
    session: StaffSessionRow
    ended: Moment | None
    why: str
    ended_by: str
    staff_reason: str | None

    @classmethod
    def of(cls, ended: EndedSession, staff_event: SecurityEvent | None) -> "EndedSessionRow":
        row = ended.row
        if row.revoked_by is not None and row.revoked_by == row.user_id:
            by = "the account holder"
        else:
            # No one recorded: Doorman itself (the session limit), or an account since deleted.
            by = ended.ended_by_email or "Doorman"
        return cls(
            session=StaffSessionRow.of(row),
            ended=Moment(row.revoked_at) if row.revoked_at else None,
            why=end_reason_label(row.revoked_reason),
            ended_by=by,
            staff_reason=staff_event.reason if staff_event is not None else None,
        )


def session_phrase(row: UserSession) -> str:
    """"Safari on iPhone in Valencia, Spain": which session, in the words of the activity page."""
    snapshot = Snapshot.of(row)
    return where_phrase(snapshot.device, snapshot.place)
