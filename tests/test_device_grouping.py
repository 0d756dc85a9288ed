"""Grouping sessions into devices: the same browser, system and place is one device; this device first."""

import uuid
from datetime import UTC, datetime, timedelta

from app.services.sessions.grouping import device_key, group_by_device
from app.services.sessions.reads import ActiveSession

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def session(browser="Chrome 131", os="macOS 10.15", city="Madrid", country="Spain", *, device_type="desktop",
            minutes_ago=0, kind="browser") -> ActiveSession:
    return ActiveSession(
        id=uuid.uuid4(), device_type=device_type, browser=browser, os=os, device=None, country=country, city=city,
        ip_address="81.0.0.1", user_agent=None, created_at=NOW, last_activity_at=NOW - timedelta(minutes=minutes_ago),
        kind=kind, client_name=None, places=None,
    )


def test_two_versions_of_one_browser_on_one_system_in_one_place_are_one_device():
    assert device_key(session("Chrome 131", "macOS 10.15")) == device_key(session("Chrome 132", "macOS 14"))


def test_another_browser_system_place_or_kind_of_device_is_another_device():
    base = device_key(session())
    assert base != device_key(session(browser="Firefox 121"))
    assert base != device_key(session(os="Windows 10"))
    assert base != device_key(session(city="Valencia"))
    assert base != device_key(session(device_type="tablet"))
    assert base != device_key(session(kind="app"))


def test_a_known_device_id_decides_whatever_the_session_says():
    device = uuid.uuid4()
    assert device_key(session("Chrome 131"), device) == device_key(session("Firefox 121", city="Lagos"), device)
    assert device_key(session(), device) != device_key(session())


def test_this_device_comes_first_and_the_others_keep_their_order():
    phone = session("Safari 17", "iOS 17.1", device_type="mobile", minutes_ago=1)
    laptop_a, laptop_b = session(minutes_ago=2), session(minutes_ago=3)
    firefox = session("Firefox 121", "Linux", minutes_ago=4)

    groups = group_by_device([phone, laptop_a, laptop_b, firefox], this_session_id=laptop_b.id)

    assert [[s.id for s in g.sessions] for g in groups] == [[laptop_a.id, laptop_b.id], [phone.id], [firefox.id]]
    assert [g.is_this_device for g in groups] == [True, False, False]


def test_ending_a_devices_sessions_ends_only_the_owners_active_ones_with_an_event_each(
        app, make_user, make_session, services):
    from app.extensions import db
    from app.models import EndReason, EventType
    from app.services.sessions import Ending
    from tests.helpers import active_sessions, event_types

    owner, stranger = make_user("owner@example.com"), make_user("stranger@example.com")
    first, _ = make_session(owner)
    second, _ = make_session(owner)
    kept, _ = make_session(owner)
    theirs, _ = make_session(stranger)

    with app.app_context():
        ended = services.sessions.end_several(
            [first.id, second.id, theirs.id, uuid.uuid4()], owner_id=owner.id,
            ending=Ending.by_user(owner.id, EndReason.REVOKED_BY_USER),
        )
        db.session.commit()
        assert {row.id for row in ended} == {first.id, second.id}

    assert [s.id for s in active_sessions(app, owner.id)] == [kept.id]
    assert [s.id for s in active_sessions(app, stranger.id)] == [theirs.id]
    assert event_types(app, owner.id).count(EventType.SESSION_REVOKED) == 2
    assert EventType.SESSION_REVOKED not in event_types(app, stranger.id)
