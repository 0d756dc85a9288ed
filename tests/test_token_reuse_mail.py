"""An old refresh token sent again ends the app's session, and the person is told by mail (real SMTP)."""

import uuid

import pytest

from app.models import EndReason, MailKind, MailStatus
from tests.conftest import PASSWORD
from tests.helpers import session_row
from tests.mail_fixtures import LONDON_IP, MADRID_IP, browser, outbox_rows

APP_AGENT = "DoormanApp/2.1 (iPhone; iOS 17.1)"
pytestmark = pytest.mark.config(MAIL_FROM="Doorman <security@doorman.example>", SMTP_TIMEOUT=1)


@pytest.fixture
def mail_app(geo_app, smtp_server):
    geo_app.config["SMTP_URL"] = smtp_server[0]
    return geo_app


def app_client(app, ip):
    return browser(app, ip=ip, user_agent=APP_AGENT)


def test_a_reused_refresh_token_ends_the_session_and_mails_the_owner(mail_app, smtp_server, make_user):
    _url, handler = smtp_server
    user = make_user("owner@example.com")
    phone = app_client(mail_app, MADRID_IP)
    tokens = phone.post("/api/v1/auth/token", json={
        "email": user.email, "password": PASSWORD, "client_name": "Doorman for iOS"}).get_json()
    first = phone.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    assert outbox_rows(mail_app) == []  # an ordinary refresh tells nobody anything

    thief = app_client(mail_app, LONDON_IP)
    again = thief.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert again.status_code == 401
    row = session_row(mail_app, uuid.UUID(tokens["session_id"]))
    assert not row.is_active and row.revoked_reason == EndReason.REFRESH_TOKEN_REUSED
    [mail] = outbox_rows(mail_app)
    assert (mail.kind, mail.recipient, mail.status) == (MailKind.APP_TOKEN_REUSED, user.email, MailStatus.PENDING)

    # Sent again, or the newer token sent now: refused, and no second mail for a session already ended.
    assert thief.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    newer = first.get_json()["refresh_token"]
    assert phone.post("/api/v1/auth/refresh", json={"refresh_token": newer}).status_code == 401
    assert len(outbox_rows(mail_app)) == 1

    result = mail_app.test_cli_runner().invoke(args=["mail", "deliver", "--once"])
    assert "Sent 1 email" in result.output, result.output
    [message] = handler.received
    assert message["Subject"] == "An app was signed out of your Doorman account"
    assert message["To"] == "owner@example.com" and message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] is None  # it cannot be turned off
    text = message.get_body(("plain",)).get_content()
    assert "Doorman for iOS was signed out of your Doorman account because an old sign-in token" in text
    assert "When: 3 Nov 2026, 10:00 Central European Standard Time." in text  # the zone it signed in from
    assert f"The old token was sent from London, United Kingdom (IP address {LONDON_IP})." in text
    assert "Madrid, Spain" in text and MADRID_IP in text  # where the app signed in
    html = message.get_body(("html",)).get_content()
    assert "Doorman for iOS" in html and "http://127.0.0.1:5000/devices" in html


def test_an_unknown_refresh_token_mails_nobody(mail_app, make_user):
    make_user()
    response = app_client(mail_app, MADRID_IP).post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43})
    assert response.status_code == 401
    assert outbox_rows(mail_app) == []
