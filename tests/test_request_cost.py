"""What resolving the session costs each request: one statement, and no writes most of the time."""

import pytest

from app.extensions import db
from bench.statements import is_write, recorded_statements


@pytest.mark.config(SESSION_TOUCH_INTERVAL=60)
def test_an_authenticated_request_resolves_its_session_in_one_statement(app, client, signed_in, clock):
    client.get("/devices")  # warm the connection pool
    clock.advance(seconds=10)

    with recorded_statements(app) as statements:
        response = client.get("/sign-in")  # redirects a signed-in visitor without touching the database

    assert response.status_code == 302
    assert len(statements) == 1, statements
    assert "user_sessions" in statements[0] and "JOIN users" in statements[0]


@pytest.mark.config(SESSION_TOUCH_INTERVAL=60)
def test_no_write_inside_the_touch_interval_and_one_after_it(app, client, signed_in, clock):
    client.get("/devices")
    clock.advance(seconds=30)
    with recorded_statements(app) as inside:
        client.get("/devices")
    clock.advance(seconds=31)
    with recorded_statements(app) as after:
        client.get("/devices")

    assert [s for s in inside if is_write(s)] == []
    assert len([s for s in after if is_write(s)]) == 1
    assert next(s for s in after if is_write(s)).lstrip().upper().startswith("UPDATE USER_SESSIONS")


def test_an_anonymous_request_without_a_cookie_runs_no_sql(app, client):
    with recorded_statements(app) as statements:
        client.get("/sign-in")
    assert statements == []


def test_a_malformed_cookie_is_refused_without_a_query(app, client):
    client.set_cookie(app.config["SESSION_TOKEN_COOKIE"], "garbage")
    with recorded_statements(app) as statements:
        client.get("/sign-in")
    assert statements == []


def test_resolving_leaves_the_request_orm_session_without_a_transaction(app, client, signed_in, services):
    """The lookup runs on a connection of its own: no BEGIN (and ROLLBACK) just to know who is signed in."""
    token = client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value
    with app.app_context():
        assert services.sessions.resolve(token).email == signed_in.email
        assert not db.session().in_transaction()


@pytest.mark.config(SESSION_TOUCH_INTERVAL=60)
def test_choosing_the_language_and_zone_reads_nothing_more(app, client, signed_in, clock, services):
    """A saved language and zone, a language cookie and Accept-Language: still the one lookup statement.

    The choices come with the session's row; the settings page reads nothing else, so every
    statement it costs is the reader's own.
    """
    with app.app_context():
        services.users.save_preferences(signed_in.id, language="es", time_zone="Europe/Madrid")
        db.session.commit()
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    client.get("/devices")  # warm the connection pool
    clock.advance(seconds=10)

    with recorded_statements(app) as statements:
        response = client.get("/account/settings", headers={"Accept-Language": "en-GB,en;q=0.9"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="es">' in page and "<h1>Ajustes</h1>" in page  # the saved choice was applied
    assert '<option selected value="Europe/Madrid">' in page
    assert len(statements) == 1, statements
    assert "user_sessions" in statements[0] and "JOIN users" in statements[0]
