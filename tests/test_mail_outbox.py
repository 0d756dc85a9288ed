"""A sign-in from a new device or country writes its alert to the outbox, in the sign-in's transaction."""

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.extensions import services as services_of
from app.models import KnownDevice, MailKind, MailStatus, UserSession
from tests.conftest import PASSWORD
from tests.mail_fixtures import LONDON_IP, MADRID_IP, browser, outbox_rows

pytestmark = pytest.mark.usefixtures("geo_app")


def sign_in(client, email):
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def test_a_first_sign_in_from_a_browser_is_new_and_sets_a_device_cookie(geo_app, make_user):
    user = make_user("new@example.com")
    client = browser(geo_app)

    response = sign_in(client, user.email)

    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-doorman-device="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "Path=/" in cookie and "Max-Age=15552000" in cookie
    [mail] = outbox_rows(geo_app)
    assert (mail.kind, mail.recipient, mail.status, mail.attempts) == (
        MailKind.NEW_DEVICE, "new@example.com", MailStatus.PENDING, 0)
    assert "Chrome 120 on macOS 10.15" in mail.text_body and "Madrid, Spain" in mail.text_body
    assert MADRID_IP in mail.text_body
    [link] = re.findall(r"http://127\.0\.0\.1:5000/sessions/end/[^\s\"]+", mail.text_body)
    assert f'href="{link}"' in mail.html_body
    page = browser(geo_app).get(link.removeprefix("http://127.0.0.1:5000"))  # the link shows this session
    assert page.status_code == 200 and "Chrome 120 on macOS 10.15" in page.get_data(as_text=True)
    assert mail.message_id.startswith("<") and mail.message_id.endswith("@localhost>")
    with geo_app.app_context():
        device = db.session.scalar(select(KnownDevice))
        assert device.device_hash != client.get_cookie("__Host-doorman-device").value  # only its hash is kept
        assert db.session.scalar(select(UserSession.known_device_id)) == device.id


def test_signing_in_again_with_the_device_cookie_sends_nothing_and_updates_last_seen(geo_app, make_user, clock):
    user = make_user()
    client = browser(geo_app)
    sign_in(client, user.email)
    client.post("/sign-out")
    clock.advance(days=3)

    sign_in(client, user.email)

    assert len(outbox_rows(geo_app)) == 1
    with geo_app.app_context():
        device = db.session.scalar(select(KnownDevice))
        assert device.last_seen_at == clock.now() and db.session.scalar(select(func.count(KnownDevice.id))) == 1


def test_another_browser_is_new(geo_app, make_user):
    user = make_user()
    sign_in(browser(geo_app), user.email)
    sign_in(browser(geo_app), user.email)
    assert len(outbox_rows(geo_app)) == 2


def test_a_known_device_from_a_new_country_is_new(geo_app, make_user):
    user = make_user()
    client = browser(geo_app)
    sign_in(client, user.email)
    client.environ_base["REMOTE_ADDR"] = LONDON_IP

    sign_in(client, user.email)

    first, second = outbox_rows(geo_app)
    assert "country it has not been used from before" in second.text_body and "London" in second.text_body


def test_a_device_cookie_of_someone_else_or_malformed_is_a_new_device(geo_app, make_user):
    user = make_user()
    client = browser(geo_app)
    client.set_cookie("__Host-doorman-device", "not a token")
    response = sign_in(client, user.email)
    assert client.get_cookie("__Host-doorman-device").value != "not a token"
    assert any(c.startswith("__Host-doorman-device=") for c in response.headers.getlist("Set-Cookie"))
    assert len(outbox_rows(geo_app)) == 1


def test_turned_off_no_new_device_mail(geo_app, make_user):
    user = make_user()
    with geo_app.app_context():
        services_of(geo_app).users.save_new_device_emails(user.id, False)
        db.session.commit()
    sign_in(browser(geo_app), user.email)
    assert outbox_rows(geo_app) == []


def test_the_settings_page_turns_new_device_mails_off_and_on(geo_app, make_user):
    user = make_user()
    client = browser(geo_app)
    sign_in(client, user.email)
    page = client.get("/account/settings").get_data(as_text=True)
    assert 'name="new_device_emails"' in page and "checked" in page

    client.post("/account/settings", data={"language": "en", "time_zone": "UTC"})
    with geo_app.app_context():
        assert services_of(geo_app).users.wants_new_device_emails(user.id) is False
    client.post("/account/settings", data={"language": "en", "time_zone": "UTC", "new_device_emails": "y"})
    with geo_app.app_context():
        assert services_of(geo_app).users.wants_new_device_emails(user.id) is True


