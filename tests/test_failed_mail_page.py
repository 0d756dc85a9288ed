"""Admins see the emails Doorman gave up sending: /support/mail, newest first, paged."""

import pytest

from app.extensions import db
from app.extensions import services as services_of
from app.models import MailKind
from tests.conftest import PASSWORD
from tests.helpers import signed_in_client
from tests.mail_fixtures import browser

pytestmark = pytest.mark.config(SMTP_TIMEOUT=1)


def failed_mails(app, clock, count, *, kind=MailKind.PASSWORD_CHANGED):
    """``count`` mails given up on, one a minute, to person1@ ... personN@ (the last is the newest)."""
    with app.app_context():
        outbox = services_of(app).outbox
        for number in range(1, count + 1):
            mail = outbox.enqueue(user_id=None, kind=kind.value, recipient=f"person{number}@example.com",
                                  subject="s", text_body="t", html_body="<p>h</p>")
            mail.attempts = 1
            outbox.failed_attempt(mail.id, f"SMTPDataError: 554 rejected number {number}", permanent=True)
            clock.advance(minutes=1)
        db.session.commit()


def test_a_mail_the_server_refused_for_good_is_listed_with_why(geo_app, smtp_server, make_user):
    url, handler = smtp_server
    geo_app.config["SMTP_URL"] = url
    handler.answers = ["550 5.1.1 mailbox unavailable"]
    owner = make_user("owner@example.com")
    make_user("admin@example.com", role="admin")
    assert browser(geo_app).post("/sign-in", data={"email": owner.email, "password": PASSWORD}).status_code == 302
    result = geo_app.test_cli_runner().invoke(args=["mail", "deliver", "--once"])
    assert "1 failed" in result.output, result.output

    admin = signed_in_client(geo_app, "admin@example.com")
    page = admin.get("/support/mail")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    row = body.split("<tbody>")[1].split("</tbody>")[0]
    assert "owner@example.com" in row and "New sign-in" in row
    assert "550 5.1.1 mailbox unavailable" in row and "<td>1</td>" in row
    assert 'href="/support/mail" aria-current="page"' in body


def test_failed_mails_are_newest_first_and_paged(app, clock, make_user):
    make_user("admin@example.com", role="admin")
    failed_mails(app, clock, 27)
    admin = signed_in_client(app, "admin@example.com")

    first = admin.get("/support/mail").get_data(as_text=True)
    assert first.index("person27@") < first.index("person26@") and "person3@" in first
    assert "person2@" not in first and "Page 1 of 2" in first and 'href="/support/mail?page=2"' in first
    second = admin.get("/support/mail?page=2").get_data(as_text=True)
    assert "person2@" in second and "person1@" in second and "person3@" not in second
    assert admin.get("/support/mail?page=99").status_code == 200  # the nearest real page
    assert admin.get("/support/mail?page=x").status_code == 200


def test_pending_and_sent_mails_are_not_listed(app, make_user):
    make_user("admin@example.com", role="admin")
    with app.app_context():
        services_of(app).outbox.enqueue(user_id=None, kind="new_device", recipient="waiting@example.com",
                                        subject="s", text_body="t", html_body="h")
        db.session.commit()
    body = signed_in_client(app, "admin@example.com").get("/support/mail").get_data(as_text=True)
    assert "waiting@example.com" not in body and "No email has failed." in body


def test_only_admins_get_the_link_and_the_page(app, make_user):
    make_user("admin@example.com", role="admin")
    make_user("support@example.com", role="support")
    admin = signed_in_client(app, "admin@example.com")
    desk = signed_in_client(app, "support@example.com")
    assert 'href="/support/mail"' in admin.get("/support/").get_data(as_text=True)
    assert 'href="/support/mail"' not in desk.get("/support/").get_data(as_text=True)
    assert desk.get("/support/mail").status_code == 403


def test_the_page_is_in_spanish_for_a_spanish_admin(app, clock, make_user):
    admin_user = make_user("admin@example.com", role="admin")
    with app.app_context():
        services_of(app).users.save_preferences(admin_user.id, language="es", time_zone="Europe/Madrid")
        db.session.commit()
    failed_mails(app, clock, 1, kind=MailKind.APP_TOKEN_REUSED)
    body = signed_in_client(app, "admin@example.com").get("/support/mail").get_data(as_text=True)
    assert "Correos fallidos" in body and "Destinatario" in body and "Intentos" in body
    assert "App con la sesión cerrada: token antiguo usado de nuevo" in body
