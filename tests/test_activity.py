"""The account holder's security activity: sentences from the presenter, and the page."""

import html
import re
from datetime import UTC, datetime

import pytest

from app.extensions import db
from app.models import ActorKind, EndReason, EventType, SecurityEvent, User
from app.presenters.activity import describe
from app.presenters.devices import device_phrase
from app.services.errors import InvalidCredentials
from app.services.sessions import Ending
from tests.conftest import create_test_app
from tests.helpers import (
    CHROME_MAC,
    LAGOS,
    MADRID,
    SAFARI_IPHONE,
    VALENCIA,
    client_details,
    reading,
    record_worded_event,
    signed_in_client,
)

AT = datetime(2026, 11, 3, 9, 0, 5, tzinfo=UTC)


def event(event_type=EventType.SIGNED_IN, *, actor_kind=ActorKind.USER, device=None, place=None, reason=None,
          details=None, actor=None, ip=None):
    """An unsaved event: the presenter reads only its fields."""
    return SecurityEvent(
        event_type=event_type, actor_kind=actor_kind, actor_id=actor.id if actor else None, actor=actor,
        device_summary=device, place=place, reason=reason, details=details or {}, ip_address=ip, created_at=AT,
    )


# -- sentences ------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogs():
    """An app for its catalogs and Babel: describing an event reads no database."""
    return create_test_app("sqlite://")


AGENT = User(id=7, email="agent@example.com", role="support")
NOTHING_KNOWN = {"browser": None, "os": None, "device": None, "country": None, "city": None}
MAC_IN_MADRID = {"browser": "Chrome 120", "os": "macOS 10.15", "device": None, "country": "Spain", "city": "Madrid",
                 "places": {"es": {"country": "España", "city": "Madrid"}}}
IPHONE_IN_VALENCIA = {
    "browser": "Safari 17", "os": "iOS 17.1", "device": "iPhone", "country": "Spain", "city": "Valencia",
    "places": {"es": {"country": "España", "city": "Valencia"}},
}
LINUX_IN_LONDON = {"browser": "Firefox 121", "os": "Linux", "device": None, "country": "United Kingdom",
                   "city": "London", "places": {"es": {"country": "Reino Unido", "city": "Londres"}}}
# Names the database has in English only: every language reads them.
WINDOWS_IN_LAGOS = {"browser": "Chrome 118", "os": "Windows 10", "device": None, "country": "Nigeria",
                    "city": "Lagos"}
LINUX_ON_A_LOCAL_NETWORK = {**NOTHING_KNOWN, "os": "Linux 6"}


def at(where, ip, **fields):
    return event(details={"where": where, **fields.pop("details", {})}, ip=ip, **fields)


def revoked(actor_kind, **fields):
    return at(IPHONE_IN_VALENCIA, VALENCIA, event_type=EventType.SESSION_REVOKED, actor_kind=actor_kind, **fields)


def batch(event_type, actor_kind, count, **details):
    return event(event_type, actor_kind=actor_kind, details={"count": count, **details},
                 reason="ticket 7" if actor_kind == ActorKind.STAFF else None,
                 actor=AGENT if actor_kind == ActorKind.STAFF else None)


