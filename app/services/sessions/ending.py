"""Who ends sessions, as whom, why, and from where: one value, checked when it is built."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.models import ActorKind, EndReason
from app.services.audit import clean_staff_reason


@dataclass(frozen=True, slots=True)
class Ending:
    """Why sessions end and who ends them; build one with ``by_user``, ``by_staff`` or ``by_system``.

    ``actor_id`` is the account that acted (None for Doorman itself); it is
    what the ended rows record as ``revoked_by``. ``context`` is the acting
    request's ``sign_in_details``, if there was a request. A staff ending
    carries the reason the staff member gave, stripped; without a usable one
    building it raises ReasonRequired, so nothing has changed yet.
    """

    reason: EndReason
    actor_kind: ActorKind
    actor_id: int | None
    staff_reason: str | None = None
    context: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        # Checked here as well as in the constructors below, so no Ending can
        # exist that says one thing in the session row and another in its event.
        object.__setattr__(self, "reason", EndReason(self.reason))
        object.__setattr__(self, "actor_kind", ActorKind(self.actor_kind))
        if (self.actor_id is None) != (self.actor_kind == ActorKind.SYSTEM):
            raise ValueError(f"a {self.actor_kind} ending needs an actor id exactly when it is not the system")
        if self.actor_kind == ActorKind.STAFF:
            object.__setattr__(self, "staff_reason", clean_staff_reason(self.staff_reason))
        elif self.staff_reason is not None:
            raise ValueError("only a staff ending carries a staff reason")

    @classmethod
    def by_user(cls, user_id: int, reason: EndReason, *, context: Mapping[str, Any] | None = None) -> "Ending":
        """The account holder ends their own sessions."""
        return cls(reason, ActorKind.USER, user_id, context=context)

    @classmethod
    def by_staff(
        cls, staff_id: int, reason: EndReason, *, staff_reason: str | None,
        context: Mapping[str, Any] | None = None,
    ) -> "Ending":
        """A staff member ends someone's sessions; ReasonRequired unless ``staff_reason`` is usable."""
        return cls(reason, ActorKind.STAFF, staff_id, staff_reason=staff_reason, context=context)

    @classmethod
    def by_system(cls, reason: EndReason) -> "Ending":
        """Doorman ends sessions on its own: a limit, a disabled account, an operator's command."""
        return cls(reason, ActorKind.SYSTEM, None)
