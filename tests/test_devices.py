"""The devices page: what it lists, and signing sessions out from it."""

import re
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import UserSession
from tests.conftest import PASSWORD
from tests.helpers import (  # places in the bundled GeoLite2 file
    CHROME_MAC,
    MADRID,
    SAFARI_IPHONE,
    VALENCIA,
    app_signed_in,
)

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


def browser_signed_in(app: Flask, email: str, user_agent: str, ip: str) -> FlaskClient:
    browser = app.test_client()
    response = browser.post(
        "/sign-in", data={"email": email, "password": PASSWORD},
        headers={"User-Agent": user_agent}, environ_base={"REMOTE_ADDR": ip},
    )
    assert response.status_code == 302
    return browser


def session_ids(page: str) -> list[str]:
    return re.findall(r'action="/devices/([0-9a-f-]{36})/sign-out"', page)


def row(app: Flask, session_id: str) -> UserSession:
    with app.app_context():
        return db.session.get(UserSession, uuid.UUID(session_id))


@pytest.fixture
def laptop_and_phone(app, make_user, clock):
    """The same account signed in on an iPhone in Valencia, then a Mac in Madrid."""
    user = make_user("traveller@example.com")
    phone = browser_signed_in(app, user.email, SAFARI_IPHONE, VALENCIA)
    clock.advance(minutes=5)
    laptop = browser_signed_in(app, user.email, CHROME_MAC, MADRID)
    return user, laptop, phone


def test_page_lists_sessions_with_device_place_and_times(laptop_and_phone, clock):
    _, laptop, _ = laptop_and_phone
    clock.advance(minutes=3)

    page = laptop.get("/devices").get_data(as_text=True)

    assert "Chrome 120 on macOS 10.15" in page
    assert "Safari 17 on iOS 17.1" in page and ">iPhone<" in page
    assert "Madrid, Spain" in page and "Valencia, Spain" in page
    assert "147.96.1.1" in page and "147.156.1.1" in page
    # Every time on the page reads the same way: a label, its exact time and zone as a title, ISO for machines;
    # in Madrid's zone, where this session signed in, as the person has chosen none.
    assert ('<time datetime="2026-11-03T09:05:00+00:00" title="3 Nov 2026, 10:05:00 Central European Standard Time">'
            '3 Nov 2026, 10:05 +0100</time>') in page
    assert ('<time datetime="2026-11-03T09:00:00+00:00" title="3 Nov 2026, 10:00:00 Central European Standard Time">'
            '8 minutes ago</time>') in page
    assert 'aria-label="Sign out Safari on iPhone in Valencia"' in page
    assert 'aria-label="Sign out this device"' in page


def test_a_sign_in_stores_the_places_zone_and_its_names_in_the_other_languages(app, laptop_and_phone):
    with app.app_context():
        rows = {r.city: r for r in db.session.scalars(select(UserSession))}
    madrid, valencia = rows["Madrid"], rows["Valencia"]
    # The columns stay English; the other names and the zone are kept beside them.
    assert (madrid.country, madrid.city, madrid.time_zone) == ("Spain", "Madrid", "Europe/Madrid")
    assert madrid.extra == {"places": {"es": {"country": "España", "city": "Madrid"}}}
    assert (valencia.time_zone, valencia.places) == ("Europe/Madrid", {"es": {"country": "España", "city": "Valencia"}})


def test_the_page_in_spanish_names_places_and_times_from_the_rows_with_no_geoip_lookup(
        app, laptop_and_phone, clock, services):
    _, laptop, _ = laptop_and_phone
    clock.advance(minutes=3)
    services.geo.close()  # any lookup now answers "unknown": what the page shows must come from the rows

    page = laptop.get("/devices", headers={"Accept-Language": "es"}).get_data(as_text=True)

    assert "Chrome 120 en macOS 10.15" in page and "Safari 17 en iOS 17.1" in page
    assert "Madrid, España" in page and "Valencia, España" in page
    assert "Spain" not in page and "Ubicación desconocida" not in page
    assert ('<time datetime="2026-11-03T09:05:00+00:00" title="3 nov 2026, 10:05:00 hora estándar de Europa central">'
            '3 nov 2026, 10:05 CET</time>') in page
    assert ('<time datetime="2026-11-03T09:00:00+00:00" title="3 nov 2026, 10:00:00 hora estándar de Europa central">'
            'hace 8 minutos</time>') in page
    assert "Safari en iPhone en Valencia" in page  # the other session's label, on its sign-out button


