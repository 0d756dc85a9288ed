"""Security events: what each service records, in the same transaction as the change."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import ActorKind, EndReason, EventType, SecurityEvent, User, UserSession
from app.presenters.activity import event_device, event_place
from app.presenters.devices import seen_in
from app.services.errors import InvalidCredentials, ReasonRequired, SessionNotFound
from app.services.sessions import Ending
from bench.statements import is_write, recorded_statements
from tests.helpers import (
    CHROME_MAC,
    LAGOS,
    MADRID,
    SAFARI_IPHONE,
    VALENCIA,
    active_sessions,
    client_details,
    event_types,
    events_of,
    session_row,
    signed_in_client,
    snapshot_words,
)


@pytest.fixture
def sessions(services):
    return services.sessions


@pytest.fixture
def madrid(app):
    return client_details(app, CHROME_MAC, MADRID)


@pytest.fixture
def valencia(app):
    return client_details(app, SAFARI_IPHONE, VALENCIA)


# -- signing in -----------------------------------------------------------------


def test_sign_in_records_signed_in_with_the_device_and_place_of_that_moment(app, make_user, clock):
    user = make_user()
    signed_in_client(app, user.email, headers={"User-Agent": CHROME_MAC}, environ_base={"REMOTE_ADDR": MADRID})

    [event] = events_of(app, user.id)
    [row] = active_sessions(app, user.id)
    assert (event.event_type, event.actor_kind, event.actor_id) == (EventType.SIGNED_IN, ActorKind.USER, user.id)
    assert event.session_id == row.id
    assert (event_device(event), event_place(event), event.ip_address) == ("Chrome on macOS", "Madrid, Spain", MADRID)
    # Where it happened is kept as facts, worded when shown; the text columns are for older events.
    # The place's names in the other languages go with it, so the activity page names it in its reader's.
    assert event.details["where"] == {
        "browser": "Chrome 120", "os": "macOS 10.15", "device": None, "country": "Spain", "city": "Madrid",
        "places": {"es": {"country": "España", "city": "Madrid"}},
    }
    assert (event.device_summary, event.place) == (None, None)
    assert event.created_at == clock.now()


def test_a_failed_sign_in_is_recorded_on_the_account_and_committed(app, auth, make_user):
    user = make_user()

    response = auth.sign_in(user.email, "not the password", headers={"User-Agent": CHROME_MAC},
                            environ_base={"REMOTE_ADDR": LAGOS})

    assert response.status_code == 200 and auth.token is None
    [event] = events_of(app, user.id)
    assert event.event_type == EventType.SIGN_IN_FAILED
    # Whoever tried is not identified: no actor_id, whatever the email says.
    assert (event.actor_kind, event.actor_id, event.session_id) == (ActorKind.USER, None, None)
    assert (event_place(event), event.ip_address, event_device(event)) == ("Lagos, Nigeria", LAGOS, "Chrome on macOS")


def test_a_failed_sign_in_records_only_recognised_names_and_keeps_what_was_sent_for_staff(app, auth, make_user):
    user = make_user()
    sent = ("Mozilla/5.0 (Linux; Android 14; URGENT call support +1 555 0100) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36")

    auth.sign_in(user.email, "not the password", headers={"User-Agent": sent}, environ_base={"REMOTE_ADDR": LAGOS})

    [event] = events_of(app, user.id)
    assert (event_device(event), event_place(event), event.ip_address) == ("Chrome on Android", "Lagos, Nigeria", LAGOS)
    assert event.details == {
        "user_agent": sent,
        # Facts, not words, and only the names Doorman recognised: no "URGENT" model.
        "where": {"browser": "Chrome 120", "os": "Android 14", "device": None, "country": "Nigeria", "city": "Lagos",
                  "places": {"es": {"country": "Nigeria", "city": "Lagos"}}},
    }
    assert (event.device_summary, event.place) == (None, None)


def test_a_disabled_account_with_the_right_password_records_a_failed_attempt(app, auth, make_user):
    user = make_user()
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()

    auth.sign_in(user.email)

    assert event_types(app, user.id) == [EventType.SIGN_IN_FAILED]


def test_a_failed_sign_in_for_an_unknown_email_records_nothing(app, auth, make_user):
    make_user("known@example.com")
    auth.sign_in("nobody@example.com", "whatever it is")
    assert events_of(app) == []


@pytest.mark.config(MAX_SESSIONS_PER_USER=2)
def test_the_session_limit_records_each_session_it_ends(app, make_user, make_session, clock, madrid, valencia):
    user = make_user()
    oldest, _ = make_session(user, **valencia)
    clock.advance(minutes=1)
    make_session(user, **madrid)
    clock.advance(minutes=1)

    newest, _ = make_session(user, **madrid)

    evicted = [e for e in events_of(app, user.id) if e.event_type == EventType.SESSION_LIMIT_EVICTED]
    assert [(e.session_id, e.actor_kind, e.actor_id) for e in evicted] == [(oldest.id, ActorKind.SYSTEM, None)]
    assert (event_device(evicted[0]), event_place(evicted[0])) == ("Safari on iPhone", "Valencia, Spain")
    assert event_types(app, user.id)[-2:] == [EventType.SESSION_LIMIT_EVICTED, EventType.SIGNED_IN]


# -- ending sessions ------------------------------------------------------------


def test_signing_out_records_signed_out(app, make_user):
    user = make_user()
    browser = signed_in_client(
        app, user.email, headers={"User-Agent": CHROME_MAC}, environ_base={"REMOTE_ADDR": MADRID}
    )

    browser.post("/sign-out")

    event = events_of(app, user.id)[-1]
    assert (event.event_type, event.actor_kind, event.actor_id) == (EventType.SIGNED_OUT, ActorKind.USER, user.id)
    assert event.details["end_reason"] == EndReason.SIGNED_OUT
    assert (event_device(event), event_place(event)) == ("Chrome on macOS", "Madrid, Spain")


def test_signing_in_again_over_a_session_records_its_end(app, auth, signed_in):
    auth.sign_in(signed_in.email)
    assert event_types(app, signed_in.id) == ["signed_in", "signed_out", "signed_in"]
    assert events_of(app, signed_in.id)[1].details["end_reason"] == EndReason.SUPERSEDED


@pytest.mark.parametrize(
    ("reason", "ender", "expected_kind"),
    [
        (EndReason.REVOKED_BY_USER, "owner", ActorKind.USER),
        (EndReason.REVOKED_BY_SUPPORT, "staff", ActorKind.STAFF),
        (EndReason.PASSWORD_CHANGED, None, ActorKind.SYSTEM),
    ],
)
def test_ending_a_session_records_who_ended_it(app, app_context, sessions, make_user, make_session, valencia,
                                               reason, ender, expected_kind):
    owner, staff = make_user(), make_user(role="support")
    row, _ = make_session(owner, **valencia)
    ended_by = {"owner": owner.id, "staff": staff.id, None: None}[ender]
    staff_reason = "account recovery, ticket 4411" if ender == "staff" else None
    ending = {
        "owner": lambda: Ending.by_user(owner.id, reason),
        "staff": lambda: Ending.by_staff(staff.id, reason, staff_reason=staff_reason),
        None: lambda: Ending.by_system(reason),
    }[ender]()

    # The call the devices page makes, plus the reason only staff give.
    sessions.end(row.id, owner_id=owner.id, ending=ending)
    db.session.commit()

    event = events_of(app, owner.id)[-1]
    assert (event.event_type, event.actor_kind, event.actor_id) == (EventType.SESSION_REVOKED, expected_kind, ended_by)
    assert (event.session_id, event.reason) == (row.id, staff_reason)
    assert (event_device(event), event_place(event), event.ip_address) == (
        "Safari on iPhone", "Valencia, Spain", VALENCIA
    )
    assert event.details["end_reason"] == reason


def test_the_acting_requests_device_is_kept_apart_from_the_ended_sessions(app, app_context, sessions, make_user,
                                                                           make_session, madrid, valencia):
    owner = make_user()
    row, _ = make_session(owner, **valencia)

    sessions.end(row.id, owner_id=owner.id, ending=Ending.by_user(owner.id, EndReason.REVOKED_BY_USER, context=madrid))
    db.session.commit()

    event = events_of(app, owner.id)[-1]
    assert event_place(event) == "Valencia, Spain"  # the session that ended
    assert snapshot_words(event.details["from"]) == {
        "ip_address": MADRID, "device": "Chrome on macOS", "place": "Madrid, Spain"
    }


@pytest.mark.parametrize("staff_reason", [None, "", "   ", "ab", "  ab  ", "x" * 501])
def test_staff_must_give_a_reason_and_nothing_changes_without_one(app, app_context, sessions, make_user,
                                                                  make_session, staff_reason):
    owner, staff = make_user(), make_user(role="support")
    row, _ = make_session(owner)
    before = event_types(app)

    with pytest.raises(ReasonRequired):
        sessions.end(row.id, owner_id=owner.id,
                     ending=Ending.by_staff(staff.id, EndReason.REVOKED_BY_SUPPORT, staff_reason=staff_reason))
    with pytest.raises(ReasonRequired):
        sessions.end_all(owner.id, Ending.by_staff(staff.id, EndReason.REVOKED_BY_SUPPORT, staff_reason=staff_reason))
    db.session.commit()

    assert session_row(app, row.id).is_active
    assert event_types(app) == before


def test_a_staff_reason_is_stored_stripped(app, app_context, sessions, make_user, make_session):
    owner, staff = make_user(), make_user(role="admin")
    row, _ = make_session(owner)
    sessions.end(row.id, owner_id=owner.id,
                 ending=Ending.by_staff(staff.id, EndReason.REVOKED_BY_SUPPORT, staff_reason="  " + "r" * 500 + "\n"))
    db.session.commit()
    assert events_of(app, owner.id)[-1].reason == "r" * 500


def test_end_others_records_one_event_listing_the_sessions(app, app_context, sessions, make_user, make_session,
                                                           madrid, valencia):
    user = make_user()
    kept, _ = make_session(user, **madrid)
    ended = {make_session(user, **valencia)[0].id for _ in range(2)}

    count = sessions.end_others(
        user.id, keep_session_id=kept.id, ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER)
    )
    db.session.commit()

    assert count == 2
    event = events_of(app, user.id)[-1]
    assert (event.event_type, event.actor_kind, event.actor_id) == (
        EventType.OTHER_SESSIONS_REVOKED, ActorKind.USER, user.id
    )
    assert event.details["count"] == 2
    assert {uuid.UUID(s["session_id"]) for s in event.details["sessions"]} == ended
    assert {seen_in(s).place for s in event.details["sessions"]} == {"Valencia, Spain"}
    # Done from the kept session, which is where the event says it came from.
    assert (event_device(event), event_place(event), event.session_id) == ("Chrome on macOS", "Madrid, Spain", None)


def test_end_all_records_one_event_and_nothing_when_nothing_ended(app, app_context, sessions, make_user,
                                                                  make_session, madrid):
    user, staff = make_user(), make_user(role="support")
    for _ in range(3):
        make_session(user)

    by_staff = Ending.by_staff(staff.id, EndReason.REVOKED_BY_SUPPORT, staff_reason="ticket 4411", context=madrid)
    assert sessions.end_all(user.id, by_staff) == 3
    assert sessions.end_all(user.id, Ending.by_staff(staff.id, EndReason.REVOKED_BY_SUPPORT,
                                                     staff_reason="ticket 4411")) == 0
    db.session.commit()

    event = events_of(app, user.id)[-1]
    assert event_types(app, user.id).count(EventType.ALL_SESSIONS_REVOKED) == 1
    assert (event.event_type, event.actor_kind, event.actor_id, event.reason) == (
        EventType.ALL_SESSIONS_REVOKED, ActorKind.STAFF, staff.id, "ticket 4411")
    assert (event.details["count"], len(event.details["sessions"])) == (3, 3)
    # Where the staff member acted from is kept apart from the event's own place,
    # which the account holder reads.
    assert (event.ip_address, event_device(event), event_place(event)) == (None, None, None)
    assert snapshot_words(event.details["from"]) == {
        "ip_address": MADRID, "device": "Chrome on macOS", "place": "Madrid, Spain"
    }


def test_an_unknown_session_records_nothing(app, app_context, sessions, make_user, make_session):
    owner, intruder = make_user(), make_user()
    row, _ = make_session(owner)
    with pytest.raises(SessionNotFound):
        sessions.end(row.id, owner_id=intruder.id, ending=Ending.by_user(intruder.id, EndReason.REVOKED_BY_USER))
    db.session.commit()
    assert event_types(app) == [EventType.SIGNED_IN]


# -- roles ------------------------------------------------------------------------


def test_set_role_records_the_change_once(app, make_user):
    user = make_user()
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "set-role", user.email, "support"])
    runner.invoke(args=["users", "set-role", user.email, "support"])  # no change, no event

    [event] = events_of(app, user.id)
    assert (event.event_type, event.actor_kind, event.actor_id) == (EventType.ROLE_CHANGED, ActorKind.SYSTEM, None)
    assert event.details == {"from": "user", "to": "support"}


# -- history stays history ---------------------------------------------------------


def test_history_outlives_the_session_rows_it_describes(app, app_context, sessions, make_user, make_session,
                                                        clock, valencia):
    user = make_user()
    row, _ = make_session(user, **valencia)
    sessions.end(row.id, owner_id=user.id, ending=Ending.by_user(user.id, EndReason.REVOKED_BY_USER))
    db.session.commit()
    clock.advance(days=31)

    sessions.cleanup(commit=db.session.commit)

    assert session_row(app, row.id) is None
    events = events_of(app, user.id)
    assert [e.session_id for e in events] == [row.id, row.id]
    assert {(event_device(e), event_place(e)) for e in events} == {("Safari on iPhone", "Valencia, Spain")}


def test_events_go_with_their_account_and_outlive_the_staff_member(app, app_context, sessions, make_user,
                                                                   make_session):
    owner, staff, other = make_user(), make_user(role="support"), make_user()
    row, _ = make_session(owner)
    make_session(other)
    sessions.end(row.id, owner_id=owner.id,
                 ending=Ending.by_staff(staff.id, EndReason.REVOKED_BY_SUPPORT, staff_reason="ticket 1"))
    db.session.commit()

    db.session.delete(db.session.get(User, staff.id))
    db.session.commit()
    staff_event = events_of(app, owner.id)[-1]
    assert (staff_event.actor_id, staff_event.actor_kind, staff_event.reason) == (None, ActorKind.STAFF, "ticket 1")

    db.session.delete(db.session.get(User, owner.id))
    db.session.commit()
    assert events_of(app, owner.id) == []
    assert event_types(app, other.id) == [EventType.SIGNED_IN]


def test_no_code_path_updates_or_deletes_an_event(app, make_user, make_session):
    customer, staff = make_user(), make_user(role="admin")
    row, _ = make_session(customer)
    make_session(customer)

    with recorded_statements(app) as statements:
        browser = signed_in_client(app, customer.email)
        browser.post("/sign-in", data={"email": customer.email, "password": "wrong"})
        browser.get("/activity")
        desk = signed_in_client(app, staff.email)
        desk.get(f"/support/users/{customer.id}")
        desk.post(f"/support/users/{customer.id}/sessions/{row.id}/sign-out", data={"reason": "ticket 1"})
        desk.post(f"/support/users/{customer.id}/sign-out-all", data={"reason": "ticket 2"})
        desk.get("/support/audit")
        browser.post("/sign-out")

    writes = [s for s in statements if is_write(s) and "security_events" in s]
    assert writes and all(s.lstrip().upper().startswith("INSERT") for s in writes), writes


# -- one transaction -----------------------------------------------------------------


@pytest.fixture
def events_table_missing(app):
    """Make every insert into security_events fail, as a broken database would, then restore it."""

    def hide() -> None:
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                conn.execute(text("ALTER TABLE security_events RENAME TO security_events_hidden"))

    yield hide
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            names = set(db.inspect(conn).get_table_names())
            if "security_events_hidden" in names:
                conn.execute(text("ALTER TABLE security_events_hidden RENAME TO security_events"))


def test_a_revocation_whose_event_cannot_be_written_does_not_happen(app, make_user, make_session, services,
                                                                    events_table_missing):
    customer, staff = make_user(), make_user(role="support")
    row, token = make_session(customer)
    desk = signed_in_client(app, staff.email)
    events_table_missing()

    response = desk.post(f"/support/users/{customer.id}/sessions/{row.id}/sign-out",
                         data={"reason": "account recovery, ticket 4411"})

    assert response.status_code == 503
    assert "Signed out" not in response.get_data(as_text=True)
    with app.app_context():
        db.session.execute(text("ALTER TABLE security_events_hidden RENAME TO security_events"))
        db.session.commit()
        stored = db.session.get(UserSession, row.id)
        assert (stored.is_active, stored.revoked_at, stored.revoked_reason) == (True, None, None)
        assert db.session.scalar(
            select(db.func.count()).select_from(SecurityEvent).where(SecurityEvent.actor_id == staff.id,
                                                                     SecurityEvent.event_type != "signed_in")
        ) == 0
        assert services.sessions.resolve(token) is not None


def test_a_sign_in_whose_event_cannot_be_written_starts_no_session(app, auth, make_user, events_table_missing):
    user = make_user()
    events_table_missing()

    response = auth.sign_in(user.email)

    assert response.status_code == 503 and auth.token is None
    assert active_sessions(app, user.id) == []


# -- the clock -------------------------------------------------------------------------


def test_events_take_their_time_from_the_clock(app, make_user, make_session, clock):
    user = make_user()
    clock.advance(days=3, minutes=7)
    make_session(user)
    assert events_of(app, user.id)[0].created_at == clock.now()


# -- retention ---------------------------------------------------------------------------


def test_purge_deletes_only_events_older_than_the_retention_in_batches(app, app_context, make_user, clock, services):
    user = make_user()
    users = services.users
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            users.authenticate(user.email, "wrong")
    db.session.commit()
    clock.advance(days=30)
    with pytest.raises(InvalidCredentials):
        users.authenticate(user.email, "wrong")  # exactly 30 days newer: kept
    db.session.commit()
    clock.advance(seconds=1)
    commits = []

    deleted = services.audit.purge(
        older_than=timedelta(days=30), commit=lambda: (commits.append(1), db.session.commit()), batch_size=2)

    assert deleted == 5 and len(commits) == 3  # 2 + 2 + 1
    assert [e.created_at for e in events_of(app, user.id)] == [clock.now() - timedelta(seconds=1)]


def test_events_purge_command_reports_how_many(app, make_user, make_session, clock):
    user = make_user()
    for _ in range(3):
        make_session(user)
    clock.advance(days=91)
    make_session(user)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["events", "purge", "--older-than", "90"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Purged 3 security events older than 90 days."
    assert event_types(app, user.id) == [EventType.SIGNED_IN]
    assert runner.invoke(args=["events", "purge", "--older-than", "90"]).output.strip() == (
        "Purged 0 security events older than 90 days.")


@pytest.mark.parametrize("args", [[], ["--older-than", "0"], ["--older-than", "-5"], ["--older-than", "soon"]])
def test_events_purge_needs_a_positive_number_of_days(app, make_user, make_session, args):
    make_session(make_user())
    result = app.test_cli_runner().invoke(args=["events", "purge", *args])
    assert result.exit_code == 2
    assert len(events_of(app)) == 1


# -- demo data ------------------------------------------------------------------------------


def test_demo_data_has_a_realistic_past_recorded_through_the_services(app, services):
    runner = app.test_cli_runner()
    for _ in range(2):  # loading again replaces the history rather than adding to it
        assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        demo = db.session.scalar(select(User).where(User.email == "demo@example.com"))
        support = db.session.scalar(select(User).where(User.email == "support@example.com"))
    events = events_of(app, demo.id)

    [failed] = [e for e in events if e.event_type == EventType.SIGN_IN_FAILED]
    assert (failed.ip_address, event_place(failed)) == (LAGOS, "Lagos, Nigeria")
    [revoked] = [e for e in events if e.event_type == EventType.SESSION_REVOKED]
    assert (revoked.actor_kind, revoked.actor_id) == (ActorKind.STAFF, support.id)
    assert "ticket 4411" in revoked.reason
    ended = session_row(app, revoked.session_id)
    assert (ended.is_active, ended.revoked_reason, ended.revoked_by) == (
        False, EndReason.REVOKED_BY_SUPPORT, support.id
    )
    assert sum(e.event_type == EventType.SIGNED_IN for e in events) == 4  # three devices and the intruder
    assert all(e.created_at <= services.clock.now() for e in events)
