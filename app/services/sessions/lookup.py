"""The hot path: which session a cookie token opens, and recording that it was used.

Every request resolves its token with one indexed SELECT of the few columns
it needs, and writes only when the last recorded activity is older than the
touch interval.
"""

import ipaddress
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.database import DirectSelect
from app.models import EndReason, KnownDevice, User, UserSession
from app.services.enrichment import PLACES_KEY, GeoLocator, Place
from app.services.sessions.events import SessionEvents
from app.services.sessions.policy import SessionPolicy
from app.services.sessions.signed_in import SignedInUser
from app.services.sessions.tokens import hash_token, is_well_formed_token


def signed_in_lookup(token_hash_column: Any, *conditions: ColumnElement[bool]) -> Select:
    """The one-statement lookup of who a token belongs to: an open session of an active account.

    ``token_hash_column`` is the column the token's hash is looked up in (the
    cookie's or an app's access token); ``conditions`` add what that kind of
    token needs besides.
    """
    return (
        select(
            UserSession.id,
            UserSession.user_id,
            User.email,
            User.role,
            UserSession.created_at,
            UserSession.last_activity_at,
            UserSession.authenticated_at,
            User.language,
            User.time_zone,
            UserSession.time_zone,
            User.organisation_id,
            User.new_device_emails,
            func.coalesce(UserSession.last_ip_address, UserSession.ip_address),
        )
        .join(User, User.id == UserSession.user_id)
        .where(
            token_hash_column == bindparam("token_hash"),
            UserSession.is_active.is_(True),
            UserSession.expires_at > bindparam("now"),
            User.is_active.is_(True),
            # Opened with a password the account no longer has: nothing.
            UserSession.credentials_version == User.credentials_version,
            *conditions,
        )
    )


RESOLVE = signed_in_lookup(UserSession.session_token_hash)


def active_at(now: datetime) -> ColumnElement[bool]:
    """Rows of sessions that are open at ``now``: not ended, not expired."""
    return and_(UserSession.is_active.is_(True), UserSession.expires_at > now)


LAST_PLACES_KEY = "last_places"


def same_address(one: str, other: object) -> bool:
    """Whether two addresses are one, however each is written (the driver may hand back an address object)."""
    if other is None:
        return False
    try:
        return ipaddress.ip_address(one) == ipaddress.ip_address(str(other))
    except ValueError:
        return one == str(other)


