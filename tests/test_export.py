"""Downloading one's sessions and 90 days of activity, as CSV and as JSON, parsed back here."""

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import User, UserSession
from app.services.sessions import hash_token
from tests.conftest import PASSWORD, START
from tests.helpers import (
    CHROME_MAC,
    LAGOS,
    MADRID,
    SAFARI_IPHONE,
    VALENCIA,
    app_signed_in,
    client_details,
    signed_in_client,
)

AGENT_IP = "81.2.69.142"
REASON = "account recovery, ticket 4411"


@pytest.fixture
def history(app, make_user, make_session, clock, services):
    """A customer with a phone ended by support, an app, an old failed sign-in and this laptop; another account."""
    customer = make_user("customer@example.com")
    other = make_user("other@example.com")
    make_session(other, **client_details(app, CHROME_MAC, "8.8.8.8"))
    app.test_client().post("/sign-in", data={"email": customer.email, "password": "not the password"},
                           environ_base={"REMOTE_ADDR": LAGOS})
    clock.advance(days=91)  # that failure is now older than the export's 90 days
    phone, phone_token = make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    clock.advance(minutes=1)
    app_tokens = app_signed_in(app, customer.email, client_name="Doorman for iOS", ip_address=VALENCIA)
    clock.advance(minutes=1)
    agent = make_user("agent@example.com", role="support")
    desk = signed_in_client(app, agent.email, ip_address=AGENT_IP)
    assert desk.post(f"/support/users/{customer.id}/sessions/{phone.id}/sign-out",
                     data={"reason": REASON}).status_code == 302
    clock.advance(minutes=5)
    laptop = signed_in_client(app, customer.email, user_agent=CHROME_MAC, ip_address=MADRID)
    with app.app_context():
        hashes = [h for row in services.sessions.list_kept(customer.id)
                  for h in (row.session_token_hash, row.access_token_hash, row.refresh_token_hash) if h]
        password_hash = db.session.get(User, customer.id).password_hash
    secrets = [*hashes, password_hash, phone_token, app_tokens["access_token"], app_tokens["refresh_token"],
               laptop.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value, hash_token(phone_token)]
    return {"customer": customer, "laptop": laptop, "phone": phone, "app": app_tokens, "secrets": secrets}