def test_a_saved_time_zone_wins_over_the_sign_in_places(app, laptop_and_phone, services):
    user, laptop, _ = laptop_and_phone
    with app.app_context():
        services.users.save_preferences(user.id, language=None, time_zone="America/New_York")
        db.session.commit()

    page = laptop.get("/devices").get_data(as_text=True)

    assert ('<time datetime="2026-11-03T09:05:00+00:00" title="3 Nov 2026, 04:05:00 Eastern Standard Time">'
            '3 Nov 2026, 04:05 EST</time>') in page


def test_a_session_from_a_place_without_a_zone_reads_in_utc(app, make_user):
    user = make_user()
    browser = browser_signed_in(app, user.email, CHROME_MAC, "8.8.8.8")  # GeoLite2 knows the country only

    page = browser.get("/devices").get_data(as_text=True)

    assert "United States" in page
    assert '3 Nov 2026, 09:00 UTC</time>' in page


def test_this_device_comes_first_and_is_marked(app, laptop_and_phone, make_session, clock):
    user, laptop, phone = laptop_and_phone
    clock.advance(minutes=2)
    phone.get("/devices")  # within the touch interval of its sign-in: still older than the laptop's
    clock.advance(minutes=2)
    make_session(user, user_agent=FIREFOX_LINUX, browser="Firefox 121", ip_address="10.1.2.3")

    page = phone.get("/devices").get_data(as_text=True)

    ids = session_ids(page)
    assert len(ids) == 3
    assert row(app, ids[0]).browser == "Safari 17"  # this device
    assert [row(app, i).browser for i in ids[1:]] == ["Firefox 121", "Chrome 120"]  # most recent first
    assert page.count("This device") == 1
    assert page.index("This device") < page.index("Firefox 121")
    assert "Local network" in page


def test_user_agent_and_place_are_escaped(app, signed_in, make_session, client):
    make_session(signed_in, user_agent="<script>alert(1)</script>", browser="<script>alert(1)</script>",
                 device='"><img src=x onerror=alert(1)>', city="<b>Town</b>", country="Land")
    page = client.get("/devices").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<b>Town</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '"><img' not in page and "&lt;b&gt;Town&lt;/b&gt;" in page


def test_signing_out_another_device_ends_it_and_says_which(app, laptop_and_phone):
    _, laptop, phone = laptop_and_phone
    phone_id = session_ids(phone.get("/devices").get_data(as_text=True))[0]

    response = laptop.post(f"/devices/{phone_id}/sign-out", follow_redirects=True)

    assert "Signed out Safari on iPhone in Valencia." in response.get_data(as_text=True)
    ended = row(app, phone_id)
    assert (ended.is_active, ended.revoked_reason) == (False, "revoked_by_user")
    next_visit = phone.get("/devices", follow_redirects=True)
    assert next_visit.request.path == "/sign-in"
    assert "This session was signed out from another device." in next_visit.get_data(as_text=True)
    assert laptop.get("/devices").status_code == 200


def test_an_unknown_session_id_is_a_clear_404(laptop_and_phone):
    _, laptop, _ = laptop_and_phone
    response = laptop.post("/devices/00000000-0000-0000-0000-000000000000/sign-out")
    assert response.status_code == 404
    assert "That session does not exist or is already signed out." in response.get_data(as_text=True)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g"])
def test_a_malformed_session_id_is_a_404_and_changes_nothing(app, laptop_and_phone, bad_id):
    user, laptop, phone = laptop_and_phone
    response = laptop.post(f"/devices/{bad_id}/sign-out")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.query(UserSession).filter_by(user_id=user.id, is_active=True).count() == 2
    assert laptop.get("/devices").status_code == 200
    assert phone.get("/devices").status_code == 200


def test_another_users_session_id_is_a_404_and_changes_nothing(
    app, laptop_and_phone, make_user, make_session, services
):
    _, laptop, _ = laptop_and_phone
    stranger_row, stranger_token = make_session(make_user())

    response = laptop.post(f"/devices/{stranger_row.id}/sign-out")

    assert response.status_code == 404
    assert "That session does not exist or is already signed out." in response.get_data(as_text=True)
    assert row(app, str(stranger_row.id)).is_active
    with app.app_context():
        assert services.sessions.resolve(stranger_token) is not None


def test_signing_out_this_device_from_the_list_is_an_ordinary_sign_out(app, laptop_and_phone):
    _, laptop, phone = laptop_and_phone
    page = laptop.get("/devices").get_data(as_text=True)
    own_id = session_ids(page)[0]

    response = laptop.post(f"/devices/{own_id}/sign-out")

    assert response.headers["Location"] == "/sign-in"
    assert row(app, own_id).revoked_reason == "signed_out"
    assert laptop.get_cookie("__Host-doorman") is None
    assert phone.get("/devices").status_code == 200