# (event, for staff, English, Spanish): every sentence of the activity page and the support console.
SENTENCES = [
    (at(MAC_IN_MADRID, MADRID, event_type=EventType.SIGNED_IN), False,
     "Signed in from Chrome on macOS in Madrid, Spain", "Inicio de sesión desde Chrome en macOS en Madrid, España"),
    (at(WINDOWS_IN_LAGOS, LAGOS, event_type=EventType.SIGN_IN_FAILED), False,
     "Failed sign-in attempt from Lagos, Nigeria", "Intento fallido de inicio de sesión desde Lagos, Nigeria"),
    (at(NOTHING_KNOWN, "8.8.4.4", event_type=EventType.SIGN_IN_FAILED), False,
     "Failed sign-in attempt from an unknown location",
     "Intento fallido de inicio de sesión desde una ubicación desconocida"),
    (at(NOTHING_KNOWN, "10.0.0.7", event_type=EventType.SIGN_IN_FAILED), True,
     "Failed sign-in attempt from a local network", "Intento fallido de inicio de sesión desde una red local"),
    (at(LINUX_IN_LONDON, "81.2.69.142", event_type=EventType.SIGNED_OUT,
        details={"end_reason": EndReason.SIGNED_OUT}), False,
     "Signed out of Firefox on Linux in London, United Kingdom",
     "Sesión cerrada en Firefox en Linux en Londres, Reino Unido"),
    (at(IPHONE_IN_VALENCIA, VALENCIA, event_type=EventType.SIGNED_OUT,
        details={"end_reason": EndReason.SUPERSEDED}), False,
     "Signed in again on Safari on iPhone in Valencia, Spain, which ended the session there",
     "Se volvió a iniciar sesión en Safari en iPhone en Valencia, España, lo que cerró la sesión que había allí"),
    (revoked(ActorKind.USER, details={"end_reason": EndReason.REVOKED_BY_USER}), False,
     "You signed out Safari on iPhone in Valencia, Spain",
     "Cerraste la sesión de Safari en iPhone en Valencia, España"),
    (revoked(ActorKind.USER, details={"end_reason": EndReason.REVOKED_BY_USER}), True,
     "The user signed out Safari on iPhone in Valencia, Spain",
     "El usuario cerró la sesión de Safari en iPhone en Valencia, España"),
    (revoked(ActorKind.STAFF, reason="account recovery, ticket 4411", actor=AGENT), False,
     "Signed out by support: account recovery, ticket 4411",
     "El equipo de soporte cerró la sesión: account recovery, ticket 4411"),  # what staff typed stays as typed
    (revoked(ActorKind.STAFF, reason="account recovery, ticket 4411", actor=AGENT), True,
     "Signed out by support (agent@example.com): account recovery, ticket 4411",
     "El equipo de soporte (agent@example.com) cerró la sesión: account recovery, ticket 4411"),
    (revoked(ActorKind.SYSTEM, details={"end_reason": EndReason.PASSWORD_CHANGED}), False,
     "Safari on iPhone in Valencia, Spain was signed out because the password was changed",
     "Se cerró la sesión de Safari en iPhone en Valencia, España porque se cambió la contraseña"),
    (revoked(ActorKind.SYSTEM, details={"end_reason": EndReason.ACCOUNT_DISABLED}), False,
     "Safari on iPhone in Valencia, Spain was signed out because the account was disabled",
     "Se cerró la sesión de Safari en iPhone en Valencia, España porque se desactivó la cuenta"),
    (revoked(ActorKind.SYSTEM, details={"end_reason": EndReason.REVOKED_BY_SUPPORT}), False,
     "Safari on iPhone in Valencia, Spain was signed out by support",
     "El equipo de soporte cerró la sesión de Safari en iPhone en Valencia, España"),
    (revoked(ActorKind.SYSTEM), False,
     "Safari on iPhone in Valencia, Spain was signed out",
     "Se cerró la sesión de Safari en iPhone en Valencia, España"),
    (at(LINUX_ON_A_LOCAL_NETWORK, "192.168.1.20", event_type=EventType.SESSION_LIMIT_EVICTED,
        actor_kind=ActorKind.SYSTEM, details={"end_reason": EndReason.SESSION_LIMIT}), False,
     "An unknown browser on Linux on a local network was signed out"
     " because the account was signed in on too many devices",
     "Se cerró la sesión de un navegador desconocido en Linux en una red local"
     " porque la cuenta tenía la sesión iniciada en demasiados dispositivos"),
    (at(IPHONE_IN_VALENCIA, VALENCIA, event_type=EventType.REFRESH_TOKEN_REUSED, actor_kind=ActorKind.SYSTEM), False,
     "An app's sign-in was ended because an old token was used again",
     "Se cerró la sesión de una app porque se volvió a usar un token antiguo"),
    (batch(EventType.OTHER_SESSIONS_REVOKED, ActorKind.USER, 1), False,
     "You signed out 1 other session", "Cerraste 1 sesión más"),
    (batch(EventType.OTHER_SESSIONS_REVOKED, ActorKind.USER, 2), False,
     "You signed out 2 other sessions", "Cerraste 2 sesiones más"),
    (batch(EventType.OTHER_SESSIONS_REVOKED, ActorKind.USER, 2), True,
     "The user signed out 2 other sessions", "El usuario cerró 2 sesiones más"),
    (batch(EventType.OTHER_SESSIONS_REVOKED, ActorKind.SYSTEM, 1, end_reason=EndReason.PASSWORD_CHANGED), False,
     "1 other session signed out because the password was changed",
     "Se cerró 1 sesión más porque se cambió la contraseña"),
    (batch(EventType.OTHER_SESSIONS_REVOKED, ActorKind.STAFF, 2), False,
     "Other sessions signed out by support: ticket 7", "El equipo de soporte cerró las demás sesiones: ticket 7"),
    (batch(EventType.OTHER_SESSIONS_REVOKED, ActorKind.STAFF, 2), True,
     "Other sessions signed out by support (agent@example.com): ticket 7",
     "El equipo de soporte (agent@example.com) cerró las demás sesiones: ticket 7"),
    (batch(EventType.ALL_SESSIONS_REVOKED, ActorKind.USER, 3), False,
     "You signed out everywhere (3 sessions)", "Cerraste la sesión en todas partes (3 sesiones)"),
    (batch(EventType.ALL_SESSIONS_REVOKED, ActorKind.USER, 1), True,
     "The user signed out everywhere (1 session)", "El usuario cerró la sesión en todas partes (1 sesión)"),
    (batch(EventType.ALL_SESSIONS_REVOKED, ActorKind.STAFF, 3), False,
     "All sessions signed out by support: ticket 7", "El equipo de soporte cerró todas las sesiones: ticket 7"),
    (batch(EventType.ALL_SESSIONS_REVOKED, ActorKind.STAFF, 3), True,
     "All sessions signed out by support (agent@example.com): ticket 7",
     "El equipo de soporte (agent@example.com) cerró todas las sesiones: ticket 7"),
    (batch(EventType.ALL_SESSIONS_REVOKED, ActorKind.SYSTEM, 2, end_reason=EndReason.ACCOUNT_DISABLED), False,
     "All sessions signed out because the account was disabled (2 sessions)",
     "Se cerraron todas las sesiones porque se desactivó la cuenta (2 sesiones)"),
    (batch(EventType.ALL_SESSIONS_REVOKED, ActorKind.SYSTEM, 1, end_reason=EndReason.REVOKED_BY_SUPPORT), True,
     "All sessions signed out by support (1 session)", "El equipo de soporte cerró todas las sesiones (1 sesión)"),
    (at(MAC_IN_MADRID, MADRID, event_type=EventType.PASSWORD_CHANGED), False,
     "You changed the password", "Cambiaste la contraseña"),
    (at(MAC_IN_MADRID, MADRID, event_type=EventType.PASSWORD_CHANGED), True,
     "The user changed the password", "El usuario cambió la contraseña"),
    (event(EventType.ROLE_CHANGED, actor_kind=ActorKind.SYSTEM, details={"from": "user", "to": "support"}), False,
     "Account role changed from user to support", "El rol de la cuenta cambió de usuario a soporte"),
    (event(EventType.ORGANISATION_CHANGED, actor_kind=ActorKind.SYSTEM, details={"from": None, "to": "Acme"}), False,
     "Account added to the organisation Acme", "Cuenta añadida a la organización Acme"),
    (event(EventType.ORGANISATION_CHANGED, actor_kind=ActorKind.SYSTEM, details={"from": "Acme", "to": "Globex"}),
     True, "Account moved from the organisation Acme to Globex",
     "Cuenta trasladada de la organización Acme a Globex"),
    (at(IPHONE_IN_VALENCIA, VALENCIA, event_type=EventType.STAFF_REVEALED_IP, actor_kind=ActorKind.STAFF,
        actor=AGENT, reason="ticket 7"), False,
     "Support looked at the full IP address of Safari on iPhone in Valencia, Spain: ticket 7",
     "El equipo de soporte consultó la dirección IP completa de Safari en iPhone en Valencia, España: ticket 7"),
    (at(IPHONE_IN_VALENCIA, VALENCIA, event_type=EventType.STAFF_REVEALED_IP, actor_kind=ActorKind.STAFF,
        actor=AGENT, reason="ticket 7"), True,
     "Support (agent@example.com) looked at the full IP address of Safari on iPhone in Valencia, Spain: ticket 7",
     "El equipo de soporte (agent@example.com) consultó la dirección IP completa de Safari en iPhone en Valencia,"
     " España: ticket 7"),
    (event(EventType.STAFF_VIEWED_SESSIONS, actor_kind=ActorKind.STAFF, actor=AGENT), False,
     "Support viewed this account's sessions", "El equipo de soporte consultó las sesiones de esta cuenta"),
    (event(EventType.STAFF_VIEWED_SESSIONS, actor_kind=ActorKind.STAFF, actor=AGENT), True,
     "Support (agent@example.com) viewed this account's sessions",
     "El equipo de soporte (agent@example.com) consultó las sesiones de esta cuenta"),
    (event(EventType.SESSION_MOVED, actor_kind=ActorKind.SYSTEM, details={
        "from": {"country_code": "DE", "country": "Germany", "city": "Berlin",
                 "places": {"es": {"country": "Alemania", "city": "Berlín"}}},
        "to": {"country_code": "NG", "country": "Nigeria", "city": "Lagos", "places": None}}), False,
     "This session moved from Berlin, Germany to Lagos, Nigeria",
     "Esta sesión se movió de Berlín, Alemania a Lagos, Nigeria"),
    (event("something_new"), False, "Security event: something new", "Evento de seguridad: something new"),
]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(("made", "for_staff", "english", "spanish"), SENTENCES)
def test_each_event_reads_as_a_sentence_in_the_readers_language(catalogs, language, made, for_staff, english,
                                                                spanish):
    with reading(catalogs, language):
        assert describe(made, for_staff=for_staff).sentence == {"en": english, "es": spanish}[language]


