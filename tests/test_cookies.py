"""The session cookie's attributes and where the token may (not) appear."""

import pytest
from sqlalchemy import String, Text, select

from app.extensions import db
from app.models import Base
from app.services.sessions import hash_token
from tests.conftest import PASSWORD, create_test_app


def set_cookie_headers(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_session_cookie_attributes_in_production(client, make_user):
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})

    header = set_cookie_headers(response)["__Host-doorman"]
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    assert "secure" in attributes and "httponly" in attributes
    assert "path=/" in attributes and "samesite=lax" in attributes
    assert not any(a.startswith("domain") for a in attributes)
    assert len(header) < 4096
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_flask_cookie_is_hardened_too(client):
    response = client.get("/sign-in")  # the form puts a CSRF secret in Flask's cookie
    flask_cookie = set_cookie_headers(response)["__Host-doorman-csrf"]
    attributes = [part.strip().lower() for part in flask_cookie.split(";")[1:]]
    assert {"secure", "httponly", "path=/", "samesite=lax"} <= set(attributes)
    assert not any(a.startswith("domain") for a in attributes)


def test_development_cookies_drop_secure_and_the_prefix(database_url):
    app = create_test_app(database_url, COOKIE_SECURE=False)
    assert app.config["SESSION_TOKEN_COOKIE"] == "doorman"
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_token_appears_in_no_page_and_no_url(app, client, signed_in, make_session):
    token = client.get_cookie("__Host-doorman").value
    hashed = hash_token(token)
    _, other_token = make_session(signed_in)
    for path in ("/devices", "/sign-in", "/", "/no-such-page"):
        response = client.get(path)
        body = response.get_data(as_text=True)
        for secret in (token, hashed, other_token, hash_token(other_token)):
            assert secret not in body, path
            assert secret not in response.headers.get("Location", "")


def test_no_plaintext_token_anywhere_in_the_database(app, client, make_user):
    user = make_user()
    tokens = []
    for _ in range(3):
        browser = app.test_client()
        browser.post("/sign-in", data={"email": user.email, "password": PASSWORD})
        tokens.append(browser.get_cookie("__Host-doorman").value)

    with app.app_context():
        seen = 0
        for table in Base.metadata.sorted_tables:
            text_columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in db.session.execute(select(*text_columns)) if text_columns else []:
                for value in row:
                    seen += 1
                    assert not any(t in str(value) for t in tokens), table.name
        assert seen > 0


def test_the_token_is_never_logged(app, client, make_user, caplog):
    user = make_user()
    with caplog.at_level("DEBUG"):
        client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
        token = client.get_cookie("__Host-doorman").value
        client.get("/devices")
        client.post("/sign-out")
    assert token not in caplog.text and hash_token(token) not in caplog.text


def test_session_pages_are_not_cached(client, signed_in):
    assert client.get("/devices").headers["Cache-Control"] == "no-store"