@pytest.mark.config(REAUTHENTICATION_WINDOW=600)
def test_signing_out_this_device_from_the_list_needs_no_password_after_the_window(app, laptop_and_phone, clock):
    _, laptop, phone = laptop_and_phone
    own_id = session_ids(laptop.get("/devices").get_data(as_text=True))[0]
    clock.advance(minutes=11)

    response = laptop.post(f"/devices/{own_id}/sign-out")

    assert response.headers["Location"] == "/sign-in"
    assert row(app, own_id).revoked_reason == "signed_out"
    assert phone.get("/devices").status_code == 200


@pytest.mark.config(REAUTHENTICATION_WINDOW=600)
def test_signing_out_one_session_asks_for_the_password_once_the_window_has_passed(app, laptop_and_phone, clock):
    _, laptop, phone = laptop_and_phone
    phone_id = session_ids(phone.get("/devices").get_data(as_text=True))[0]
    clock.advance(minutes=11)

    response = laptop.post(f"/devices/{phone_id}/sign-out")

    assert response.headers["Location"] == "/confirm-password?next=/devices"
    assert row(app, phone_id).is_active
    laptop.post("/confirm-password", data={"password": PASSWORD, "next": "/devices"})
    assert laptop.post(f"/devices/{phone_id}/sign-out").headers["Location"] == "/devices"
    assert not row(app, phone_id).is_active


def test_sign_out_all_others_with_the_password(app, laptop_and_phone, make_session, clock):
    user, laptop, phone = laptop_and_phone
    make_session(user, user_agent=FIREFOX_LINUX)
    clock.advance(minutes=30)  # long past the re-authentication window: the password is asked for anyway

    response = laptop.post("/devices/sign-out-others", data={"password": PASSWORD}, follow_redirects=True)

    assert "Signed out 2 other sessions." in response.get_data(as_text=True)
    assert phone.get("/devices").status_code == 302
    assert len(session_ids(laptop.get("/devices").get_data(as_text=True))) == 1