def test_a_spanish_reader_gets_it_in_spanish_and_in_their_zone(geo_app, make_user):
    user = make_user()
    with geo_app.app_context():
        services_of(geo_app).users.save_preferences(user.id, language="es", time_zone="America/Mexico_City")
        db.session.commit()
    sign_in(browser(geo_app), user.email)
    [mail] = outbox_rows(geo_app)
    assert mail.subject == "Nuevo inicio de sesión en tu cuenta de Doorman"
    assert "Chrome 120 en macOS 10.15" in mail.text_body and "Madrid, España" in mail.text_body
    assert "3 nov 2026, 3:00" in mail.text_body or "3 nov 2026, 03:00" in mail.text_body  # 09:00 UTC in Mexico City
    assert "¿No fuiste tú? Cierra esta sesión" in mail.html_body and 'lang="es"' in mail.html_body


def test_a_rolled_back_sign_in_writes_no_mail(geo_app, make_user, monkeypatch):
    """The commit of the sign-in fails: no session, no known device, no mail."""
    user = make_user()

    def failing_commit():
        raise RuntimeError("the database went away at commit")

    import app.auth.routes as routes

    monkeypatch.setattr(routes.db.session, "commit", failing_commit)
    geo_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = browser(geo_app).post("/sign-in", data={"email": user.email, "password": PASSWORD})
    monkeypatch.undo()
    assert response.status_code >= 500
    with geo_app.app_context():
        db.session.rollback()
        assert db.session.scalar(select(func.count(UserSession.id))) == 0
        assert db.session.scalar(select(func.count(KnownDevice.id))) == 0
    assert outbox_rows(geo_app) == []


def test_an_app_sign_in_with_a_device_id_is_known_the_second_time(geo_app, make_user):
    user = make_user()
    client = browser(geo_app)
    body = {"email": user.email, "password": PASSWORD, "client_name": "Doorman for iOS", "device_id": "A1B2"}
    assert client.post("/api/v1/auth/token", json=body).status_code == 200
    assert client.post("/api/v1/auth/token", json=body).status_code == 200
    assert client.post("/api/v1/auth/token", json={**body, "device_id": "C3D4"}).status_code == 200
    assert len(outbox_rows(geo_app)) == 2


def test_cleanup_forgets_devices_not_seen_for_the_lifetime(geo_app, make_user, clock):
    user = make_user()
    sign_in(browser(geo_app), user.email)
    clock.advance(days=181)
    result = geo_app.test_cli_runner().invoke(args=["sessions", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "Forgot 1 known device" in result.output
    with geo_app.app_context():
        assert db.session.scalar(select(func.count(KnownDevice.id))) == 0


def test_signing_out_every_other_session_is_mailed_with_where_it_was_done(geo_app, make_user, make_session):
    user = make_user()
    make_session(user)
    client = browser(geo_app)
    sign_in(client, user.email)
    assert client.post("/devices/sign-out-others", data={"password": PASSWORD}).status_code == 302
    ended = [m for m in outbox_rows(geo_app) if m.kind == MailKind.OTHER_SESSIONS_SIGNED_OUT]
    assert len(ended) == 1 and ended[0].subject == "Your other Doorman sessions were signed out"
    assert "Madrid, Spain" in ended[0].text_body and "3 Nov 2026, 10:00" in ended[0].text_body


def test_support_ending_sessions_is_mailed_with_their_reason(geo_app, make_user, make_session):
    customer = make_user("customer@example.com")
    make_session(customer)
    staff = make_user("agent@example.com", role="support")
    desk = browser(geo_app)
    sign_in(desk, staff.email)
    reason = "The customer called: their phone was stolen"
    assert desk.post(f"/support/users/{customer.id}/sign-out-all", data={"reason": reason}).status_code == 302
    [mail] = [m for m in outbox_rows(geo_app) if m.kind == MailKind.SESSIONS_ENDED_BY_SUPPORT]
    assert mail.recipient == "customer@example.com" and reason in mail.text_body
    assert "signed out 1 session of your account" in mail.text_body and "3 Nov 2026, 09:00" in mail.text_body