def test_every_event_type_has_its_sentences():
    told = {made.event_type for made, *_ in SENTENCES}
    assert set(EventType) <= told


@pytest.mark.parametrize(("language", "notes"), [
    ("en", ["Chrome on Windows", "an unknown device", "Safari on iPhone in Valencia, Spain",
            "Safari on iPhone in Valencia, Spain; an unknown browser on a local network; and 3 more"]),
    ("es", ["Chrome en Windows", "un dispositivo desconocido", "Safari en iPhone en Valencia, España",
            "Safari en iPhone en Valencia, España; un navegador desconocido en una red local; y 3 más"]),
])
def test_notes_say_which_device_in_the_readers_language(catalogs, language, notes):
    listed = [{"session_id": "x", "ip_address": VALENCIA, **IPHONE_IN_VALENCIA},
              {"session_id": "y", "ip_address": "127.0.0.1", **NOTHING_KNOWN}]
    made = [
        at(WINDOWS_IN_LAGOS, LAGOS, event_type=EventType.SIGN_IN_FAILED),
        at(NOTHING_KNOWN, "8.8.4.4", event_type=EventType.SIGN_IN_FAILED),
        revoked(ActorKind.STAFF, reason="ticket 4411"),
        batch(EventType.ALL_SESSIONS_REVOKED, ActorKind.USER, 5, sessions=listed),
    ]
    with reading(catalogs, language):
        assert [describe(e).note for e in made] == notes