@pytest.mark.parametrize("password", ["wrong password", ""])
def test_sign_out_all_others_with_a_wrong_password_changes_nothing(app, laptop_and_phone, password):
    user, laptop, phone = laptop_and_phone

    response = laptop.post("/devices/sign-out-others", data={"password": password}, follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "no sessions were signed out" in page or "Enter your password" in page
    assert phone.get("/devices").status_code == 200
    with app.app_context():
        assert db.session.query(UserSession).filter_by(user_id=user.id, is_active=True).count() == 2


def test_sign_out_all_others_when_alone_says_so(client, signed_in):
    response = client.post("/devices/sign-out-others", data={"password": PASSWORD}, follow_redirects=True)
    assert "There were no other sessions to sign out." in response.get_data(as_text=True)
    assert client.get("/devices").status_code == 200


def test_the_others_form_appears_only_with_other_sessions(client, signed_in, make_session):
    assert "Sign out all other sessions" not in client.get("/devices").get_data(as_text=True)
    make_session(signed_in)
    assert "Sign out all other sessions" in client.get("/devices").get_data(as_text=True)


def test_a_spoofed_forwarded_for_is_ignored_by_default(app, make_user):
    user = make_user()
    browser = app.test_client()
    browser.post("/sign-in", data={"email": user.email, "password": PASSWORD},
                 headers={"X-Forwarded-For": MADRID}, environ_base={"REMOTE_ADDR": "198.51.100.20"})
    with app.app_context():
        stored = db.session.scalar(db.select(UserSession).where(UserSession.user_id == user.id))
    assert (stored.ip_address, stored.city) == ("198.51.100.20", None)


@pytest.mark.config(TRUSTED_PROXIES=1)
@pytest.mark.env(TRUSTED_PROXY_ADDRESSES="10.0.0.0/8")
def test_forwarded_for_is_honoured_behind_one_trusted_proxy(app, make_user):
    user = make_user()
    browser = app.test_client()
    browser.post("/sign-in", data={"email": user.email, "password": PASSWORD},
                 headers={"X-Forwarded-For": f"203.0.113.1, {MADRID}"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    with app.app_context():
        stored = db.session.scalar(db.select(UserSession).where(UserSession.user_id == user.id))
    # With one trusted proxy only the address it added counts, not the client's own claim.
    assert (stored.ip_address, stored.city) == (MADRID, "Madrid")


def test_devices_page_is_two_statements_or_fewer(app, client, signed_in, make_session):
    from bench.statements import recorded_statements

    for _ in range(3):
        make_session(signed_in)
    client.get("/devices")
    with recorded_statements(app) as statements:
        assert client.get("/devices").status_code == 200
    assert len(statements) <= 2, statements


def test_a_corrupt_geoip_file_still_lets_people_sign_in(app, database_url, make_user, tmp_path, clock):
    """A second app on the same database, reading a broken GeoIP file (``app`` empties the tables after)."""
    from tests.conftest import create_test_app

    broken = tmp_path / "City.mmdb"
    broken.write_bytes(b"\x00not a maxmind database\xff" * 100)
    user = make_user("geo@example.com")
    broken_geo_app = create_test_app(database_url, GEOIP_DATABASE=str(broken), clock=clock)

    browser = browser_signed_in(broken_geo_app, user.email, CHROME_MAC, MADRID)

    page = browser.get("/devices").get_data(as_text=True)
    assert "Unknown location" in page and "Chrome 120 on macOS 10.15" in page
    with broken_geo_app.app_context():
        db.engine.dispose()


def test_sign_out_all_others_gives_this_session_a_new_token(app, laptop_and_phone, services):
    _, laptop, _ = laptop_and_phone
    old_token = laptop.get_cookie("__Host-doorman").value

    laptop.post("/devices/sign-out-others", data={"password": PASSWORD})

    new_token = laptop.get_cookie("__Host-doorman").value
    assert new_token != old_token
    with app.app_context():
        sessions = services.sessions
        assert sessions.resolve(old_token) is None and sessions.resolve(new_token) is not None
    assert laptop.get("/devices").status_code == 200


@pytest.mark.config(PASSWORD_ATTEMPTS_PER_ACCOUNT="2 per 15 minutes")
def test_guessing_the_password_on_the_devices_page_is_rate_limited(app, laptop_and_phone):
    user, laptop, phone = laptop_and_phone
    for _ in range(2):
        assert laptop.post("/devices/sign-out-others", data={"password": "guess"}).status_code == 200

    refused = laptop.post("/devices/sign-out-others", data={"password": PASSWORD})

    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
    assert phone.get("/devices").status_code == 200  # the right password was not even checked


def test_a_session_ended_while_its_own_request_runs_is_sent_to_sign_in(app, client, auth, make_user):
    from app.services.errors import SessionNotFound

    @app.get("/_raises_session_not_found")
    def ended_meanwhile():
        raise SessionNotFound("gone")

    auth.sign_in(make_user().email)

    response = client.get("/_raises_session_not_found", follow_redirects=True)

    assert response.request.path == "/sign-in"
    assert "This session was signed out from another device." in response.get_data(as_text=True)
    assert client.get_cookie("__Host-doorman") is None


# -- app sessions ------------------------------------------------------------------------


def test_an_app_session_is_listed_by_its_name_and_os_with_the_app_mark(app, laptop_and_phone):
    user, laptop, _ = laptop_and_phone
    tokens = app_signed_in(app, user.email, client_name="Doorman for iOS", ip_address=VALENCIA)

    page = laptop.get("/devices").get_data(as_text=True)

    [item] = [li for li in page.split("<li ")[1:] if tokens["session_id"] in li]
    assert "Doorman for iOS · iOS 17.1" in item
    assert '<span class="badge badge--app">App<span class="visually-hidden">: signed in through an app</span>' in item
    assert 'rect x="7" y="2.5" width="10" height="19"' in item  # the phone's icon
    assert 'aria-label="Sign out Doorman for iOS on iPhone in Valencia"' in item
    # Browser sessions carry no app mark.
    assert page.count("badge--app") == 1


def test_a_hostile_app_name_is_escaped_and_ending_it_refuses_its_token_at_once(app, laptop_and_phone):
    user, laptop, _ = laptop_and_phone
    tokens = app_signed_in(app, user.email, client_name="<script>alert(1)</script>")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert api.get("/api/v1/sessions", headers=headers).status_code == 200

    page = laptop.get("/devices").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; · iOS 17.1" in page
    assert tokens["session_id"] in session_ids(page)

    ended = laptop.post(f"/devices/{tokens['session_id']}/sign-out", follow_redirects=True)

    assert "Signed out &lt;script&gt;alert(1)&lt;/script&gt; on iPhone." in ended.get_data(as_text=True)
    refused = api.get("/api/v1/sessions", headers=headers)
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert not row(app, tokens["session_id"]).is_active
