"""Organisations: the commands that manage them, what a session records, and whose accounts staff reach."""

import re
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import EventType, Organisation, User
from tests.conftest import PASSWORD
from tests.helpers import active_sessions, app_signed_in, event_types, events_of, session_row, signed_in_client

REASON = "account recovery, ticket 4411"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def organisation_of(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user.organisation_id is None:
            return None
        return db.session.get(Organisation, user.organisation_id).name


# -- the commands ----------------------------------------------------------------------


def test_organisations_create_and_list(app, runner):
    created = runner.invoke(args=["organisations", "create", "  Acme Ltd "])
    assert created.output == "Created the organisation Acme Ltd.\n"
    runner.invoke(args=["organisations", "create", "Globex"])
    assert runner.invoke(args=["organisations", "list"]).output == "Acme Ltd\nGlobex\n"


@pytest.mark.parametrize(("name", "code", "message"), [
    ("Acme", 1, "an organisation named 'Acme' already exists"),
    ("   ", 2, "an organisation's name is 1 to 100 characters"),
    ("x" * 101, 2, "an organisation's name is 1 to 100 characters"),
])
def test_organisations_create_refuses_a_taken_or_unusable_name(app, runner, name, code, message):
    runner.invoke(args=["organisations", "create", "Acme"])
    result = runner.invoke(args=["organisations", "create", name])
    assert result.exit_code == code and message in result.output
    with app.app_context():
        assert db.session.scalars(select(Organisation.name)).all() == ["Acme"]


def test_users_create_in_an_organisation_records_it(app, runner):
    runner.invoke(args=["organisations", "create", "Acme"])
    result = runner.invoke(args=["users", "create", "Ann@Example.com", "--organisation", "Acme",
                                 "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created ann@example.com (user, Acme)." in result.output
    assert organisation_of(app, "ann@example.com") == "Acme"
    [event] = events_of(app)
    assert (event.event_type, event.actor_kind, event.details) == (
        EventType.ORGANISATION_CHANGED, "system", {"from": None, "to": "Acme"})


def test_users_create_refuses_an_organisation_that_does_not_exist(app, runner, services):
    result = runner.invoke(args=["users", "create", "a@example.com", "--organisation", "Nope", "--password", PASSWORD])
    assert result.exit_code == 1 and "no organisation is named 'Nope'" in result.output
    with app.app_context():
        assert services.users.find_by_email("a@example.com") is None


def test_users_set_organisation_moves_the_account_and_records_each_move(app, runner, make_user):
    user = make_user("bea@example.com")
    for name in ("Acme", "Globex"):
        runner.invoke(args=["organisations", "create", name])

    assert runner.invoke(args=["users", "set-organisation", "BEA@example.com", "Acme"]).output == (
        "bea@example.com belongs to Acme.\n")
    runner.invoke(args=["users", "set-organisation", "bea@example.com", "Acme"])  # already there: nothing new
    runner.invoke(args=["users", "set-organisation", "bea@example.com", "Globex"])

    assert organisation_of(app, user.email) == "Globex"
    assert [e.details for e in events_of(app, user.id)] == [{"from": None, "to": "Acme"},
                                                            {"from": "Acme", "to": "Globex"}]
    page = signed_in_client(app, user.email).get("/activity").get_data(as_text=True)
    assert "Account moved from the organisation Acme to Globex" in page


@pytest.mark.parametrize(("args", "message"), [
    (["users", "set-organisation", "nobody@example.com", "Acme"], "no account has the email nobody@example.com"),
    (["users", "set-organisation", "c@example.com", "Nope"], "no organisation is named 'Nope'"),
])
def test_users_set_organisation_refuses_unknown_accounts_and_organisations(app, runner, make_user, args, message):
    make_user("c@example.com")
    runner.invoke(args=["organisations", "create", "Acme"])
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and message in result.output
    assert organisation_of(app, "c@example.com") is None


def test_a_session_records_the_organisation_of_its_sign_in(app, runner, make_user):
    user = make_user("d@example.com")
    runner.invoke(args=["organisations", "create", "Acme"])
    runner.invoke(args=["organisations", "create", "Globex"])
    runner.invoke(args=["users", "set-organisation", user.email, "Acme"])
    browser = signed_in_client(app, user.email)
    runner.invoke(args=["users", "set-organisation", user.email, "Globex"])
    app_session = app_signed_in(app, user.email, client_name="Doorman for iOS")

    with app.app_context():
        ids = {o.name: o.id for o in db.session.scalars(select(Organisation))}
    opened = {row.kind: row.organisation_id for row in active_sessions(app, user.id)}
    assert opened == {"browser": ids["Acme"], "app": ids["Globex"]}  # what it was at each sign-in
    assert session_row(app, uuid.UUID(app_session["session_id"])).organisation_id == ids["Globex"]
    assert browser.get("/devices").status_code == 200


# -- who reaches whose accounts ----------------------------------------------------------

# Viewers: (role, organisation). Accounts: a customer of Acme, one of Globex, one of no organisation.
VIEWERS = {
    "user-acme": ("user", "Acme"),
    "support-acme": ("support", "Acme"),
    "support-globex": ("support", "Globex"),
    "support-none": ("support", None),
    "admin-globex": ("admin", "Globex"),
    "admin-none": ("admin", None),
}
ACCOUNTS = {"acme": "Acme", "globex": "Globex", "none": None}
REACHES = {
    "user-acme": set(),
    "support-acme": {"acme"},
    "support-globex": {"globex"},
    "support-none": {"acme", "globex", "none"},
    "admin-globex": {"acme", "globex", "none"},
    "admin-none": {"acme", "globex", "none"},
}
MATRIX = [(viewer, account) for viewer in VIEWERS for account in ACCOUNTS]


@pytest.fixture
def world(app, services, make_user, make_session):
    with app.app_context():
        for name in ("Acme", "Globex"):
            services.organisations.create(name)
        db.session.commit()

    def member(email, role, organisation):
        user = make_user(email, role=role)
        if organisation:
            with app.app_context():
                user = services.users.set_organisation(email, services.organisations.find_by_name(organisation))
                db.session.commit()
                db.session.refresh(user)
                db.session.expunge(user)  # as it is now: make_session merges it back
        return user

    accounts = {}
    for key, organisation in ACCOUNTS.items():
        user = member(f"customer.{key}@example.com", "user", organisation)
        accounts[key] = (user, make_session(user)[0], make_session(user)[0])
    viewers = {key: member(f"{key}@example.com", role, organisation)
               for key, (role, organisation) in VIEWERS.items()}
    return accounts, viewers


def without_tokens(page):
    return re.sub(r'name="csrf_token" value="[^"]+"', "", page)


def listed(page):
    return re.findall(r'<a href="/support/users/\d+">([^<]+)</a>', page)


@pytest.mark.config(REAUTHENTICATION_WINDOW=3600)
@pytest.mark.parametrize(("viewer", "account"), MATRIX, ids=[f"{v}-sees-{a}" for v, a in MATRIX])
def test_who_can_find_see_and_end_whose_sessions(app, world, viewer, account):
    accounts, viewers = world
    customer, first, second = accounts[account]
    desk = signed_in_client(app, viewers[viewer].email)
    reaches = account in REACHES[viewer]
    is_staff = VIEWERS[viewer][0] != "user"
    before = event_types(app, customer.id)

    search = desk.get("/support/", query_string={"q": "customer."})
    page = desk.get(f"/support/users/{customer.id}")
    opened = desk.post(f"/support/users/{customer.id}/open")
    one = desk.post(f"/support/users/{customer.id}/sessions/{first.id}/sign-out", data={"reason": REASON})
    still_open = len(active_sessions(app, customer.id))
    everything = desk.post(f"/support/users/{customer.id}/sign-out-all", data={"reason": REASON})

    if not is_staff:
        assert {search.status_code, page.status_code, opened.status_code, one.status_code,
                everything.status_code} == {403}
    elif reaches:
        assert customer.email in listed(search.get_data(as_text=True))
        assert (page.status_code, opened.status_code, one.status_code, everything.status_code) == (200, 302, 302, 302)
        assert still_open == 1 and active_sessions(app, customer.id) == []
    else:
        # Out of reach is the same answer as no such account: a 404, and nothing changed or recorded.
        assert customer.email not in listed(search.get_data(as_text=True))
        assert (page.status_code, opened.status_code, one.status_code, everything.status_code) == (404, 404, 404, 404)
        unknown = desk.get("/support/users/999999").get_data(as_text=True)
        assert without_tokens(page.get_data(as_text=True)) == without_tokens(
            unknown.replace("/support/users/999999", f"/support/users/{customer.id}"))
    if not reaches:
        assert len(active_sessions(app, customer.id)) == 2
        assert event_types(app, customer.id) == before


def test_staff_of_an_organisation_see_its_staff_actions_by_email_only_when_they_may(app, world):
    """The audit page is an admin's; an admin of an organisation still filters any account by its email."""
    accounts, viewers = world
    admin = signed_in_client(app, viewers["admin-globex"].email)
    admin.get(f"/support/users/{accounts['acme'][0].id}")
    page = admin.get("/support/audit", query_string={"account": "customer.acme@example.com"})
    assert page.status_code == 200 and "customer.acme@example.com" in page.get_data(as_text=True)
    assert signed_in_client(app, viewers["support-acme"].email).get("/support/audit").status_code == 403


@pytest.mark.parametrize("owner", list(ACCOUNTS))
def test_an_account_holder_cannot_end_anyone_elses_session_on_the_devices_page_or_the_api(app, world, owner):
    """The same object-level check for everyone, whatever organisation: another's session id is a 404."""
    accounts, _ = world
    intruder = accounts["acme"][0] if owner != "acme" else accounts["globex"][0]
    _, target, _ = accounts[owner]
    browser = signed_in_client(app, intruder.email)
    api = app_signed_in(app, intruder.email, client_name="Doorman for iOS")
    bearer = {"Authorization": f"Bearer {api['access_token']}"}

    assert browser.post(f"/devices/{target.id}/sign-out").status_code == 404
    listed_ids = {s["id"] for s in app.test_client().get("/api/v1/sessions", headers=bearer).get_json()["sessions"]}
    deleted = app.test_client().delete(f"/api/v1/sessions/{target.id}", headers=bearer)

    assert str(target.id) not in listed_ids
    assert deleted.status_code == 404
    assert session_row(app, target.id).is_active
