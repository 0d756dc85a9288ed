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


CHROME_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")


def test_the_devices_page_shows_one_entry_per_device_and_signs_a_device_out(app, make_user, make_session):
    from tests.helpers import active_sessions, client_details, signed_in_client

    owner = make_user("grouped@example.com")
    stranger = make_user("other@example.com")
    laptop = [make_session(owner, **client_details(app, CHROME_MAC, "10.0.0.2"))[0] for _ in range(3)]
    theirs, _ = make_session(stranger, **client_details(app, CHROME_MAC, "10.0.0.2"))
    browser = signed_in_client(app, owner.email, user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:121.0) "
                               "Gecko/20100101 Firefox/121.0", ip_address="10.0.0.3")

    page = browser.get("/devices").get_data(as_text=True)
    assert "Chrome on macOS · Local network · 3 sessions" in page
    assert page.index("This device") < page.index("Chrome on macOS · Local network")  # this device first
    assert page.count("Sign out this device") >= 2  # the group's button, and this session's own

    response = browser.post(f"/devices/{laptop[1].id}/sign-out-device")

    assert response.status_code == 302 and response.headers["Location"] == "/devices"
    assert len(active_sessions(app, owner.id)) == 1  # this browser's only
    assert [s.id for s in active_sessions(app, stranger.id)] == [theirs.id]
    spanish = browser.get("/devices", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Chrome en macOS" not in spanish


def test_another_accounts_session_is_no_device_of_mine(app, make_user, make_session):
    from tests.helpers import active_sessions, signed_in_client

    owner, stranger = make_user("mine@example.com"), make_user("theirs@example.com")
    theirs, _ = make_session(stranger)
    browser = signed_in_client(app, owner.email)

    assert browser.post(f"/devices/{theirs.id}/sign-out-device").status_code == 404
    assert [s.id for s in active_sessions(app, stranger.id)] == [theirs.id]


def test_signing_out_this_device_signs_this_browser_out_and_its_other_sessions(app, make_user, make_session):
    from sqlalchemy import update

    from app.extensions import db
    from app.models import UserSession
    from tests.helpers import active_sessions, client_details, signed_in_client

    owner = make_user("here@example.com")
    other, _ = make_session(owner, **client_details(app, CHROME_MAC, "10.0.0.2"))
    browser = signed_in_client(app, owner.email, user_agent=CHROME_MAC, ip_address="10.0.0.2")
    with app.app_context():  # the other session was opened by this browser too (its device cookie)
        device_id = db.session.scalar(db.select(UserSession.known_device_id).where(UserSession.id != other.id))
        db.session.execute(update(UserSession).where(UserSession.id == other.id).values(known_device_id=device_id))
        db.session.commit()
    [first, *_] = active_sessions(app, owner.id)

    response = browser.post(f"/devices/{first.id}/sign-out-device")

    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert active_sessions(app, owner.id) == []
