"""Password budgets hold under concurrency, and only wrong passwords spend them (ASVS 5.0 6.3.1).

The guesses run in real threads, each with its own test client (so its own
app context and database connection), released together by a barrier. What
is counted is ``Passwords.verifications``: every run of argon2, the thing a
budget exists to limit.
"""


import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db, services
from app.models import EventType, User
from app.services.errors import IncorrectPassword, InvalidCredentials, TooManyAttempts
from tests.conftest import PASSWORD, REDIS_URL, create_test_app
from tests.helpers import csrf_tokens_in, event_types, run_together

BUDGETS = {"PASSWORD_ATTEMPTS_PER_ACCOUNT": "3 per 15 minutes", "PASSWORD_ATTEMPTS_PER_IP": "1000 per minute"}
pytestmark = pytest.mark.config(**BUDGETS)
GUESSES = 12  # at once, against a budget of 3
NEW_PASSWORD = "a brand new password"
# About as slow as a production hash (~10 ms): the suite's cheapest profile verifies
# in microseconds, which would hide how long guesses overlap for real.
PRODUCTION_LIKE_HASHER = PasswordHasher(time_cost=2, memory_cost=4096, parallelism=1)


def verifications(*apps: Flask) -> int:
    return sum(services(app).passwords.verifications for app in apps)




def with_a_production_like_hash(app: Flask, user: User) -> User:
    """``user`` again, its password hash now one that takes as long to verify as a real one."""
    with app.app_context():
        db.session.get(User, user.id).password_hash = PRODUCTION_LIKE_HASHER.hash(PASSWORD)
        db.session.commit()
    return user


def wrong_sign_in(client: FlaskClient, email: str, ip: str) -> int:
    response = client.post("/sign-in", data={"email": email, "password": "wrong"}, environ_base={"REMOTE_ADDR": ip})
    return response.status_code


def correct_sign_in(app: Flask, email: str) -> int:
    return app.test_client().post("/sign-in", data={"email": email, "password": PASSWORD}).status_code


# -- 1. Parallel guesses never verify more passwords than the budget holds ----------------------


@pytest.mark.parametrize(
    "ips",
    [
        pytest.param([f"198.51.100.{n}" for n in range(GUESSES)], id="account-budget-from-many-ips"),
        pytest.param(["198.51.100.1"] * GUESSES, id="ip-budget-across-accounts", marks=pytest.mark.config(
            PASSWORD_ATTEMPTS_PER_ACCOUNT="1000 per minute", PASSWORD_ATTEMPTS_PER_IP="3 per minute")),
    ],
)
def test_parallel_wrong_passwords_verify_no_more_than_the_budget(app, make_user, ips):
    users = [with_a_production_like_hash(app, make_user()) for _ in range(GUESSES if len(set(ips)) == 1 else 1)]
    before = verifications(app)

    statuses = run_together(*[
        lambda n=n: wrong_sign_in(app.test_client(), users[n % len(users)].email, ips[n]) for n in range(GUESSES)
    ])

    assert verifications(app) - before == 3
    assert sorted(statuses) == [200] * 3 + [429] * (GUESSES - 3)


@pytest.mark.config(RATELIMIT_STORAGE_URI=REDIS_URL)
def test_parallel_wrong_passwords_on_two_processes_sharing_redis_verify_no_more_than_the_budget(
    app, database_url, make_user, redis_db
):
    """Two apps on one Redis, as two gunicorn workers or two hosts are: the budget is theirs together."""
    user = with_a_production_like_hash(app, make_user())
    other_process = create_test_app(database_url, RATELIMIT_STORAGE_URI=REDIS_URL, **BUDGETS)
    processes = [app, other_process]
    before = verifications(*processes)
    try:
        statuses = run_together(*[
            lambda n=n: wrong_sign_in(processes[n % 2].test_client(), user.email, f"198.51.100.{n}")
            for n in range(GUESSES)
        ])
    finally:
        with other_process.app_context():
            db.engine.dispose()

    assert verifications(*processes) - before == 3
    assert sorted(statuses) == [200] * 3 + [429] * (GUESSES - 3)
    assert correct_sign_in(app, user.email) == 429  # the owner too, until the window has passed


