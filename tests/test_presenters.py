"""How sessions, places, times, counts and end reasons read, in English and in Spanish."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask

from app.models import EndReason, UserSession
from app.presenters.devices import device_summary, place_label
from app.presenters.end_reasons import all_ended_for, end_reason_label, ended_session_message, others_ended_for
from app.presenters.plurals import plural
from app.presenters.sessions import (
    APP_MARK,
    APP_MARK_DESCRIPTION,
    session_label,
    session_place,
    session_title,
    signed_out_others,
    staff_signed_out_all,
)
from app.presenters.times import Moment, minutes_to_wait, short_date, time_ago
from app.services.sessions import ActiveSession
from tests.conftest import create_test_app
from tests.helpers import reading

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SPAIN_ES = {"es": {"country": "España", "city": "Madrid"}}
VALENCIA_ES = {"es": {"country": "España", "city": "Valencia"}}
BERLIN_ES = {"es": {"country": "Alemania", "city": "Berlín"}}


@pytest.fixture(scope="module")
def app() -> Flask:
    """An app for its catalogs and Babel: presenters read no database."""
    return create_test_app("sqlite://")


def session(places=None, **columns):
    row = UserSession(**columns)
    if places is not None:
        row.extra = {"places": places, "device_id": "A1B2"}
    return row


@pytest.mark.parametrize(
    ("columns", "title", "label", "title_es", "label_es"),
    [
        ({"browser": "Chrome 120", "os": "macOS 10.15", "city": "Madrid", "country": "Spain", "places": SPAIN_ES},
         "Chrome 120 on macOS 10.15", "Chrome on macOS in Madrid",
         "Chrome 120 en macOS 10.15", "Chrome en macOS en Madrid"),
        ({"browser": "Safari 17", "os": "iOS 17.1", "device": "iPhone", "city": "Valencia", "country": "Spain",
          "places": VALENCIA_ES},
         "Safari 17 on iOS 17.1", "Safari on iPhone in Valencia",
         "Safari 17 en iOS 17.1", "Safari en iPhone en Valencia"),
        ({"browser": "Firefox 121", "os": "Linux", "city": "Berlin", "country": "Germany", "places": BERLIN_ES},
         "Firefox 121 on Linux", "Firefox on Linux in Berlin", "Firefox 121 en Linux", "Firefox en Linux en Berlín"),
        # No Spanish name stored (a session from before, or a place the database has in English only): English.
        ({"browser": "Firefox 121", "os": "Linux", "city": "Lagos", "country": "Nigeria"},
         "Firefox 121 on Linux", "Firefox on Linux in Lagos", "Firefox 121 en Linux", "Firefox en Linux en Lagos"),
        ({"os": "Linux"}, "Unknown browser on Linux", "Unknown browser on Linux",
         "Navegador desconocido en Linux", "Navegador desconocido en Linux"),
        ({}, "Unknown browser", "Unknown browser", "Navegador desconocido", "Navegador desconocido"),
        # An app's session is named by the app, never by the web view its User-Agent parses to.
        ({"kind": "app", "client_name": "Doorman for iOS", "browser": "iOS WebView", "os": "iOS 17.1",
          "device": "iPhone", "city": "Valencia", "country": "Spain"},
         "Doorman for iOS · iOS 17.1", "Doorman for iOS on iPhone in Valencia",
         "Doorman for iOS · iOS 17.1", "Doorman for iOS en iPhone en Valencia"),
        ({"kind": "app", "client_name": "Doorman CLI", "os": "Linux"}, "Doorman CLI · Linux", "Doorman CLI on Linux",
         "Doorman CLI · Linux", "Doorman CLI en Linux"),
        ({"kind": "app", "browser": "curl 7"}, "Unnamed app", "Unnamed app", "App sin nombre", "App sin nombre"),
    ],
)
def test_titles_and_labels_in_both_languages(app, columns, title, label, title_es, label_es):
    row = session(**columns)
    with reading(app, "en"):
        assert (session_title(row), session_label(row)) == (title, label)
    with reading(app, "es"):
        assert (session_title(row), session_label(row)) == (title_es, label_es)


@pytest.mark.parametrize(
    ("browser", "os", "device", "versions", "en", "es"),
    [
        ("Chrome 120", "macOS 10.15", None, True, "Chrome 120 on macOS 10.15", "Chrome 120 en macOS 10.15"),
        ("Safari 17", "iOS 17.1", "iPhone", False, "Safari on iPhone", "Safari en iPhone"),
        ("curl 8", None, None, True, "curl 8", "curl 8"),
        (None, "Windows 10", None, True, "Unknown browser on Windows 10", "Navegador desconocido en Windows 10"),
        (None, None, None, True, "Unknown browser", "Navegador desconocido"),
    ],
)
def test_device_words_in_both_languages(app, browser, os, device, versions, en, es):
    for language, expected in (("en", en), ("es", es)):
        with reading(app, language):
            assert device_summary(browser, os, device, versions=versions) == expected


@pytest.mark.parametrize(
    ("columns", "en", "es"),
    [
        ({"city": "Madrid", "country": "Spain", "ip_address": "147.96.1.1", "places": SPAIN_ES},
         "Madrid, Spain", "Madrid, España"),
        ({"city": "London", "country": "United Kingdom", "ip_address": "81.2.69.142",
          "places": {"es": {"country": "Reino Unido", "city": "Londres"}}}, "London, United Kingdom",
         "Londres, Reino Unido"),
        # Only the country has a Spanish name: the city keeps its English one.
        ({"city": "Willesden", "country": "United Kingdom", "ip_address": "81.2.69.142",
          "places": {"es": {"country": "Reino Unido"}}}, "Willesden, United Kingdom", "Willesden, Reino Unido"),
        ({"city": "Lagos", "country": "Nigeria", "ip_address": "105.112.0.1"}, "Lagos, Nigeria", "Lagos, Nigeria"),
        ({"country": "Spain", "ip_address": "80.58.0.33"}, "Spain", "Spain"),
        ({"ip_address": "192.168.1.20"}, "Local network", "Red local"),
        ({"ip_address": "127.0.0.1"}, "Local network", "Red local"),
        ({"ip_address": "203.0.113.9"}, "Local network", "Red local"),  # TEST-NET-3 is reserved
        ({"ip_address": "8.8.4.4"}, "Unknown location", "Ubicación desconocida"),
        ({"ip_address": None}, "Unknown location", "Ubicación desconocida"),
    ],
)
def test_places_in_the_readers_language_from_stored_names(app, columns, en, es):
    row = session(**columns)
    with reading(app, "en"):
        assert session_place(row) == en
    with reading(app, "es"):
        assert session_place(row) == es
        assert place_label(row.country, row.city, row.ip_address, row.places) == es


def test_the_devices_pages_rows_carry_the_stored_names():
    """``list_active`` rows name the place from their ``places``, as an ORM row does."""
    row = ActiveSession(
        id=None, device_type="desktop", browser="Chrome 120", os="macOS 10.15", device=None,  # type: ignore[arg-type]
        country="United Kingdom", city="London", ip_address="81.2.69.142", user_agent=None, created_at=NOW,
        last_activity_at=NOW, kind="browser", client_name=None,
        places={"es": {"country": "Reino Unido", "city": "Londres"}},
    )
    app = create_test_app("sqlite://")
    with reading(app, "es"):
        assert (session_place(row), session_label(row)) == ("Londres, Reino Unido", "Chrome en macOS en Londres")


@pytest.mark.parametrize(
    ("ago", "en", "es"),
    [
        (timedelta(seconds=5), "just now", "justo ahora"),
        (timedelta(minutes=1), "1 minute ago", "hace 1 minuto"),
        (timedelta(minutes=5), "5 minutes ago", "hace 5 minutos"),
        (timedelta(minutes=59), "59 minutes ago", "hace 59 minutos"),
        (timedelta(hours=1), "1 hour ago", "hace 1 hora"),
        (timedelta(hours=11), "11 hours ago", "hace 11 horas"),
        (timedelta(days=1, hours=5), "yesterday", "ayer"),
        (timedelta(days=6), "6 days ago", "hace 6 días"),
        (timedelta(days=45), "on 9 Oct 2026", "el 9 oct 2026"),
        (timedelta(seconds=-30), "just now", "justo ahora"),  # a clock slightly behind the database's
    ],
)
def test_time_ago_in_both_languages(app, ago, en, es):
    with reading(app, "en"):
        assert time_ago(NOW - ago, NOW) == en
    with reading(app, "es"):
        assert time_ago(NOW - ago, NOW) == es


@pytest.mark.parametrize(("zone", "en", "es"), [
    ("UTC", "2 hours ago", "hace 2 horas"),  # 21:30 and 23:30 of 22 November
    ("Europe/Madrid", "yesterday", "ayer"),  # 22:30 of the 22nd, and 00:30 of the 23rd in Madrid
    ("America/New_York", "2 hours ago", "hace 2 horas"),
])
def test_yesterday_is_the_day_before_today_on_the_readers_calendar(app, zone, en, es):
    now = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    with reading(app, "en", zone):
        assert time_ago(now - timedelta(hours=2), now) == en
    with reading(app, "es", zone):
        assert time_ago(now - timedelta(hours=2), now) == es


@pytest.mark.parametrize(("language", "zone", "label", "exact", "date"), [
    ("en", "UTC", "3 Nov 2026, 09:05 UTC", "3 Nov 2026, 09:05:07 Coordinated Universal Time", "3 Nov 2026"),
    ("es", "UTC", "3 nov 2026, 09:05 UTC", "3 nov 2026, 09:05:07 tiempo universal coordinado", "3 nov 2026"),
    ("en", "Europe/Madrid", "3 Nov 2026, 10:05 +0100", "3 Nov 2026, 10:05:07 Central European Standard Time",
     "3 Nov 2026"),
    ("es", "Europe/Madrid", "3 nov 2026, 10:05 CET", "3 nov 2026, 10:05:07 hora estándar de Europa central",
     "3 nov 2026"),
    ("en", "America/New_York", "3 Nov 2026, 04:05 EST", "3 Nov 2026, 04:05:07 Eastern Standard Time", "3 Nov 2026"),
    ("es", "Pacific/Auckland", "3 nov 2026, 22:05 +1300", "3 nov 2026, 22:05:07 hora de verano de Nueva Zelanda",
     "3 nov 2026"),
])
def test_a_moment_reads_in_the_readers_language_and_zone_and_names_the_zone(app, language, zone, label, exact, date):
    at = datetime(2026, 11, 3, 11, 5, 7, tzinfo=timezone(timedelta(hours=2)))  # 09:05:07 UTC, from any offset
    with reading(app, language, zone):
        shown = Moment(at)
        assert (shown.label, shown.exact, short_date(at)) == (label, exact, date)
        assert shown.iso == "2026-11-03T09:05:07+00:00"  # an instant, in no one's zone
        assert shown.ago(at + timedelta(minutes=2)) == {"en": "2 minutes ago", "es": "hace 2 minutos"}[language]


@pytest.mark.parametrize(("noun", "count", "en", "es"), [
    ("session", 0, "0 sessions", "0 sesiones"),
    ("session", 1, "1 session", "1 sesión"),
    ("session", 2, "2 sessions", "2 sesiones"),
    ("other session", 1, "1 other session", "1 sesión más"),
    ("other session", 3, "3 other sessions", "3 sesiones más"),
    ("account", 1, "1 account", "1 cuenta"),
    ("account", 12, "12 accounts", "12 cuentas"),
    ("security event", 1, "1 security event", "1 evento de seguridad"),
    ("security event", 7, "7 security events", "7 eventos de seguridad"),
])
def test_counted_nouns_in_both_languages(app, noun, count, en, es):
    with reading(app, "en"):
        assert plural(count, noun) == en
    with reading(app, "es"):
        assert plural(count, noun) == es


def test_a_noun_without_its_messages_is_an_error_not_an_english_s(app):
    with reading(app, "es"), pytest.raises(KeyError):
        plural(2, "person")


def test_messages_after_signing_out_count_in_both_languages(app):
    with reading(app, "en"):
        assert [signed_out_others(n) for n in (0, 1, 3)] == [
            "There were no other sessions to sign out.", "Signed out 1 other session.", "Signed out 3 other sessions."]
        assert staff_signed_out_all(2, "a@example.com") == "Signed out 2 sessions of a@example.com."
        assert (str(APP_MARK), str(APP_MARK_DESCRIPTION)) == ("App", "signed in through an app")
    with reading(app, "es"):
        assert [signed_out_others(n) for n in (0, 1, 3)] == [
            "No había otras sesiones que cerrar.", "Se cerró 1 sesión más.", "Se cerraron 3 sesiones más."]
        assert staff_signed_out_all(1, "a@example.com") == "Se cerró 1 sesión de a@example.com."
        assert (str(APP_MARK), str(APP_MARK_DESCRIPTION)) == ("App", "sesión iniciada desde una app")


def test_minutes_to_wait(app):
    with reading(app, "en"):
        assert (minutes_to_wait(1), minutes_to_wait(5)) == ("a minute", "5 minutes")
    with reading(app, "es"):
        assert (minutes_to_wait(1), minutes_to_wait(5)) == ("un minuto", "5 minutos")


@pytest.mark.parametrize(
    ("reason", "label", "message", "label_es", "message_es"),
    [
        (EndReason.PASSWORD_CHANGED, "Password changed",
         "This session was signed out because the password was changed.",
         "Contraseña cambiada", "Se cerró esta sesión porque se cambió la contraseña."),
        (EndReason.REVOKED_BY_SUPPORT, "Signed out by support", "This session was signed out by Doorman support.",
         "Cerrada por el equipo de soporte", "El equipo de soporte de Doorman cerró esta sesión."),
        (EndReason.SIGNED_OUT, "Signed out", "You are signed out. Please sign in again.",
         "Sesión cerrada", "Tu sesión está cerrada. Vuelve a iniciar sesión."),
        ("expired", "Ended", "Your session expired. Please sign in again.",
         "Cerrada", "Tu sesión caducó. Vuelve a iniciar sesión."),
        (None, "Ended", "You are signed out. Please sign in again.",
         "Cerrada", "Tu sesión está cerrada. Vuelve a iniciar sesión."),
    ],
)
def test_each_end_reason_has_its_words_in_one_place(app, reason, label, message, label_es, message_es):
    with reading(app, "en"):
        assert (end_reason_label(reason), ended_session_message(reason)) == (label, message)
    with reading(app, "es"):
        assert (end_reason_label(reason), ended_session_message(reason)) == (label_es, message_es)


@pytest.mark.parametrize(("reason", "others", "everything", "others_es", "everything_es"), [
    (EndReason.PASSWORD_CHANGED, "2 other sessions signed out because the password was changed",
     "All sessions signed out because the password was changed (2 sessions)",
     "Se cerraron 2 sesiones más porque se cambió la contraseña",
     "Se cerraron todas las sesiones porque se cambió la contraseña (2 sesiones)"),
    (EndReason.ACCOUNT_DISABLED, "2 other sessions signed out because the account was disabled",
     "All sessions signed out because the account was disabled (2 sessions)",
     "Se cerraron 2 sesiones más porque se desactivó la cuenta",
     "Se cerraron todas las sesiones porque se desactivó la cuenta (2 sesiones)"),
    (EndReason.REVOKED_BY_SUPPORT, "2 other sessions signed out by support",
     "All sessions signed out by support (2 sessions)",
     "El equipo de soporte cerró 2 sesiones más", "El equipo de soporte cerró todas las sesiones (2 sesiones)"),
    (None, "2 other sessions signed out", "All sessions signed out (2 sessions)",
     "Se cerraron 2 sesiones más", "Se cerraron todas las sesiones (2 sesiones)"),
])
def test_batches_the_system_ended_read_as_whole_sentences(app, reason, others, everything, others_es, everything_es):
    with reading(app, "en"):
        assert (others_ended_for(reason, 2), all_ended_for(reason, 2)) == (others, everything)
    with reading(app, "es"):
        assert (others_ended_for(reason, 2), all_ended_for(reason, 2)) == (others_es, everything_es)


@pytest.mark.parametrize(("browser", "os", "device", "english", "spanish"), [
    ("Safari 17", "iOS 17.1", "iPhone", "Safari 17 on iOS 17.1 · iPhone", "Safari 17 en iOS 17.1 · iPhone"),
    ("Chrome 120", "macOS 10.15", None, "Chrome 120 on macOS 10.15", "Chrome 120 en macOS 10.15"),
])
def test_a_mail_names_browser_system_and_hardware(app, browser, os, device, english, spanish):
    from flask_babel import force_locale

    from app.presenters.devices import device_in_full

    with app.test_request_context():
        with force_locale("en"):
            assert device_in_full(browser, os, device) == english
        with force_locale("es"):
            assert device_in_full(browser, os, device) == spanish
