"""How sessions read on the page."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.models import EndReason, UserSession
from app.presenters import end_reasons
from app.presenters.end_reasons import end_reason_label, ended_session_message
from app.presenters.plurals import plural
from app.presenters.sessions import session_label, session_place, session_title
from app.presenters.times import Moment, exact_utc, minutes_to_wait, short_date, time_ago

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def session(**columns):
    return UserSession(**columns)


@pytest.mark.parametrize(
    ("columns", "title", "label"),
    [
        ({"browser": "Chrome 120", "os": "macOS 10.15", "city": "Madrid", "country": "Spain"},
         "Chrome 120 on macOS 10.15", "Chrome on macOS in Madrid"),
        ({"browser": "Safari 17", "os": "iOS 17.1", "device": "iPhone", "city": "Valencia", "country": "Spain"},
         "Safari 17 on iOS 17.1", "Safari on iPhone in Valencia"),
        ({"browser": "Firefox 121", "os": "Linux", "country": "Germany"},
         "Firefox 121 on Linux", "Firefox on Linux in Germany"),
        ({}, "Unknown browser", "Unknown browser"),
        # An app's session is named by the app, never by the web view its User-Agent parses to.
        ({"kind": "app", "client_name": "Doorman for iOS", "browser": "iOS WebView", "os": "iOS 17.1",
          "device": "iPhone", "city": "Valencia", "country": "Spain"},
         "Doorman for iOS · iOS 17.1", "Doorman for iOS on iPhone in Valencia"),
        ({"kind": "app", "client_name": "Doorman CLI", "os": "Linux"}, "Doorman CLI · Linux", "Doorman CLI on Linux"),
        ({"kind": "app", "browser": "curl 7"}, "Unnamed app", "Unnamed app"),
    ],
)
def test_titles_and_labels(columns, title, label):
    row = session(**columns)
    assert session_title(row) == title
    assert session_label(row) == label


@pytest.mark.parametrize(
    ("columns", "place"),
    [
        ({"city": "Madrid", "country": "Spain", "ip_address": "147.96.1.1"}, "Madrid, Spain"),
        ({"country": "Spain", "ip_address": "80.58.0.33"}, "Spain"),
        ({"ip_address": "192.168.1.20"}, "Local network"),
        ({"ip_address": "127.0.0.1"}, "Local network"),
        ({"ip_address": "203.0.113.9"}, "Local network"),  # TEST-NET-3 is reserved
        ({"ip_address": "8.8.4.4"}, "Unknown location"),
        ({"ip_address": None}, "Unknown location"),
    ],
)
def test_places(columns, place):
    assert session_place(session(**columns)) == place


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=59), "59 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=23), "23 hours ago"),
        (timedelta(days=1, hours=5), "yesterday"),
        (timedelta(days=6), "6 days ago"),
        (timedelta(days=45), "on 9 Oct 2026"),
        (timedelta(seconds=-30), "just now"),  # a clock slightly behind the database's
    ],
)
def test_time_ago(ago, text):
    assert time_ago(NOW - ago, NOW) == text


def test_dates():
    moment = datetime(2026, 11, 3, 9, 5, tzinfo=UTC)
    assert short_date(moment) == "3 Nov 2026"
    assert exact_utc(moment) == "2026-11-03 09:05:00 UTC"


@pytest.mark.parametrize(("count", "text"), [(0, "0 sessions"), (1, "1 session"), (2, "2 sessions")])
def test_plural(count, text):
    assert plural(count, "session") == text
    assert plural(count, "person", "people") == text.replace("sessions", "people").replace("session", "person")


def test_minutes_to_wait():
    assert (minutes_to_wait(1), minutes_to_wait(5)) == ("a minute", "5 minutes")


def test_one_moment_reads_the_same_everywhere():
    at = datetime(2026, 11, 3, 9, 5, 7, tzinfo=timezone(timedelta(hours=2)))
    shown = Moment(at)
    assert (shown.label, shown.exact, shown.iso) == (
        "3 Nov 2026, 07:05 UTC", "2026-11-03 07:05:07 UTC", "2026-11-03T07:05:07+00:00")
    assert shown.ago(at + timedelta(minutes=2)) == "2 minutes ago"


@pytest.mark.parametrize(
    ("reason", "label", "because", "message"),
    [
        (EndReason.PASSWORD_CHANGED, "Password changed", " because the password was changed",
         "This session was signed out because the password was changed."),
        (EndReason.REVOKED_BY_SUPPORT, "Signed out by support", " by support",
         "This session was signed out by Doorman support."),
        (EndReason.SIGNED_OUT, "Signed out", "", "You are signed out. Please sign in again."),
        ("expired", "Ended", "", "Your session expired. Please sign in again."),
        (None, "Ended", "", "You are signed out. Please sign in again."),
    ],
)
def test_each_end_reason_has_its_words_in_one_place(reason, label, because, message):
    assert (end_reason_label(reason), end_reasons.because(reason), ended_session_message(reason)) == (
        label, because, message)
