"""The support console in Spanish for a staff member whose saved language is es.

Every page (search, an account with active and ended sessions, the staff
audit with filters, the page that asks to open an account reached from
elsewhere), the flash messages after signing a session out and the form
errors are in Spanish with none of the English words; what a staff member
typed (a reason) and what users own (emails, User-Agents) are shown as typed.
"""

import re

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import User
from tests.helpers import CHROME_MAC, MADRID, SAFARI_IPHONE, VALENCIA, active_sessions, client_details, signed_in_client

# A reason in English, typed by staff: shown as typed, never translated.
REASON = "Customer called in, ticket 4411"

# English words of the support console that a Spanish page must not show.
ENGLISH = (
    "Find an account", "Find another account", "Email starts with", "Search result pages", "starting with",
    "Staff audit", "Everything staff did", "Clear filters", "Staff member", "Anyone", "No staff actions match",
    "Role:", "Active account", "Disabled account", "Opening this page is recorded", "Staff actions on this account",
    "Active sessions", "Reason for signing out", "Sign out this session", "Sign out all sessions",
    "Recently ended sessions", "No ended sessions", "Security activity", "Signed in", "Last active",
    "Administrator", "Open this account", "You reached this account", "Nothing was changed", "Say why",
    "already ended", "had no active sessions", "No account has that email", "none sent", "deleted account",
)