def is_move(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Another country, or another city in the same one; an unknown place on either side is no move."""
    if not before.get("country_code") or not after.get("country_code"):
        return False
    if before["country_code"] != after["country_code"]:
        return True
    return bool(before.get("city") and after.get("city") and before["city"] != after["city"])


def is_country_change(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """A move to another country (both known); another city of the same country is not one."""
    return bool(before.get("country_code") and after.get("country_code")
                and before["country_code"] != after["country_code"])


class CountryChangeAlerts(Protocol):
    """Who is told when a session is now used from another country (app.mail.moves.SessionMovedMails)."""

    def country_changed(self, user: User, row: UserSession, *, ip_address: str, before: dict[str, Any],
                        after: dict[str, Any], at: datetime, device_name: str | None) -> Any: ...


class SessionLookup:
    """Resolving tokens and recording activity; part of ``SessionService``."""

    _db: Session
    _clock: Clock
    _geo: GeoLocator | None
    _events: SessionEvents
    _country_change_alerts: CountryChangeAlerts | None
    policy: SessionPolicy

    def alert_country_changes(self, alerts: CountryChangeAlerts | None) -> None:
        """Tell ``alerts`` of every recorded move to another country, in the move's transaction.

        Set after construction: the alert's "end this session" link is made
        by a service that itself ends sessions through this one.
        """
        self._country_change_alerts = alerts

    def resolve(self, token: str) -> SignedInUser | None:
        """The active, unexpired session for a cookie token, in one SELECT.

        The SELECT goes straight to the driver on a pooled connection of its
        own (``DirectSelect``), never through the request's ORM session: on
        PostgreSQL one round trip in autocommit, and nothing built per
        request beyond the row itself.
        """
        if not is_well_formed_token(token):
            return None
        row = self._resolve_statement.first(token_hash=hash_token(token), now=self._clock.now())
        return None if row is None else SignedInUser(*row)

    @cached_property
    def _resolve_statement(self) -> DirectSelect:
        # Built once, on first use: asking the scoped ORM session for its
        # engine on every request would build a Session the request may never use.
        return DirectSelect(self._db.get_bind(UserSession), RESOLVE)

    def touch_if_due(self, signed_in: SignedInUser, ip_address: str | None = None) -> bool:
        """Record activity and slide the idle expiry, at most once per touch interval.

        ``ip_address`` is where this request came from: when it is not the
        last one recorded, the same UPDATE records it and its place, and a
        new city or country is recorded as a move (an event, and the
        session flagged). Between touches a new address writes nothing.
        """
        now = self._clock.now()
        if now - signed_in.last_activity_at < self.policy.touch_interval:
            return False
        values: dict[str, Any] = {
            "last_activity_at": now,
            "expires_at": self.policy.expiry(created_at=signed_in.created_at, active_at=now),
        }
        if ip_address and not same_address(ip_address, signed_in.last_ip_address):
            values.update(self._arrived_from(signed_in, ip_address, now))
        self._db.execute(update(UserSession).where(UserSession.id == signed_in.session_id).values(**values))
        return True

    def _arrived_from(self, signed_in: SignedInUser, ip_address: str, now: datetime) -> dict[str, Any]:
        """The columns that record a new address and its place, and the move when its place is new."""
        place = self._geo.locate(ip_address) if self._geo is not None else Place(None, None, None)
        row = self._db.execute(
            select(UserSession.last_ip_address, UserSession.country_code, UserSession.country,
                   UserSession.city, UserSession.last_country_code, UserSession.last_country,
                   UserSession.last_city, UserSession.extra)
            .where(UserSession.id == signed_in.session_id)
        ).one()
        extra = dict(row.extra or {})
        if row.last_ip_address is None:
            before = {"country_code": row.country_code, "country": row.country, "city": row.city,
                      PLACES_KEY: extra.get(PLACES_KEY)}
        else:
            before = {"country_code": row.last_country_code, "country": row.last_country,
                      "city": row.last_city, PLACES_KEY: extra.get(LAST_PLACES_KEY)}
        after = {"country_code": place.country_code, "country": place.country, "city": place.city,
                 PLACES_KEY: place.names or None}
        extra[LAST_PLACES_KEY] = place.names or None
        values: dict[str, Any] = {
            "last_ip_address": ip_address, "last_country_code": place.country_code,
            "last_country": place.country, "last_city": place.city, "extra": extra,
        }
        if is_move(before, after):
            values["moved_at"] = now
            self._events.moved(signed_in.id, signed_in.session_id, ip_address, before, after)
            if self._country_change_alerts is not None and is_country_change(before, after):
                self._alert_country_change(signed_in, ip_address, before, after, now)
        return values

    def _alert_country_change(self, signed_in: SignedInUser, ip_address: str, before: dict[str, Any],
                              after: dict[str, Any], now: datetime) -> None:
        """The rare path: load the account and the session for the alert (its link names the session)."""
        assert self._country_change_alerts is not None
        user = self._db.get(User, signed_in.id)
        row = self._db.get(UserSession, signed_in.session_id)
        if user is None or row is None:
            return
        name = None
        if row.known_device_id is not None:
            name = self._db.scalar(select(KnownDevice.name).where(
                KnownDevice.id == row.known_device_id, KnownDevice.user_id == row.user_id))
        self._country_change_alerts.country_changed(user, row, ip_address=ip_address, before=before, after=after,
                                                    at=now, device_name=name)

    def recently_authenticated(self, signed_in: SignedInUser) -> bool:
        """Whether a password was entered on this session within the re-authentication window."""
        return self._clock.now() - signed_in.authenticated_at < self.policy.reauthentication_window

    def why_not_active(self, token: str) -> str:
        """Why a token resolves to nothing: an EndReason value, "expired" or "unknown".

        Only called on the failure path, so it costs the hot path nothing.
        A session opened with a password the account has since changed is
        reported as ended by that change, as if it had been ended with the others.
        """
        if not is_well_formed_token(token):
            return "unknown"
        row = self._db.execute(
            select(
                UserSession.is_active,
                UserSession.revoked_reason,
                (UserSession.credentials_version == User.credentials_version).label("current_credentials"),
            )
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.session_token_hash == hash_token(token))
        ).first()
        if row is None:
            return "unknown"
        if not row.is_active:
            return row.revoked_reason or "unknown"
        if not row.current_credentials:
            return EndReason.PASSWORD_CHANGED
        return "expired"
