"""How sessions read on the page."""

from datetime import UTC, datetime, timedelta

import pytest

from app.account.presenters import exact_utc, session_label, session_place, session_title, short_date, time_ago
from app.models import UserSession

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
    assert exact_utc(moment) == "2026-11-03 09:05 UTC"
