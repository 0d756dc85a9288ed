"""The session store: the only code that writes to ``user_sessions``.

A browser holds a random token; the table holds its SHA-256. Methods flush;
the caller commits, so a change and whatever is recorded with it land in one
transaction. Every start and end of a session is recorded as a security
event through the injected ``AuditService``, in that same transaction.

``app_tokens`` opens, refreshes and resolves the sessions apps hold;
``tokens`` makes and hashes tokens; ``policy`` holds the lifetimes and the
limit; ``lookup`` is the hot path; ``lifecycle`` starts and ends sessions,
``ending`` says who ends them and why, and ``events`` records it; ``cleanup``
deletes dead rows; ``reads`` is what pages list; ``service`` joins the parts
into ``SessionService``.
"""

from app.services.sessions.app_tokens import AppTokens, RefreshRefused
from app.services.sessions.ending import Ending
from app.services.sessions.lifecycle import NewSession
from app.services.sessions.policy import SessionPolicy
from app.services.sessions.reads import ActiveSession, EndedSession
from app.services.sessions.service import SessionService
from app.services.sessions.signed_in import SignedInUser
from app.services.sessions.tokens import hash_token, is_well_formed_token, new_token

__all__ = [
    "ActiveSession", "AppTokens", "EndedSession", "Ending", "NewSession", "RefreshRefused", "SessionPolicy",
    "SessionService", "SignedInUser", "hash_token", "is_well_formed_token", "new_token",
]
