"""A database that errors while resolving a session never yields a signed-in page."""


def test_a_failing_session_lookup_answers_503_and_shows_no_account(client, signed_in, sessions_table_moved):
    with sessions_table_moved():
        response = client.get("/devices")

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "cannot reach its database" in page
    assert signed_in.email not in page and "Your devices" not in page
    assert client.get("/devices").status_code == 200  # and it recovers when the database does


def test_a_database_error_during_sign_in_is_a_503_and_signs_nobody_in(app, client, make_user, sessions_table_moved):
    user = make_user()
    with sessions_table_moved():
        response = client.post("/sign-in", data={"email": user.email, "password": "a long enough password"})

    assert response.status_code == 503
    assert "cannot reach its database" in response.get_data(as_text=True)
    assert client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]) is None
