"""The outbox worker against a real SMTP server (aiosmtpd): sent once, retried when the server fails."""

import re

import pytest

from app.config import ConfigurationError
from app.extensions import db
from app.extensions import services as services_of
from app.mail.delivery import SmtpServer
from app.models import MailStatus
from app.services.mail_outbox import MAX_ATTEMPTS
from tests.conftest import PASSWORD
from tests.mail_fixtures import MADRID_IP, browser, outbox_rows

TIMEOUT = 1
pytestmark = pytest.mark.config(MAIL_FROM="Doorman <security@doorman.example>", SMTP_TIMEOUT=TIMEOUT)


@pytest.fixture
def mail_app(geo_app, smtp_server):
    url, _handler = smtp_server
    geo_app.config["SMTP_URL"] = url
    return geo_app


def deliver_once(app):
    result = app.test_cli_runner().invoke(args=["mail", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def signed_in_from_new_device(app, email, **kwargs):
    client = browser(app, **kwargs)
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_new_device_sign_in_arrives_with_its_headers_and_both_parts(mail_app, smtp_server, make_user):
    _url, handler = smtp_server
    user = make_user("owner@example.com")
    signed_in_from_new_device(mail_app, user.email)

    output = deliver_once(mail_app)

    assert "Sent 1 email" in output
    [message] = handler.received
    [row] = outbox_rows(mail_app)
    assert row.status == MailStatus.SENT and row.attempts == 1 and row.sent_at is not None
    assert message["Message-ID"] == row.message_id and message["Message-ID"].endswith("@doorman.example>")
    assert message["From"] == "Doorman <security@doorman.example>" and message["To"] == "owner@example.com"
    assert message["Subject"] == "New sign-in to your Doorman account"
    assert message["Auto-Submitted"] == "auto-generated" and message["Date"]
    assert message["List-Unsubscribe"] == "<http://127.0.0.1:5000/account/settings>"
    assert message["List-Unsubscribe-Post"] is None  # no one-click endpoint to promise
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert MADRID_IP in text and "Madrid, Spain" in text
    [link] = re.findall(r"http://127\.0\.0\.1:5000/sessions/end/[^\s\"]+", text)
    assert f'href="{link}"' in html
    assert MADRID_IP in html and "Madrid, Spain" in html and "Chrome 120 on macOS 10.15" in html  # its facts table
    assert deliver_once(mail_app).startswith("Sent 0 emails") and len(handler.received) == 1  # sent once


def test_a_spanish_reader_receives_it_in_spanish(mail_app, smtp_server, make_user):
    _url, handler = smtp_server
    user = make_user()
    with mail_app.app_context():
        services_of(mail_app).users.save_preferences(user.id, language="es", time_zone="Europe/Madrid")
        db.session.commit()
    signed_in_from_new_device(mail_app, user.email)
    deliver_once(mail_app)
    [message] = handler.received
    assert message["Subject"] == "Nuevo inicio de sesión en tu cuenta de Doorman"
    text = message.get_body(("plain",)).get_content()
    assert "dispositivo nuevo" in text and "Madrid, España" in text and "10:00" in text  # 09:00 UTC in Madrid


def test_the_same_device_again_sends_nothing_more(mail_app, smtp_server, make_user):
    _url, handler = smtp_server
    user = make_user()
    client = signed_in_from_new_device(mail_app, user.email)
    client.post("/sign-out")
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    deliver_once(mail_app)
    assert len(handler.received) == 1


@pytest.mark.parametrize("answer", ["451 4.3.0 try again later", "drop", f"sleep:{TIMEOUT + 1}"])
def test_a_failing_server_leaves_the_mail_pending_and_the_retry_carries_the_same_message_id(
    mail_app, smtp_server, make_user, clock, answer
):
    _url, handler = smtp_server
    user = make_user()
    signed_in_from_new_device(mail_app, user.email)
    handler.answers = [answer]

    assert "1 to retry" in deliver_once(mail_app)
    [row] = outbox_rows(mail_app)
    assert row.status == MailStatus.PENDING and row.attempts == 1 and row.last_error
    assert deliver_once(mail_app).startswith("Sent 0 emails")  # backing off: not due yet

    clock.advance(minutes=1)
    deliver_once(mail_app)

    [row] = outbox_rows(mail_app)
    assert row.status == MailStatus.SENT and row.attempts == 2
    # Accepted after the retry; a drop after the message was in may have let it arrive twice, recognisably.
    assert {message["Message-ID"] for message in handler.received} == {row.message_id}
    assert len(handler.received) == (2 if answer == "drop" else 1)


def test_a_permanent_refusal_fails_the_mail_without_retrying(mail_app, smtp_server, make_user, clock):
    _url, handler = smtp_server
    user = make_user()
    signed_in_from_new_device(mail_app, user.email)
    handler.answers = ["550 5.7.1 no thanks"]

    assert "1 failed" in deliver_once(mail_app)
    clock.advance(days=1)
    deliver_once(mail_app)

    [row] = outbox_rows(mail_app)
    assert row.status == MailStatus.FAILED and row.attempts == 1 and "550" in row.last_error
    assert handler.received == []


def test_after_the_last_attempt_the_mail_has_failed(mail_app, smtp_server, make_user, clock):
    _url, handler = smtp_server
    user = make_user()
    signed_in_from_new_device(mail_app, user.email)
    handler.answers = ["451 later"] * MAX_ATTEMPTS
    for _ in range(MAX_ATTEMPTS):
        deliver_once(mail_app)
        clock.advance(hours=7)
    [row] = outbox_rows(mail_app)
    assert row.status == MailStatus.FAILED and row.attempts == MAX_ATTEMPTS


def test_smtp_down_never_blocks_a_sign_in_and_the_mail_waits(geo_app, make_user):
    """Nothing listens on the SMTP port: the sign-in works (delivery is not in the request), the mail stays."""
    geo_app.config.update(SMTP_URL="smtp://127.0.0.1:9", SMTP_TIMEOUT=TIMEOUT)
    user = make_user()
    signed_in_from_new_device(geo_app, user.email)
    assert "1 to retry" in deliver_once(geo_app)
    [row] = outbox_rows(geo_app)
    assert row.status == MailStatus.PENDING and "ConnectionRefusedError" in row.last_error


def test_credentials_never_reach_the_error_or_the_log(geo_app, smtp_server, make_user, caplog):
    url, _handler = smtp_server
    geo_app.config.update(SMTP_URL=url.replace("smtp://", "smtp://mailer:s3cret-pass@"), SMTP_TIMEOUT=TIMEOUT)
    user = make_user()
    signed_in_from_new_device(geo_app, user.email)
    output = deliver_once(geo_app)  # aiosmtpd offers no AUTH on plain text: login fails
    [row] = outbox_rows(geo_app)
    assert "s3cret-pass" not in (row.last_error or "") and "s3cret-pass" not in output
    assert "s3cret-pass" not in caplog.text


def test_smtp_urls():
    assert SmtpServer.from_url("smtp://mail.example", timeout=3) == SmtpServer("mail.example", 25, "plain", timeout=3)
    assert SmtpServer.from_url("smtp://u:p%40ss@mail.example:2525?starttls=true", timeout=3) == SmtpServer(
        "mail.example", 2525, "starttls", "u", "p@ss", 3)
    assert SmtpServer.from_url("smtp+starttls://mail.example", timeout=3).port == 587
    assert SmtpServer.from_url("smtps://mail.example", timeout=3) == SmtpServer("mail.example", 465, "tls", timeout=3)
    assert "p@ss" not in repr(SmtpServer.from_url("smtp://u:p%40ss@mail.example", timeout=3))
    with pytest.raises(ConfigurationError) as refused:
        SmtpServer.from_url("http://u:secret@mail.example", timeout=3)
    assert "secret" not in str(refused.value)


def test_an_unusable_smtp_url_is_a_clear_message(geo_app):
    geo_app.config["SMTP_URL"] = "mailto:someone"
    result = geo_app.test_cli_runner().invoke(args=["mail", "deliver", "--once"])
    assert result.exit_code == 1 and "SMTP_URL must be smtp://" in result.output



def test_two_workers_never_claim_the_same_mail(mail_app, make_user, clock, database_url):
    """PostgreSQL: a mail one worker holds is skipped by the other, and once claimed it is leased."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one worker: it locks the whole database for the claim")
    from sqlalchemy.orm import Session

    from app.services.mail_outbox import MailOutbox

    user = make_user()
    signed_in_from_new_device(mail_app, user.email)
    with mail_app.app_context():
        engine = db.engine
        with Session(engine) as first, Session(engine) as second:
            one, other = (MailOutbox(s, clock=clock, message_id_domain="t") for s in (first, second))
            assert len(one.claim()) == 1
            assert other.claim() == []  # locked by the first: skipped, not waited for
            first.commit()
            assert other.claim() == []  # leased now
            second.rollback()
            clock.advance(minutes=6)  # the first worker died mid-send: the lease runs out
            assert len(other.claim()) == 1
            second.commit()


def test_a_password_change_is_mailed_with_when_and_where(mail_app, smtp_server, make_user):
    _url, handler = smtp_server
    user = make_user()
    client = signed_in_from_new_device(mail_app, user.email)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "another long password", "confirm_new_password":
        "another long password"})
    assert response.status_code == 302
    deliver_once(mail_app)
    changed = next(m for m in handler.received if m["Subject"] == "Your Doorman password was changed")
    text = changed.get_body(("plain",)).get_content()
    assert "Madrid, Spain" in text and MADRID_IP in text
    assert "3 Nov 2026, 10:00 Central European" in text  # in the zone it was done from
    assert changed["List-Unsubscribe"] is None  # it cannot be turned off