def download(browser, kind, **kwargs):
    response = browser.get(f"/activity/export.{kind}", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def parse_csv(text):
    assert text.startswith("\ufeff")  # so spreadsheets read UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_json_download_holds_every_kept_session_and_the_last_90_days_of_activity(app, history):
    response = download(history["laptop"], "json")

    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="doorman-activity-2027-02-02.json"'
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "customer@example.com" and data["account"]["organisation"] is None
    assert datetime.fromisoformat(data["account"]["created_at"]).tzinfo is not None
    assert (data["exported_at"], data["activity_days"]) == ("2027-02-02T09:07:00+00:00", 90)
    by_status = {(s["kind"], s["status"], s["device"], s["place"], s["ip_address"]) for s in data["sessions"]}
    assert by_status == {
        ("browser", "active", "Chrome 120 on macOS 10.15", "Madrid, Spain", MADRID),
        ("app", "active", "Doorman for iOS · iOS 17.1", "Valencia, Spain", VALENCIA),
        ("browser", "ended", "Safari 17 on iOS 17.1", "Valencia, Spain", VALENCIA),
    }
    ended = next(s for s in data["sessions"] if s["status"] == "ended")
    assert ended["end_reason"] == "Signed out by support" and ended["ended_at"] == "2027-02-02T09:02:00+00:00"
    assert ended["id"] == str(history["phone"].id)
    sentences = [e["description"] for e in data["activity"]]
    assert sentences == [
        "Signed in from Chrome on macOS in Madrid, Spain",
        "Signed out by support: account recovery, ticket 4411",
        "Signed in from iOS WebView on iPhone in Valencia, Spain",
        "Signed in from Safari on iPhone in Valencia, Spain",
    ]
    assert [e["type"] for e in data["activity"]][:2] == ["signed_in", "session_revoked"]
    assert all(e["at"] >= "2026-11-04" for e in data["activity"])  # the failed sign-in of 91 days ago is not there


def test_the_csv_download_has_the_same_records(app, history):
    response = download(history["laptop"], "csv")

    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="doorman-activity-2027-02-02.csv"'
    rows = parse_csv(response.get_data(as_text=True))
    data = json.loads(download(history["laptop"], "json").get_data(as_text=True))
    assert [r["record"] for r in rows] == ["session"] * 3 + ["event"] * 4
    assert [r["id"] for r in rows] == [s["id"] for s in data["sessions"]] + [str(e["id"]) for e in data["activity"]]
    assert [r["description"] for r in rows[3:]] == [e["description"] for e in data["activity"]]
    staff_row = rows[4]  # the session support signed out, never where support was
    assert (staff_row["by_support"], staff_row["device"], staff_row["ip_address"]) == (
        "yes", "Safari on iPhone in Valencia, Spain", VALENCIA)


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_no_token_hash_password_hash_or_staff_detail_is_in_a_download(app, history, kind):
    body = download(history["laptop"], kind).get_data(as_text=True)
    for secret in history["secrets"]:
        assert secret not in body
    assert AGENT_IP not in body and "agent@example.com" not in body  # support acted; who and from where is theirs
    assert "other@example.com" not in body and "8.8.8.8" not in body
    for name in ("token", "hash", "password", "credentials", "metadata"):
        assert name not in body.lower().replace("an old token", "")


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_a_download_speaks_the_readers_language(app, history, kind):
    body = download(history["laptop"], kind, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Inicio de sesión desde Chrome en macOS en Madrid, España" in body
    assert "Madrid, España" in body


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted(app, make_user):
    user = make_user()
    browser = signed_in_client(app, user.email, user_agent='=HYPERLINK("http://evil.example","x")')
    rows = parse_csv(download(browser, "csv").get_data(as_text=True))
    assert rows[0]["user_agent"] == "'" + '=HYPERLINK("http://evil.example","x")'
    data = json.loads(download(browser, "json").get_data(as_text=True))
    assert data["sessions"][0]["user_agent"] == '=HYPERLINK("http://evil.example","x")'  # JSON keeps it as sent


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_a_download_needs_a_signed_in_visitor(client, kind):
    response = client.get(f"/activity/export.{kind}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_the_activity_page_offers_both_downloads(app, signed_in, client):
    page = client.get("/activity").get_data(as_text=True)
    assert 'href="/activity/export.csv" download' in page and 'href="/activity/export.json" download' in page
    assert "last 90 days of activity" in page


def test_an_expired_session_reads_as_ended_when_it_expired(app, make_user, make_session, clock):
    user = make_user()
    browser = signed_in_client(app, user.email)
    expired, _ = make_session(user)
    with app.app_context():
        db.session.execute(update(UserSession).where(UserSession.id == expired.id)
                           .values(expires_at=START + timedelta(minutes=1)))
        db.session.commit()
    clock.advance(minutes=2)  # kept until cleanup or the next sign-in, but it opens nothing
    sessions = {s["id"]: s for s in json.loads(download(browser, "json").get_data(as_text=True))["sessions"]}
    assert [sessions[str(expired.id)][key] for key in ("status", "ended_at", "end_reason")] == [
        "ended", "2026-11-03T09:01:00+00:00", None]
    assert [s["status"] for s in sessions.values()].count("active") == 1


def test_the_organisation_is_named(app, make_user, services):
    with app.app_context():
        services.users.create("member@example.com", PASSWORD, organisation=services.organisations.create("Acme"))
        db.session.commit()
    data = json.loads(download(signed_in_client(app, "member@example.com"), "json").get_data(as_text=True))
    assert data["account"]["organisation"] == "Acme"
    assert data["activity"][-1]["description"] == "Account added to the organisation Acme"