@pytest.mark.parametrize(
    ("made", "sentence"),
    [
        (event(EventType.SIGNED_IN, device="Chrome on macOS", place="Madrid, Spain"),
         "Signed in from Chrome on macOS in Madrid, Spain"),
        (event(EventType.SIGN_IN_FAILED, device="Chrome on Windows", place="Lagos, Nigeria"),
         "Failed sign-in attempt from Lagos, Nigeria"),
        (event(EventType.SIGN_IN_FAILED, place="Unknown location"), "Failed sign-in attempt from an unknown location"),
        (event(EventType.SIGNED_OUT, device="Chrome on macOS", place="Madrid, Spain",
               details={"end_reason": EndReason.SIGNED_OUT}),
         "Signed out of Chrome on macOS in Madrid, Spain"),
        (event(EventType.SESSION_REVOKED, actor_kind=ActorKind.SYSTEM, device="Safari on iPhone",
               place="Valencia, Spain", details={"end_reason": EndReason.PASSWORD_CHANGED}),
         "Safari on iPhone in Valencia, Spain was signed out because the password was changed"),
        (event(EventType.SESSION_LIMIT_EVICTED, actor_kind=ActorKind.SYSTEM, device="Unknown browser on Linux",
               place="Local network"),
         "An unknown browser on Linux on a local network was signed out"
         " because the account was signed in on too many devices"),
    ],
)
def test_events_recorded_as_words_read_as_they_were(catalogs, made, sentence):
    with reading(catalogs, "en"):
        assert describe(made).sentence == sentence


def test_stored_words_are_shown_as_stored_in_spanish_and_doormans_own_are_translated(catalogs):
    worded = event(EventType.SIGNED_IN, device="Chrome on macOS", place="Madrid, Spain")
    unknown = event(EventType.SESSION_LIMIT_EVICTED, actor_kind=ActorKind.SYSTEM, device="Unknown browser on Linux",
                    place="Local network")
    with reading(catalogs, "es"):
        assert describe(worded).sentence == "Inicio de sesión desde Chrome on macOS en Madrid, Spain"
        assert describe(unknown).sentence == (
            "Se cerró la sesión de un navegador desconocido en Linux en una red local"
            " porque la cuenta tenía la sesión iniciada en demasiados dispositivos")


def test_a_name_that_opens_a_sentence_keeps_its_case(catalogs):
    """"iOS WebView on iPhone ... was signed out": only Doorman's own words take a capital."""
    app_view = {**NOTHING_KNOWN, "browser": "iOS WebView", "device": "iPhone"}
    made = at(app_view, "8.8.4.4", event_type=EventType.SESSION_LIMIT_EVICTED, actor_kind=ActorKind.SYSTEM)
    with reading(catalogs, "en"):
        assert describe(made).sentence == (
            "iOS WebView on iPhone was signed out because the account was signed in on too many devices")


def test_support_actions_are_marked_and_name_the_device():
    entry = describe(event(EventType.SESSION_REVOKED, actor_kind=ActorKind.STAFF, device="Safari on iPhone",
                           place="Valencia, Spain", reason="ticket 4411"))
    assert entry.by_support and entry.note == "Safari on iPhone in Valencia, Spain"
    assert not describe(event(EventType.SIGNED_IN)).by_support


def test_failed_attempts_carry_device_and_ip_and_are_flagged():
    entry = describe(event(EventType.SIGN_IN_FAILED, device="Chrome on Windows", place="Lagos, Nigeria", ip=LAGOS))
    assert (entry.failed, entry.note, entry.ip_address) == (True, "Chrome on Windows", LAGOS)


