"""``Ending``: who ends sessions and why, one value checked before anything is written."""

import pytest

from app.models import ActorKind, EndReason
from app.services.errors import ReasonRequired
from app.services.sessions import Ending


def test_each_kind_of_ending_says_who_acted_and_as_whom():
    user = Ending.by_user(7, EndReason.REVOKED_BY_USER, context={"ip_address": "203.0.113.9"})
    assert (user.actor_kind, user.actor_id, user.staff_reason) == (ActorKind.USER, 7, None)
    staff = Ending.by_staff(9, EndReason.REVOKED_BY_SUPPORT, staff_reason="  ticket 4411 ")
    assert (staff.actor_kind, staff.actor_id, staff.staff_reason) == (ActorKind.STAFF, 9, "ticket 4411")
    system = Ending.by_system(EndReason.ACCOUNT_DISABLED)
    assert (system.actor_kind, system.actor_id, system.staff_reason, system.context) == (
        ActorKind.SYSTEM, None, None, None)


@pytest.mark.parametrize("staff_reason", [None, "", "  ", "ab", "x" * 501])
def test_a_staff_ending_without_a_usable_reason_cannot_be_built(staff_reason):
    with pytest.raises(ReasonRequired):
        Ending.by_staff(9, EndReason.REVOKED_BY_SUPPORT, staff_reason=staff_reason)


@pytest.mark.parametrize("build", [
    lambda: Ending("no_such_reason", ActorKind.USER, 7),
    lambda: Ending(EndReason.SIGNED_OUT, "robot", 7),
    lambda: Ending(EndReason.SIGNED_OUT, ActorKind.USER, None),
    lambda: Ending(EndReason.SIGNED_OUT, ActorKind.SYSTEM, 7),
    lambda: Ending(EndReason.SIGNED_OUT, ActorKind.USER, 7, staff_reason="not staff"),
], ids=["unknown reason", "unknown actor", "user without id", "system with id", "staff reason from a user"])
def test_an_ending_that_contradicts_itself_cannot_be_built(build):
    with pytest.raises(ValueError):
        build()


def test_a_reason_given_as_plain_text_becomes_its_member():
    assert Ending.by_user(7, "signed_out").reason is EndReason.SIGNED_OUT
