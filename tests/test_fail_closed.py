"""A database that errors while resolving a session never yields a signed-in page."""

from sqlalchemy import text

from app.extensions import db


def test_a_failing_session_lookup_answers_503_and_shows_no_account(app, client, signed_in):
    with app.app_context():
        db.session.execute(text("ALTER TABLE user_sessions RENAME TO user_sessions_moved"))
        db.session.commit()
    try:
        response = client.get("/devices")
    finally:
        with app.app_context():
            db.session.execute(text("ALTER TABLE user_sessions_moved RENAME TO user_sessions"))
            db.session.commit()

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "cannot reach its database" in page
    assert signed_in.email not in page and "Your devices" not in page
    assert client.get("/devices").status_code == 200  # and it recovers when the database does


def test_a_database_error_during_sign_in_is_a_503_and_signs_nobody_in(app, client, make_user):
    user = make_user()
    with app.app_context():
        db.session.execute(text("ALTER TABLE user_sessions RENAME TO user_sessions_moved"))
        db.session.commit()
    try:
        response = client.post("/sign-in", data={"email": user.email, "password": "a long enough password"})
    finally:
        with app.app_context():
            db.session.execute(text("ALTER TABLE user_sessions_moved RENAME TO user_sessions"))
            db.session.commit()

    assert response.status_code == 503
    assert "cannot reach its database" in response.get_data(as_text=True)
    assert client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]) is None