def text_of(html: str) -> str:
    """The page's words: tags, and the User-Agent strings staff see as sent, left out."""
    html = re.sub(r'<code class="user-agent">.*?</code>', " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def english_in(html: str) -> list[str]:
    shown = text_of(html)
    return [phrase for phrase in ENGLISH if re.search(rf"\b{re.escape(phrase)}\b", shown)]


def flashes(html: str) -> list[str]:
    return [" ".join(m.split()) for m in re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', html)]


@pytest.fixture
def customer(app, make_user, make_session) -> User:
    """An account with a Safari session in Valencia and a Chrome one in Madrid."""
    user = make_user("customer@example.com")
    make_session(user, **client_details(app, SAFARI_IPHONE, VALENCIA))
    make_session(user, **client_details(app, CHROME_MAC, MADRID))
    return user


@pytest.fixture
def desk(app, services, make_user) -> FlaskClient:
    """An admin (every support page) whose saved language is Spanish, signed in on a browser asking for English."""
    staff = make_user("agent@example.com", role="admin")
    with app.app_context():
        services.users.save_preferences(staff.id, language="es", time_zone="Europe/Madrid")
        db.session.commit()
    browser = signed_in_client(app, staff.email, user_agent=CHROME_MAC, ip_address=MADRID)
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the saved choice wins over the browser
    return browser


def page_of(browser: FlaskClient, url: str, **kwargs) -> str:
    response = browser.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def sign_out_one(app, desk: FlaskClient, customer: User, reason: str = REASON) -> str:
    session_id = active_sessions(app, customer.id)[0].id
    response = desk.post(f"/support/users/{customer.id}/sessions/{session_id}/sign-out", data={"reason": reason},
                         follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_search_page_and_its_results(desk, customer, make_user):
    make_user("cuser@example.com", role="admin")

    empty = page_of(desk, "/support/")
    found = page_of(desk, "/support/?q=cu")
    nothing = page_of(desk, "/support/?q=nobody")

    assert '<html lang="es">' in found
    assert "Buscar una cuenta" in empty and "El correo electrónico empieza por" in empty
    shown = text_of(found)
    assert "2 cuentas que empiezan por “cu”" in shown
    assert "Usuario" in shown and "Administrador Equipo" in shown and "Activa" in shown
    assert "Ningún correo electrónico de cuenta empieza por “nobody”." in text_of(nothing)
    for page in (empty, found, nothing):
        assert english_in(page) == []


def test_the_account_page_with_active_and_ended_sessions(app, desk, customer):
    sign_out_one(app, desk, customer)

    page = page_of(desk, f"/support/users/{customer.id}")

    shown = text_of(page)
    for spanish in ("Rol: Usuario", "Cuenta activa", "Sesiones activas (1)", "Motivo para cerrar esta sesión",
                    "Cerrar esta sesión", "Cerrar todas las sesiones", "Sesiones cerradas recientemente",
                    "Actividad de seguridad", "Última actividad", "Acciones del equipo en esta cuenta",
                    "Indica el motivo, para el registro: de 3 a 500 caracteres."):
        assert spanish in shown, spanish
    assert 'placeholder="p. ej., recuperación de la cuenta, ticket 4411"' in page
    assert f"“{REASON}”" in shown  # the typed reason, as typed
    assert english_in(page) == []


def test_an_account_with_no_sessions_says_so_in_spanish(app, desk, make_user):
    lonely = make_user("lonely@example.com")

    page = page_of(desk, f"/support/users/{lonely.id}")

    assert "Esta cuenta no tiene la sesión iniciada en ningún sitio." in text_of(page)
    assert "No hay sesiones cerradas registradas." in text_of(page)
    assert english_in(page) == []


def test_the_flash_messages_after_signing_sessions_out(app, desk, customer):
    one = sign_out_one(app, desk, customer)
    session_id = active_sessions(app, customer.id)[0].id
    everything = desk.post(f"/support/users/{customer.id}/sign-out-all", data={"reason": REASON},
                           follow_redirects=True).get_data(as_text=True)
    nothing_left = desk.post(f"/support/users/{customer.id}/sign-out-all", data={"reason": REASON},
                             follow_redirects=True).get_data(as_text=True)
    already = desk.post(f"/support/users/{customer.id}/sessions/{session_id}/sign-out", data={"reason": REASON},
                        follow_redirects=True).get_data(as_text=True)

    assert any("El motivo" in message for message in flashes(one)), flashes(one)
    assert flashes(everything) == ["Se cerró 1 sesión de customer@example.com."]
    assert flashes(nothing_left) == [
        "customer@example.com no tenía sesiones activas, así que no se ha cambiado nada."
    ]
    assert flashes(already) == ["Esa sesión ya estaba cerrada, así que no se ha cambiado nada."]
    for page in (one, everything, nothing_left, already):
        assert english_in(page) == []


@pytest.mark.parametrize("reason", ["", "no", "x" * 501])
def test_a_refused_reason_is_explained_in_spanish(app, desk, customer, reason):
    page = sign_out_one(app, desk, customer, reason=reason)

    assert flashes(page) == ["No se ha cambiado nada. Indica el motivo, para el registro: de 3 a 500 caracteres."]
    assert len(active_sessions(app, customer.id)) == 2
    assert english_in(page) == []


def test_the_staff_audit_with_and_without_filters(app, desk, customer):
    sign_out_one(app, desk, customer)
    everything = page_of(desk, "/support/audit")
    staff_id = re.search(r'href="/support/audit\?staff=(\d+)"', everything)
    assert staff_id, everything

    filtered = page_of(desk, "/support/audit", query_string={"staff": staff_id.group(1),
                                                             "account": customer.email})
    unmatched = page_of(desk, "/support/audit", query_string={"account": "agent@example.com"})
    unknown = page_of(desk, "/support/audit", query_string={"account": "nobody@example.com"})

    for page in (everything, filtered):
        shown = text_of(page)
        for spanish in ("Auditoría del equipo", "Filtrar", "Quitar los filtros", "Cuándo", "Miembro del equipo",
                        "Cuenta", "Qué", "Cualquiera"):
            assert spanish in shown, spanish
        assert REASON in shown  # the typed reason, untranslated
    assert "Ninguna acción del equipo coincide." in text_of(unmatched)
    assert "Ninguna cuenta tiene ese correo electrónico." in text_of(unknown)
    for page in (everything, filtered, unmatched, unknown):
        assert english_in(page) == []


def test_an_audit_filter_that_is_not_valid_is_refused_in_spanish(desk):
    response = desk.get("/support/audit", query_string={"staff": "999999"})

    assert response.status_code == 400
    assert english_in(response.get_data(as_text=True)) == []
    assert "Not a valid choice" not in response.get_data(as_text=True)


def test_the_page_that_asks_to_open_an_account_reached_from_elsewhere(desk, customer):
    page = page_of(desk, f"/support/users/{customer.id}", headers={"Sec-Fetch-Site": "cross-site"})

    shown = text_of(page)
    assert "¿Abrir customer@example.com?" in shown
    assert "Has llegado a esta cuenta desde fuera de la consola de soporte." in shown
    assert "Abrir esta cuenta" in shown and "Buscar otra cuenta" in shown
    assert english_in(page) == []


def test_the_same_pages_stay_english_for_a_staff_member_who_reads_english(app, make_user, customer):
    staff = make_user("english@example.com", role="admin")
    browser = signed_in_client(app, staff.email)

    page = page_of(browser, f"/support/users/{customer.id}")
    search = page_of(browser, "/support/?q=cu")

    assert "Role: User" in text_of(page) and "Active sessions (2)" in text_of(page)
    assert "1 account starting with “cu”" in text_of(search)