def test_the_four_password_forms_share_one_budget_under_concurrency(app, client, signed_in):
    """Guessing on every form at once still verifies only three passwords of the account."""
    with_a_production_like_hash(app, signed_in)
    cookie = client.get_cookie(app.config["SESSION_TOKEN_COOKIE"])

    def browser() -> FlaskClient:  # another thread's browser with the stolen session's cookie
        stolen = app.test_client()
        stolen.set_cookie(cookie.key, cookie.value, domain=cookie.domain, secure=True)
        return stolen

    guesses = {
        "/sign-in": {"email": signed_in.email, "password": "wrong"},
        "/confirm-password": {"password": "wrong"},
        "/account/password": {"current_password": "wrong", "new_password": NEW_PASSWORD,
                              "confirm_new_password": NEW_PASSWORD},
        "/devices/sign-out-others": {"password": "wrong"},
    }
    jobs = [
        lambda path=path, data=data, web=browser(): web.post(path, data=data).status_code  # noqa: B008 (one client per job, made now)
        for path, data in guesses.items()
        for _ in range(GUESSES // len(guesses))
    ]
    before = verifications(app)

    statuses = run_together(*jobs)

    assert verifications(app) - before == 3
    assert sorted(statuses) == [200] * 3 + [429] * (GUESSES - 3)


def test_a_refused_attempt_is_not_verified_and_not_recorded(app, app_context, make_user):
    """The service refuses before argon2 runs: no verification, no sign_in_failed event."""
    user = make_user()
    users = services(app).users
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            users.authenticate(user.email, "wrong", client_ip="198.51.100.1")
    db.session.commit()
    before = verifications(app)

    with pytest.raises(TooManyAttempts) as refused:
        users.authenticate(user.email, PASSWORD, client_ip="198.51.100.2")
    with pytest.raises(TooManyAttempts):
        users.check_password(user.id, PASSWORD, client_ip="198.51.100.2")
    with pytest.raises(TooManyAttempts):
        users.change_password(user.id, PASSWORD, NEW_PASSWORD, client_ip="198.51.100.2")

    assert verifications(app) == before
    assert 800 < refused.value.retry_after <= 901
    db.session.rollback()
    assert event_types(app, user.id) == [EventType.SIGN_IN_FAILED] * 3


# -- 2. Only a wrong password spends the budget ---------------------------------------------------


def test_the_right_current_password_with_a_mismatched_confirmation_spends_nothing(app, client, signed_in):
    mismatched = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_new_password": "not the same"}
    for _ in range(3 * 3):
        response = client.post("/account/password", data=mismatched)
        assert response.status_code == 200
        assert "The two new passwords are not the same." in response.get_data(as_text=True)

    changed = client.post("/account/password", data={**mismatched, "confirm_new_password": NEW_PASSWORD})

    assert (changed.status_code, changed.headers["Location"]) == (302, "/devices")


PASSWORD_FORMS = {
    "sign-in": ("/sign-in", lambda email, password: {"email": email, "password": password}),
    "confirm-password": ("/confirm-password", lambda email, password: {"password": password}),
    "change-password": ("/account/password", lambda email, password: {
        "current_password": password, "new_password": NEW_PASSWORD, "confirm_new_password": NEW_PASSWORD}),
    "sign-out-others": ("/devices/sign-out-others", lambda email, password: {"password": password}),
}


@pytest.mark.parametrize("form", PASSWORD_FORMS)
@pytest.mark.config(PASSWORD_ATTEMPTS_PER_ACCOUNT="3 per 15 minutes", PASSWORD_ATTEMPTS_PER_IP="3 per minute")
def test_an_empty_password_field_spends_nothing(app, client, signed_in, form):
    """A form that fails validation verifies no password, so neither the account nor the IP pays."""
    path, fields = PASSWORD_FORMS[form]
    before = verifications(app)
    for _ in range(3 * 3):
        assert client.post(path, data=fields(signed_in.email, "")).status_code == 200
    assert verifications(app) == before

    assert client.post(path, data=fields(signed_in.email, PASSWORD)).status_code == 302


@pytest.mark.parametrize("storage", [
    pytest.param("memory", id="memory"),
    pytest.param("redis", id="redis", marks=pytest.mark.config(RATELIMIT_STORAGE_URI=REDIS_URL)),
])
def test_a_correct_password_gives_its_attempt_back_and_a_wrong_one_keeps_it(request, client, signed_in, storage):
    if storage == "redis":
        request.getfixturevalue("redis_db")
    for _ in range(2):
        assert client.post("/confirm-password", data={"password": "wrong"}).status_code == 200
    for _ in range(5):  # more correct passwords than the budget holds
        assert client.post("/confirm-password", data={"password": PASSWORD}).status_code == 302

    assert client.post("/confirm-password", data={"password": "wrong"}).status_code == 200  # the third
    assert client.post("/confirm-password", data={"password": PASSWORD}).status_code == 429


def test_a_correct_password_in_the_service_costs_nothing(app, app_context, make_user):
    user = make_user()
    users = services(app).users
    for _ in range(3 * 3):
        assert users.check_password(user.id, PASSWORD, client_ip="198.51.100.1")
        assert users.authenticate(user.email, PASSWORD, client_ip="198.51.100.1").user.id == user.id
    with pytest.raises(IncorrectPassword):
        users.change_password(user.id, "wrong", NEW_PASSWORD, client_ip="198.51.100.1")
    assert users.change_password(user.id, PASSWORD, NEW_PASSWORD, client_ip="198.51.100.1").id == user.id


# -- 3. Password forms take form bodies only ------------------------------------------------------


@pytest.mark.parametrize("form", PASSWORD_FORMS)
def test_a_json_body_is_refused_with_415_and_verifies_nothing(app, client, signed_in, form):
    path, fields = PASSWORD_FORMS[form]
    before = verifications(app)

    response = client.post(path, json=fields(signed_in.email, "wrong"))

    assert response.status_code == 415
    assert "must be sent as a web form" in response.get_data(as_text=True)
    assert verifications(app) == before


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_form_bodies_still_work(app, client, make_user, content_type):
    user = make_user()
    response = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD}, content_type=content_type
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/devices")


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_a_json_body_with_a_valid_csrf_header_is_refused_too(app, client, make_user):
    """Flask-WTF accepts the token from a header, so only the body type keeps JSON out."""
    user = make_user()
    token = csrf_tokens_in(client.get("/sign-in").get_data(as_text=True))[0]
    before = verifications(app)

    response = client.post(
        "/sign-in", json={"email": user.email, "password": "wrong"}, headers={"X-CSRFToken": token}
    )

    assert response.status_code == 415
    assert verifications(app) == before
