"""The models' named values: written once in an enum, stored and read back as plain text."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import ActorKind, DeviceType, EndReason, EventType, Role
from app.models.base import one_of


def test_a_check_constraint_lists_every_value_of_its_enum_in_order():
    assert one_of("role", Role) == "role IN ('user', 'support', 'admin')"


def test_a_value_that_cannot_be_an_sql_literal_is_refused():
    with pytest.raises(ValueError):
        one_of("role", ["it's"])


@pytest.mark.parametrize("enum", [ActorKind, DeviceType, EndReason, EventType, Role])
def test_every_member_is_the_plain_string_it_stands_for(enum):
    for member in enum:
        assert member == member.value and f"{member}" == member.value and isinstance(member, str)


def test_members_go_in_and_come_out_as_plain_text(app, app_context, make_user, make_session):
    user = make_user(role=Role.SUPPORT)
    row, _ = make_session(user, device_type=DeviceType.TABLET)
    stored = db.session.execute(
        text("SELECT u.role, s.device_type FROM users u JOIN user_sessions s ON s.user_id = u.id WHERE s.id = :id"),
        {"id": str(row.id) if db.engine.dialect.name == "postgresql" else row.id.hex},
    ).one()
    assert tuple(stored) == ("support", "tablet")
    assert stored.role == Role.SUPPORT and stored.device_type in set(DeviceType)


def test_the_database_refuses_a_value_no_enum_member_has(app, app_context, make_user):
    user = make_user()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE users SET role = 'owner' WHERE id = :id"), {"id": user.id})
        db.session.flush()
    db.session.rollback()