@pytest.mark.parametrize(("language", "zone", "label", "exact"), [
    ("en", "UTC", "3 Nov 2026, 09:00 UTC", "3 Nov 2026, 09:00:05 Coordinated Universal Time"),
    ("es", "Europe/Madrid", "3 nov 2026, 10:00 CET", "3 nov 2026, 10:00:05 hora estándar de Europa central"),
])
def test_times_are_shown_in_the_readers_zone_with_the_iso_instant_for_machines(catalogs, language, zone, label,
                                                                               exact):
    with reading(catalogs, language, zone):
        when = describe(event(EventType.SIGNED_IN)).when
        assert (when.label, when.exact, when.iso) == (label, exact, "2026-11-03T09:00:05+00:00")


@pytest.mark.parametrize(("device", "phrase"), [("Chrome on macOS", "Chrome on macOS"), (None, "an unknown device"),
                                                ("Unknown browser", "an unknown browser"),
                                                ("Unknown browser on Linux", "an unknown browser on Linux")])
def test_device_phrase(device, phrase):
    assert device_phrase(device) == phrase


# -- the page ---------------------------------------------------------------------


def sentences(page_html: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", s).split())
            for s in re.findall(r'<p class="activity__sentence">(.*?)</p>', page_html, re.S)]


def test_activity_needs_a_signed_in_visitor(client):
    response = client.get("/activity")
    assert (response.status_code, response.headers["Location"]) == (302, "/sign-in?next=/activity")


def test_the_page_tells_what_happened_newest_first(app, make_user, make_session, clock, services):
    user, staff = make_user(), make_user(role="support")
    phone, _ = make_session(user, **client_details(app, SAFARI_IPHONE, VALENCIA))
    clock.advance(hours=1)
    browser = app.test_client()
    browser.post("/sign-in", data={"email": user.email, "password": "wrong"},
                 environ_base={"REMOTE_ADDR": LAGOS})
    clock.advance(hours=1)
    with app.app_context():
        services.sessions.end(
            phone.id, owner_id=user.id,
            ending=Ending.by_staff(
                staff.id, EndReason.REVOKED_BY_SUPPORT, staff_reason="account recovery, ticket 4411"
            ))
        db.session.commit()
    clock.advance(hours=1)
    browser = signed_in_client(app, user.email, headers={"User-Agent": CHROME_MAC},
                               environ_base={"REMOTE_ADDR": MADRID})

    response = browser.get("/activity")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert sentences(page) == [
        "Signed in from Chrome on macOS in Madrid, Spain",
        "Support Signed out by support: account recovery, ticket 4411",
        "Failed sign-in attempt from Lagos, Nigeria",
        "Signed in from Safari on iPhone in Valencia, Spain",
    ]
    assert '<span class="badge badge--support">Support</span>' in page
    # The sessions signed in from Madrid and Valencia: the reader's zone is Madrid's until they choose one.
    assert ('<time datetime="2026-11-03T12:00:00+00:00" title="3 Nov 2026, 13:00:00 Central European Standard Time">'
            '3 Nov 2026, 13:00 +0100</time>') in page
    assert '<time datetime="2026-11-03T09:00:00+00:00" title="3 Nov 2026, 10:00:00 Central European Standard Time">' \
        in page


