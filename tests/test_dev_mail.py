"""`make run`'s mail: the local SMTP server keeps what the worker sends; /dev/mail shows it, in development only."""

import re

import pytest
from markupsafe import escape

from app.dev_mail import start_sink
from tests.conftest import PASSWORD, create_test_app
from tests.mail_fixtures import MADRID_IP, browser, free_port

PRODUCTION = {"DOORMAN_ENV": "production", "SECRET_KEY": "k" * 64, "PUBLIC_URL": "https://doorman.example"}


@pytest.fixture
def sink(tmp_path):
    """The development SMTP server on a free port; yields (its smtp:// URL, its directory, what it printed)."""
    directory = tmp_path / "mail"
    printed: list[str] = []
    port = free_port()
    controller = start_sink(directory, host="127.0.0.1", port=port, echo=printed.append)
    try:
        yield f"smtp://127.0.0.1:{port}", directory, printed
    finally:
        controller.stop()


@pytest.fixture
def dev_app(database_url, sink):
    _url, directory, _printed = sink
    app = create_test_app(database_url, environ={"DOORMAN_ENV": "development"}, DEV_MAIL_DIRECTORY=str(directory))
    yield app


def test_a_sent_mail_is_kept_printed_and_shown_with_its_links(geo_app, sink, dev_app, make_user):
    url, directory, printed = sink
    geo_app.config["SMTP_URL"] = url
    user = make_user("owner@example.com")
    assert browser(geo_app).post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 302
    result = geo_app.test_cli_runner().invoke(args=["mail", "deliver", "--once"])
    assert "Sent 1 email" in result.output, result.output

    [eml] = list(directory.glob("*.eml"))
    assert printed == [f"mail: to owner@example.com: New sign-in to your Doorman account ({eml})"]

    page = dev_app.test_client().get("/dev/mail")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "owner@example.com" in body and "New sign-in to your Doorman account" in body
    assert f'href="/dev/mail/{eml.name}"' in body

    one = dev_app.test_client().get(f"/dev/mail/{eml.name}")
    assert one.status_code == 200
    body = one.get_data(as_text=True)
    # The text part's links, followable: the "Not you? End this session" one opens its page.
    [link] = re.findall(r'href="(http://127\.0\.0\.1:5000/sessions/end/[^"]+)"', body)
    assert MADRID_IP in body
    assert geo_app.test_client().get(link.removeprefix("http://127.0.0.1:5000")).status_code == 200
    # The HTML part is only ever shown in a sandbox with no allowances, its markup escaped into srcdoc.
    assert '<iframe class="dev-mail__html" sandbox srcdoc="' in body
    assert str(escape(f'<a href="{link}">')) in body


def test_a_mail_with_script_is_shown_inert(dev_app, sink):
    _url, directory, _printed = sink
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "20261103T090000-abc.eml").write_text(
        "Subject: Hello\nTo: a@example.com\nContent-Type: text/html\n\n<script>alert(1)</script><p>hi</p>\n")
    body = dev_app.test_client().get("/dev/mail/20261103T090000-abc.eml").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.parametrize("name", ["../doorman.sqlite3", "..%2Fsecret.eml", "missing.eml", "x.txt"])
def test_no_other_file_can_be_read(dev_app, name):
    assert dev_app.test_client().get(f"/dev/mail/{name}").status_code == 404


def test_an_empty_mailbox_says_so(dev_app):
    assert "No email has arrived yet" in dev_app.test_client().get("/dev/mail").get_data(as_text=True)


def test_the_mail_page_does_not_exist_in_tests_or_production(client, database_url):
    assert client.get("/dev/mail").status_code == 404
    production = create_test_app(database_url, environ=PRODUCTION)
    assert production.test_client().get("/dev/mail").status_code == 404
    assert "dev" not in production.blueprints
