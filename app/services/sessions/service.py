"""``SessionService``: the session store's one entry point, made of its parts."""

from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.audit import AuditService
from app.services.enrichment import GeoLocator
from app.services.sessions.app_tokens import SessionAppTokens
from app.services.sessions.cleanup import SessionCleanup
from app.services.sessions.events import SessionEvents
from app.services.sessions.lookup import SessionLookup
from app.services.sessions.policy import SessionPolicy
from app.services.sessions.reads import SessionReads


class SessionService(SessionLookup, SessionAppTokens, SessionCleanup, SessionReads):
    """Each part is a module of its own; they share the database session, the clock and the policy.

    ``SessionAppTokens`` brings ``SessionLifecycle`` with it. Parts joined by
    inheritance rather than delegation, so the hot path
    (``resolve``) is still one method call and one statement per request.
    """

    def __init__(self, db: Session, *, clock: Clock, policy: SessionPolicy, audit: AuditService,
                 geo: GeoLocator | None = None) -> None:
        self._db = db
        # Where a session's new address is, at the touch (None: places stay unknown).
        self._geo = geo
        self._clock = clock
        self._events = SessionEvents(audit)
        # Told of moves to another country (alert_country_changes); None: nobody is.
        self._country_change_alerts = None
        self.policy = policy