def test_the_page_in_spanish_names_places_from_what_was_stored_with_no_geoip_lookup(
        app, make_user, clock, services):
    user = make_user()
    signed_in_client(app, user.email, user_agent=SAFARI_IPHONE, ip_address=VALENCIA)
    clock.advance(hours=1)
    app.test_client().post("/sign-in", data={"email": user.email, "password": "wrong"},
                           headers={"User-Agent": CHROME_MAC}, environ_base={"REMOTE_ADDR": LAGOS})
    clock.advance(hours=1)
    browser = signed_in_client(app, user.email, user_agent=CHROME_MAC, ip_address=MADRID)
    # Pages word what the rows and events keep: with the GeoIP database closed, they still name every place.
    services.geo.close()

    page = browser.get("/activity", headers={"Accept-Language": "es"}).get_data(as_text=True)

    assert sentences(page) == [
        "Inicio de sesión desde Chrome en macOS en Madrid, España",
        "Intento fallido de inicio de sesión desde Lagos, Nigeria",  # GeoLite2's Spanish name, the same
        "Inicio de sesión desde Safari en iPhone en Valencia, España",
    ]
    assert "un dispositivo desconocido" not in page and "Chrome en macOS" in activity_notes(page)
    assert ('<time datetime="2026-11-03T11:00:00+00:00" title="3 nov 2026, 12:00:00 hora estándar de Europa central">'
            '3 nov 2026, 12:00 CET</time>') in page
    english = browser.get("/activity", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert sentences(english)[0] == "Signed in from Chrome on macOS in Madrid, Spain"


def test_only_the_last_90_days_and_only_this_account(app, make_user, make_session, clock):
    user, other = make_user(), make_user()
    make_session(user, **client_details(app, SAFARI_IPHONE, VALENCIA))
    make_session(other, **client_details(app, SAFARI_IPHONE, LAGOS))
    clock.advance(days=90, seconds=1)
    browser = signed_in_client(
        app, user.email, headers={"User-Agent": CHROME_MAC}, environ_base={"REMOTE_ADDR": MADRID}
    )

    page = browser.get("/activity").get_data(as_text=True)

    assert sentences(page) == ["Signed in from Chrome on macOS in Madrid, Spain"]
    assert "Lagos" not in page and "Valencia" not in page


def make_history(app, services, user, count, clock):
    """``count`` failed sign-ins, a minute apart, then a sign-in; returns the signed-in browser."""
    with app.app_context():
        users = services.users
        for _ in range(count):
            with pytest.raises(InvalidCredentials):
                users.authenticate(user.email, "wrong")
            clock.advance(minutes=1)
        db.session.commit()
    return signed_in_client(app, user.email)


@pytest.mark.parametrize(
    ("query", "shown_page", "entries"),
    [("", 1, 25), ("?page=1", 1, 25), ("?page=2", 2, 25), ("?page=3", 3, 1), ("?page=4", 3, 1),
     ("?page=999999999999", 3, 1), ("?page=0", 1, 25), ("?page=-2", 1, 25), ("?page=abc", 1, 25)],
)
# The 50 failures are real wrong passwords, so they need budgets that hold 50.
@pytest.mark.config(PASSWORD_ATTEMPTS_PER_ACCOUNT="100 per minute", PASSWORD_ATTEMPTS_PER_IP="100 per minute")
def test_pages_of_25_and_out_of_range_pages_show_the_nearest_page(app, make_user, clock, services, query,
                                                                   shown_page, entries):
    user = make_user()
    browser = make_history(app, services, user, 50, clock)  # 50 failures + 1 sign-in

    response = browser.get("/activity" + query)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert len(sentences(page)) == entries
    assert f"Page {shown_page} of 3" in page
    assert ('rel="next"' in page) == (shown_page < 3)
    assert ('rel="prev"' in page) == (shown_page > 1)
    if shown_page == 1:
        assert sentences(page)[0].startswith("Signed in")


def test_one_page_has_no_pager_and_an_empty_history_says_so(app, make_user, clock):
    user = make_user()
    browser = signed_in_client(app, user.email)
    page = browser.get("/activity").get_data(as_text=True)
    assert len(sentences(page)) == 1 and "Page 1 of" not in page

    clock.advance(days=1, seconds=1)
    assert app.test_cli_runner().invoke(args=["events", "purge", "--older-than", "1"]).exit_code == 0
    page = browser.get("/activity").get_data(as_text=True)
    assert sentences(page) == []
    assert "Nothing has happened to your account in the last 90 days." in page


def test_client_supplied_text_is_escaped(app, make_user, make_session, services):
    user = make_user()
    with app.app_context():
        services.audit.record(
            EventType.SESSION_REVOKED, subject_id=user.id, actor_kind=ActorKind.STAFF, actor_id=None,
            reason="<script>alert(1)</script>", details={})
        db.session.commit()
    page = signed_in_client(app, user.email).get("/activity").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_nav_links_to_the_activity_page(app, signed_in, client):
    page = client.get("/activity").get_data(as_text=True)
    assert '<a href="/activity" aria-current="page">Security activity</a>' in page


# -- what support leaves on the account holder's page --------------------------------

AGENT_BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
AGENT_FACTS = (LAGOS, "Lagos", "Nigeria", "Firefox", "Linux", "agent@example.com")
TICKET = "account recovery, ticket 4411"


def support_acts(app, desk, customer, phone, action):
    """What the support console does for ``action``: look, end one session, or end them all."""
    same_origin = {"Sec-Fetch-Site": "same-origin"}
    if action == "view":
        assert desk.get(f"/support/users/{customer.id}", headers=same_origin).status_code == 200
    elif action == "one":
        desk.post(f"/support/users/{customer.id}/sessions/{phone.id}/sign-out", data={"reason": TICKET},
                  headers=same_origin)
    else:
        desk.post(f"/support/users/{customer.id}/sign-out-all", data={"reason": TICKET}, headers=same_origin)


@pytest.mark.parametrize(("action", "sentence"), [
    ("view", "Support Support viewed this account's sessions"),
    ("one", f"Support Signed out by support: {TICKET}"),
    ("all", f"Support All sessions signed out by support: {TICKET}"),
])
def test_the_account_holder_sees_that_support_acted_and_why_never_where_the_agent_was(
        app, make_user, make_session, clock, action, sentence):
    customer = make_user("customer@example.com")
    phone, _ = make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    make_user("agent@example.com", role="support")
    desk = signed_in_client(app, "agent@example.com", user_agent=AGENT_BROWSER, ip_address=LAGOS)
    clock.advance(minutes=1)
    support_acts(app, desk, customer, phone, action)
    clock.advance(minutes=1)
    browser = signed_in_client(app, customer.email, user_agent=CHROME_MAC, ip_address=MADRID)

    page = browser.get("/activity").get_data(as_text=True)

    assert sentence in [html.unescape(s) for s in sentences(page)]
    for fact in AGENT_FACTS:
        assert fact not in page, fact
    if action == "one":  # the session that support ended is the account holder's own, and is named
        assert "Safari on iPhone in Valencia, Spain" in page and f"IP {VALENCIA}" in page


def test_staff_batches_recorded_with_the_agents_place_still_hide_it_from_the_account_holder(app, make_user):
    customer, staff = make_user(), make_user("agent@example.com", role="support")
    # How a support "sign out all sessions" was recorded before its place was kept apart.
    record_worded_event(
        app, EventType.ALL_SESSIONS_REVOKED, subject_id=customer.id, actor_kind=ActorKind.STAFF,
        actor_id=staff.id, reason=TICKET, details={"count": 1, "sessions": []},
        ip_address=LAGOS, device_summary="Firefox on Linux", place="Lagos, Nigeria")
    browser = signed_in_client(app, customer.email, user_agent=CHROME_MAC, ip_address=MADRID)

    page = browser.get("/activity").get_data(as_text=True)

    assert f"Support All sessions signed out by support: {TICKET}" in sentences(page)
    for fact in AGENT_FACTS:
        assert fact not in page, fact


def test_the_support_console_still_shows_where_the_agent_signed_everything_out_from(
        app, make_user, make_session, clock):
    customer = make_user("customer@example.com")
    phone, _ = make_session(customer, **client_details(app, SAFARI_IPHONE, VALENCIA))
    make_user("agent@example.com", role="support")
    desk = signed_in_client(app, "agent@example.com", user_agent=AGENT_BROWSER, ip_address=LAGOS)
    support_acts(app, desk, customer, phone, "all")

    page = desk.get(f"/support/users/{customer.id}", headers={"Sec-Fetch-Site": "same-origin"})

    assert "IP 105.112.0.0/24" in page.get_data(as_text=True)  # staff see where, as a network


# -- what a stranger can put on the account holder's page --------------------------

ANDROID_CHROME_WITH = ("Mozilla/5.0 (Linux; Android 14; {}) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/120.0.0.0 Mobile Safari/537.36")
# (User-Agent of a failed sign-in, the sender's words, what the account holder is told of the device)
HOSTILE_USER_AGENTS = [
    pytest.param(ANDROID_CHROME_WITH.format("URGENT call support +1 555 0100"), ["URGENT", "555 0100"],
                 "Chrome on Android", id="words-as-device-model"),
    pytest.param(ANDROID_CHROME_WITH.format("HUAWEI URGENT refund 5550100"), ["URGENT", "refund", "5550100"],
                 "Chrome on Android", id="words-after-a-known-brand"),
    pytest.param("URGENT refund desk 5550100/1.0 CFNetwork/1410.0.3 Darwin/22.6.0", ["URGENT", "refund", "5550100"],
                 "an unknown browser on iOS", id="words-as-app-name"),
    pytest.param("Mozilla/5.0 (compatible; URGENT refund call 5550100 Robot/1.0)", ["URGENT", "refund", "5550100"],
                 "an unknown device", id="words-as-bot-name"),
    pytest.param("HbbTV/1.1.1 (; URGENT; 2015)", ["URGENT", "HbbTV"], "an unknown device", id="word-as-system"),
    pytest.param(ANDROID_CHROME_WITH.format("URGENT call 5550100 " * 5), ["URGENT", "5550100"],
                 "Chrome on Android", id="long"),
    pytest.param(ANDROID_CHROME_WITH.format("URGENT call 5550100 " * 200), ["URGENT", "5550100"],
                 "Android on Android", id="longer-than-is-kept"),
    pytest.param(ANDROID_CHROME_WITH.format("Звоните в поддержку"), ["Звоните", "поддержку"],
                 "Chrome on Android", id="non-ascii"),
    pytest.param(ANDROID_CHROME_WITH.format("URGENT\r\nSet-Cookie: x=1\r\ncall 5550100"),
                 ["URGENT", "Set-Cookie", "5550100"], "Chrome on Android", id="cr-lf"),
]


def activity_notes(page_html: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<span class="activity__note">(.*?)</span>', page_html, re.S)]


@pytest.mark.parametrize(("user_agent", "words", "device"), HOSTILE_USER_AGENTS)
def test_a_failed_sign_in_cannot_write_the_senders_words_on_the_account_holders_page(
        app, make_user, clock, user_agent, words, device):
    user = make_user("customer@example.com")
    stranger = app.test_client()
    stranger.post("/sign-in", data={"email": user.email, "password": "wrong"},
                  environ_base={"REMOTE_ADDR": LAGOS, "HTTP_USER_AGENT": user_agent})
    clock.advance(minutes=1)
    browser = signed_in_client(app, user.email, user_agent=CHROME_MAC, ip_address=MADRID)

    page = browser.get("/activity").get_data(as_text=True)

    assert "Failed sign-in attempt from Lagos, Nigeria" in sentences(page)
    assert device in activity_notes(page)
    for word in words:
        assert word not in page, word


@pytest.mark.parametrize(("user_agent", "words", "device"), HOSTILE_USER_AGENTS[:1])
def test_staff_still_see_the_user_agent_a_failed_sign_in_sent(app, make_user, user_agent, words, device):
    user = make_user("customer@example.com")
    app.test_client().post("/sign-in", data={"email": user.email, "password": "wrong"},
                           environ_base={"REMOTE_ADDR": LAGOS, "HTTP_USER_AGENT": user_agent})
    make_user("agent@example.com", role="support")
    desk = signed_in_client(app, "agent@example.com")

    page = desk.get(f"/support/users/{user.id}", headers={"Sec-Fetch-Site": "same-origin"}).get_data(as_text=True)

    assert html.escape(user_agent, quote=False) in page
    assert "Chrome on Android" in activity_notes(page)


def test_failed_sign_ins_recorded_with_the_senders_words_no_longer_show_them(app, make_user):
    user = make_user()
    # How such an attempt was recorded before only recognised names were kept.
    record_worded_event(
        app, EventType.SIGN_IN_FAILED, subject_id=user.id, actor_kind=ActorKind.USER, ip_address=LAGOS,
        device_summary="Chrome on URGENT call support +1 555 0100", place="Lagos, Nigeria")
    browser = signed_in_client(app, user.email, user_agent=CHROME_MAC, ip_address=MADRID)

    page = browser.get("/activity").get_data(as_text=True)

    assert "Failed sign-in attempt from Lagos, Nigeria" in sentences(page)
    assert "an unknown device" in activity_notes(page)
    assert "URGENT" not in page and "555 0100" not in page


# -- facts kept by the services, worded here -------------------------------------------------------



@pytest.mark.parametrize(
    ("made", "sentence", "note"),
    [
        (event(EventType.SIGNED_IN, ip=VALENCIA, details={"where": IPHONE_IN_VALENCIA}),
         "Signed in from Safari on iPhone in Valencia, Spain", None),
        (event(EventType.SIGNED_IN, ip="192.168.1.20", details={"where": {**NOTHING_KNOWN, "os": "Linux 6"}}),
         "Signed in from an unknown browser on Linux on a local network", None),
        (event(EventType.SIGNED_IN, ip="8.8.4.4", details={"where": NOTHING_KNOWN}),
         "Signed in from an unknown browser", None),
        (event(EventType.SIGN_IN_FAILED, ip="8.8.4.4", details={"where": NOTHING_KNOWN}),
         "Failed sign-in attempt from an unknown location", "an unknown device"),
        (event(EventType.SIGN_IN_FAILED, ip="10.0.0.7", details={"where": {**NOTHING_KNOWN, "browser": "Chrome 120"}}),
         "Failed sign-in attempt from a local network", "Chrome"),
        (event(EventType.ALL_SESSIONS_REVOKED, details={"count": 3, "sessions": [
            {"session_id": "x", "ip_address": VALENCIA, **IPHONE_IN_VALENCIA},
            {"session_id": "y", "ip_address": "127.0.0.1", **NOTHING_KNOWN}]}),
         "You signed out everywhere (3 sessions)",
         "Safari on iPhone in Valencia, Spain; an unknown browser on a local network; and 1 more"),
    ],
)
def test_events_that_keep_facts_are_worded_when_shown(made, sentence, note):
    entry = describe(made)
    assert (entry.sentence, entry.note) == (sentence, note)


def test_facts_win_over_words_and_words_are_read_when_no_facts_were_kept():
    both = event(EventType.SIGNED_IN, device="Firefox on Linux", place="Lagos, Nigeria", ip=VALENCIA,
                 details={"where": IPHONE_IN_VALENCIA})
    assert describe(both).sentence == "Signed in from Safari on iPhone in Valencia, Spain"
    worded = event(EventType.SIGNED_IN, device="Firefox on Linux", place="Local network", ip=VALENCIA)
    assert describe(worded).sentence == "Signed in from Firefox on Linux on a local network"


def test_the_page_words_events_the_services_recorded_and_events_recorded_as_words(app, make_user):
    user = make_user()
    record_worded_event(app, EventType.SIGNED_IN, subject_id=user.id, actor_kind=ActorKind.USER, actor_id=user.id,
                        ip_address=LAGOS, device_summary="Firefox on Linux", place="Lagos, Nigeria")
    browser = signed_in_client(app, user.email, user_agent=SAFARI_IPHONE, ip_address=VALENCIA)

    page = browser.get("/activity").get_data(as_text=True)

    assert sentences(page) == [
        "Signed in from Safari on iPhone in Valencia, Spain", "Signed in from Firefox on Linux in Lagos, Nigeria",
    ]
