"""The reader's language and time zone: the order they are chosen in, the switch, the settings page, times."""

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from app.extensions import db
from app.models import User, UserSession
from tests.conftest import PASSWORD
from tests.helpers import csrf_tokens_in, signed_in_client

SPANISH_SIGN_IN = "Inicia sesión en Doorman"
ENGLISH_SIGN_IN = "Sign in to Doorman"


def html_lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', page)
    assert found, page[:200]
    return found.group(1)


def set_language_cookie(app: Flask, client: FlaskClient, value: str) -> None:
    client.set_cookie(app.config["LANGUAGE_COOKIE"], value)


def saved_choices(app: Flask, user_id: int) -> tuple[str | None, str | None]:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return user.language, user.time_zone


def save_choices(app: Flask, services, user_id: int, *, language: str | None, time_zone: str | None) -> None:
    with app.app_context():
        services.users.save_preferences(user_id, language=language, time_zone=time_zone)
        db.session.commit()


def set_session_time_zone(app: Flask, user_id: int, zone: str | None) -> None:
    """What sign-in stores from the GeoIP City record, set directly."""
    with app.app_context():
        db.session.execute(update(UserSession).where(UserSession.user_id == user_id).values(time_zone=zone))
        db.session.commit()


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', page)


# --- Which language -----------------------------------------------------------------------------


def test_english_when_nothing_says_otherwise(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert html_lang(page) == "en"
    assert ENGLISH_SIGN_IN in page


@pytest.mark.parametrize("header", ["es", "es-ES,es;q=0.9,en;q=0.5", "fr;q=0.9, es-MX;q=0.8"])
def test_the_browsers_accept_language_chooses_spanish(client, header):
    page = client.get("/sign-in", headers={"Accept-Language": header}).get_data(as_text=True)
    assert html_lang(page) == "es"
    assert SPANISH_SIGN_IN in page and ENGLISH_SIGN_IN not in page


@pytest.mark.parametrize("header", ["fr", "de-DE,fr;q=0.8", "*;q=0", "not a header, really"])
def test_a_language_doorman_does_not_speak_falls_through_to_english(client, header):
    page = client.get("/sign-in", headers={"Accept-Language": header}).get_data(as_text=True)
    assert html_lang(page) == "en"
    assert ENGLISH_SIGN_IN in page


@pytest.mark.parametrize(("cookie", "header", "served"), [("en", "es", "en"), ("es", "en", "es")])
def test_the_cookie_beats_accept_language(app, client, cookie, header, served):
    set_language_cookie(app, client, cookie)
    page = client.get("/sign-in", headers={"Accept-Language": header}).get_data(as_text=True)
    assert html_lang(page) == served


@pytest.mark.parametrize("cookie", ["fr", "", "ES", "es; DROP"])
def test_an_unsupported_cookie_falls_through_to_accept_language(app, client, cookie):
    set_language_cookie(app, client, cookie)
    page = client.get("/sign-in", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert html_lang(page) == "es"


def test_the_saved_choice_beats_the_cookie_and_accept_language(app, client, signed_in, services):
    save_choices(app, services, signed_in.id, language="es", time_zone=None)
    set_language_cookie(app, client, "en")

    page = client.get("/devices", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert html_lang(page) == "es"
    assert "Tus dispositivos" in page and "Your devices" not in page


def test_without_a_saved_choice_a_signed_in_reader_gets_the_cookie(app, client, signed_in):
    set_language_cookie(app, client, "es")
    page = client.get("/devices", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html_lang(page) == "es"


@pytest.mark.parametrize("path", ["/sign-in", "/devices", "/account/settings", "/no-such-page"])
def test_pages_vary_on_accept_language_and_cookie(client, signed_in, path):
    response = client.get(path)
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


# --- Spanish everywhere ---------------------------------------------------------------------------


def test_wtforms_own_messages_are_in_spanish(client):
    response = client.post("/sign-in", data={"email": "", "password": ""}, headers={"Accept-Language": "es"})
    page = response.get_data(as_text=True)
    assert page.count("Este campo es obligatorio.") == 2
    assert "This field is required." not in page


def test_a_wrong_password_is_refused_in_spanish(client, make_user):
    user = make_user()
    page = client.post("/sign-in", data={"email": user.email, "password": "not it"},
                       headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "El correo electrónico o la contraseña no son correctos." in page


def test_the_flash_that_asks_to_sign_in_is_in_spanish(client):
    page = client.get("/devices", headers={"Accept-Language": "es"}, follow_redirects=True).get_data(as_text=True)
    assert flashes(page) == ["Inicia sesión para continuar."]


def test_the_devices_page_in_spanish_keeps_no_english_words_of_its_own(app, services, make_user):
    user = make_user()
    save_choices(app, services, user.id, language="es", time_zone=None)
    browser = signed_in_client(app, user.email)
    signed_in_client(app, user.email)  # a second session, so "sign out everywhere else" shows

    page = browser.get("/devices").get_data(as_text=True)

    for spanish in ("Tus dispositivos", "Actividad de seguridad", "Este dispositivo", "Activa ahora",
                    "Cerrar sesión en todos los demás sitios", "Tu contraseña", "Cerrar todas las demás sesiones",
                    'aria-label="Cerrar la sesión de este dispositivo"', "Saltar al contenido", "Cambiar idioma"):
        assert spanish in page, spanish
    for english in ("Your devices", "Security activity", "This device", "Active now", "Sign out",
                    "Your password", "Skip to content", "Change language", "Locations come from"):
        assert english not in page, english


def test_the_password_changed_message_counts_in_spanish(app, services, make_user):
    user = make_user()
    save_choices(app, services, user.id, language="es", time_zone=None)
    browser = signed_in_client(app, user.email)
    signed_in_client(app, user.email)
    signed_in_client(app, user.email)

    page = browser.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "another long password", "confirm_new_password":
        "another long password"}, follow_redirects=True).get_data(as_text=True)

    assert flashes(page) == ["Se cambió tu contraseña y se cerraron otras 2 sesiones."]


@pytest.mark.config(PASSWORD_ATTEMPTS_PER_ACCOUNT="2 per 15 minutes")
def test_too_many_wrong_passwords_is_said_in_spanish_with_the_wait(client, make_user):
    user = make_user()
    for _attempt in range(2):
        client.post("/sign-in", data={"email": user.email, "password": "wrong"})

    response = client.post("/sign-in", data={"email": user.email, "password": "wrong"},
                           headers={"Accept-Language": "es"})

    assert response.status_code == 429
    [message] = flashes(response.get_data(as_text=True))
    assert message.startswith("Demasiadas contraseñas incorrectas. Por la seguridad de tu cuenta, espera ")
    assert re.search(r"espera (un minuto|\d+ minutos) y vuelve a intentarlo\.$", message), message


def test_the_password_forms_own_messages_are_in_spanish(app, client, signed_in):
    set_language_cookie(app, client, "es")
    page = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "short", "confirm_new_password": "other"}
    ).get_data(as_text=True)
    assert "Usa entre 12 y 1024 caracteres." in page
    assert "Las dos contraseñas nuevas no coinciden." in page
    assert "<h1>Cambia tu contraseña</h1>" in page


def test_the_activity_page_counts_its_days_in_spanish(app, client, signed_in):
    set_language_cookie(app, client, "es")
    page = client.get("/activity").get_data(as_text=True)
    assert "<h1>Actividad de seguridad</h1>" in page
    assert "en tu cuenta en los últimos 90 días, de lo más reciente a lo más antiguo" in page


# --- Error pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "code", "spanish_title"), [
    ("get", "/no-such-page", 404, "Página no encontrada"),
    ("get", "/sign-out", 405, "No se admite aquí"),
])
def test_error_pages_speak_spanish_not_werkzeugs_english(client, method, path, code, spanish_title):
    response = getattr(client, method)(path, headers={"Accept-Language": "es"})
    page = response.get_data(as_text=True)
    assert response.status_code == code
    assert f"<h1>{spanish_title}</h1>" in page and f"<title>{spanish_title} · Doorman</title>" in page
    assert "Volver a Doorman" in page
    for werkzeug_english in ("Not Found", "Method Not Allowed", "The requested URL", "The method is not allowed"):
        assert werkzeug_english not in page


def test_an_error_with_its_own_words_shows_them_translated(app, client, services, make_user, make_session):
    user = make_user()
    browser = signed_in_client(app, user.email)
    other, _token = make_session(user)
    browser.post(f"/devices/{other.id}/sign-out")  # signed out once (this sign-in was recent)

    response = browser.post(f"/devices/{other.id}/sign-out", headers={"Accept-Language": "es"})

    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Esa sesión no existe o ya está cerrada." in page
    assert "<h1>Página no encontrada</h1>" in page


@pytest.mark.parametrize(("code", "english", "spanish"), [
    (400, "Bad request", "Solicitud incorrecta"),
    (403, "Not allowed", "No permitido"),
    (404, "Page not found", "Página no encontrada"),
    (405, "Not allowed here", "No se admite aquí"),
    (429, "Too many requests", "Demasiadas solicitudes"),
    (500, "Something went wrong", "Algo salió mal"),
    (503, "Doorman is unavailable", "Doorman no está disponible"),
    (418, "That did not work", "Eso no funcionó"),
    (502, "Something went wrong", "Algo salió mal"),
])
def test_every_status_has_its_own_title_in_both_languages(app, code, english, spanish):
    from flask import abort

    @app.get(f"/__fails_with_{code}")
    def fails() -> None:
        abort(code)

    for language, title in (("en", english), ("es", spanish)):
        response = app.test_client().get(f"/__fails_with_{code}", headers={"Accept-Language": language})
        page = response.get_data(as_text=True)
        assert response.status_code == code
        assert f"<h1>{title}</h1>" in page, (language, code)


# --- The switch --------------------------------------------------------------------------------------


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_switch_sets_the_cookie_and_goes_back(app, client):
    token = csrf_tokens_in(client.get("/sign-in?next=/activity").get_data(as_text=True))[-1]

    response = client.post("/language", data={"language": "es", "next": "/sign-in?next=/activity",
                                              "csrf_token": token})

    assert (response.status_code, response.headers["Location"]) == (302, "/sign-in?next=/activity")
    cookie = client.get_cookie(app.config["LANGUAGE_COOKIE"])
    assert cookie is not None and cookie.value == "es"
    assert cookie.http_only and cookie.secure and cookie.same_site == "Lax" and cookie.path == "/"
    page = client.get("/sign-in", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html_lang(page) == "es"


def test_every_page_carries_the_switch_with_its_way_back(client, signed_in):
    page = client.get("/activity?page=1").get_data(as_text=True)
    assert '<form method="post" action="/language" class="language-switch">' in page
    assert '<input type="hidden" name="next" value="/activity?page=1">' in page
    assert '<option value="en" lang="en" selected>English</option>' in page
    assert '<option value="es" lang="es">Español</option>' in page


def signed_in_with_csrf(app: Flask, email: str) -> FlaskClient:
    browser = app.test_client()
    token = csrf_tokens_in(browser.get("/sign-in").get_data(as_text=True))[0]
    response = browser.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return browser


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_switch_saves_the_choice_on_the_account(app, make_user):
    user = make_user()
    browser = signed_in_with_csrf(app, user.email)
    token = csrf_tokens_in(browser.get("/devices").get_data(as_text=True))[-1]

    response = browser.post("/language", data={"language": "es", "next": "/devices", "csrf_token": token})

    assert response.headers["Location"] == "/devices"
    assert saved_choices(app, user.id) == ("es", None)
    # Another browser, with no cookie and an English Accept-Language, gets the account's choice.
    elsewhere = signed_in_with_csrf(app, user.email)
    assert html_lang(elsewhere.get("/devices", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "es"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "devices", ""])
def test_the_switch_goes_back_only_to_a_page_of_doorman(client, next_url):
    response = client.post("/language", data={"language": "es", "next": next_url})
    assert (response.status_code, response.headers["Location"]) == (302, "/")


@pytest.mark.parametrize("language", ["fr", "", "en-GB", "<script>"])
def test_a_language_doorman_does_not_speak_changes_nothing_and_says_so(app, client, signed_in, language):
    response = client.post("/language", data={"language": language, "next": "/devices"})

    assert (response.status_code, response.headers["Location"]) == (302, "/devices")
    assert client.get_cookie(app.config["LANGUAGE_COOKIE"]) is None
    assert saved_choices(app, signed_in.id) == (None, None)
    assert flashes(client.get("/devices").get_data(as_text=True)) == ["That language is not available."]


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_a_stale_switch_form_changes_nothing_and_says_so(app, client, make_user):
    user = make_user()
    stale = csrf_tokens_in(client.get("/sign-in").get_data(as_text=True))[-1]
    token = csrf_tokens_in(client.get("/sign-in").get_data(as_text=True))[0]
    # Signing in starts a new CSRF secret: the switch's token from before it is stale.
    assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
                       ).status_code == 302

    response = client.post("/language", data={"language": "es", "next": "/devices", "csrf_token": stale},
                           follow_redirects=True)

    assert response.status_code == 200
    assert "That form had expired, so nothing was changed. Please try again." in flashes(
        response.get_data(as_text=True))
    assert client.get_cookie(app.config["LANGUAGE_COOKIE"]) is None
    assert saved_choices(app, user.id) == (None, None)


# --- The settings page ---------------------------------------------------------------------------------


def selected_option(page: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    chosen = re.findall(r'<option selected value="([^"]+)"|<option value="([^"]+)" selected', select.group(1))
    assert len(chosen) == 1, chosen
    return chosen[0][0] or chosen[0][1]


def option_values(page: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return re.findall(r'<option[^>]*value="([^"]+)"', select.group(1))


def test_settings_show_the_current_choices(app, client, signed_in, services):
    save_choices(app, services, signed_in.id, language="es", time_zone="America/Mexico_City")

    page = client.get("/account/settings").get_data(as_text=True)

    assert selected_option(page, "language") == "es"
    assert selected_option(page, "time_zone") == "America/Mexico_City"
    assert "<h1>Ajustes</h1>" in page


def test_settings_show_what_is_in_use_before_anything_is_saved(client, signed_in):
    page = client.get("/account/settings", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert selected_option(page, "language") == "es"
    assert selected_option(page, "time_zone") == "UTC"


def test_the_detected_zone_comes_first(app, client, signed_in):
    set_session_time_zone(app, signed_in.id, "Europe/Madrid")

    page = client.get("/account/settings").get_data(as_text=True)

    zones = option_values(page, "time_zone")
    assert zones[0] == "Europe/Madrid"
    assert zones.count("Europe/Madrid") == 1
    assert zones[1:] == sorted(zones[1:]) and "America/New_York" in zones and len(zones) > 300
    assert "Detected from where you signed in: Europe/Madrid." in page
    assert selected_option(page, "time_zone") == "Europe/Madrid"


def test_saving_settings_keeps_both_and_the_next_page_uses_them(app, client, signed_in):
    response = client.post("/account/settings", data={"language": "es", "time_zone": "Europe/Madrid"})

    assert (response.status_code, response.headers["Location"]) == (302, "/account/settings")
    assert saved_choices(app, signed_in.id) == ("es", "Europe/Madrid")
    page = client.get("/account/settings").get_data(as_text=True)
    assert flashes(page) == ["Se guardaron tus ajustes."]  # said in the language just chosen
    assert html_lang(page) == "es"


@pytest.mark.parametrize(("zone", "message"), [
    ("Mars/Olympus_Mons", "Not a valid choice."),
    ("europe/madrid", "Not a valid choice."),
    ("../../etc/passwd", "Not a valid choice."),
    ("", "This field is required."),
])
def test_a_zone_not_in_the_list_is_refused_and_nothing_is_saved(app, client, signed_in, zone, message):
    response = client.post("/account/settings", data={"language": "es", "time_zone": zone})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<p class="field__error" id="time_zone-error">{message}</p>' in page
    assert html_lang(page) == "en"  # nothing was saved, so not even the language changed
    assert saved_choices(app, signed_in.id) == (None, None)


def test_a_refused_zone_is_explained_in_the_readers_language(app, client, signed_in):
    set_language_cookie(app, client, "es")
    page = client.post("/account/settings", data={"language": "es", "time_zone": "Mars/Olympus_Mons"}
                       ).get_data(as_text=True)
    assert '<p class="field__error" id="time_zone-error">Opción inválida.</p>' in page
    assert saved_choices(app, signed_in.id) == (None, None)


def test_settings_need_a_signed_in_person(client):
    response = client.get("/account/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/account/settings")


# --- Times in the reader's zone -------------------------------------------------------------------------


def sign_in_time(page: str) -> tuple[str, str, str]:
    """(datetime, title, label) of the devices page's first "Signed in" time."""
    found = re.search(r'Signed in <time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', page)
    assert found, page
    return found.group(1), found.group(2), found.group(3)


def test_times_on_the_devices_page_are_in_the_saved_zone(app, client, signed_in, services):
    set_session_time_zone(app, signed_in.id, "America/New_York")
    save_choices(app, services, signed_in.id, language=None, time_zone="Europe/Madrid")

    iso, title, label = sign_in_time(client.get("/devices").get_data(as_text=True))

    assert iso == "2026-11-03T09:00:00+00:00"  # the instant itself, for machines
    assert "10:00" in label and "3 Nov 2026" in label
    assert "10:00:00" in title and "Central European Standard Time" in title


def test_without_a_saved_zone_times_are_in_the_sessions_sign_in_zone(app, client, signed_in):
    set_session_time_zone(app, signed_in.id, "America/New_York")

    _iso, title, label = sign_in_time(client.get("/devices").get_data(as_text=True))

    assert "04:00" in label and "EST" in label
    assert "Eastern Standard Time" in title


def test_otherwise_times_are_in_utc_and_say_so(client, signed_in):
    _iso, title, label = sign_in_time(client.get("/devices").get_data(as_text=True))

    assert "09:00" in label and "UTC" in label
    assert "Coordinated Universal Time" in title


def test_a_saved_zone_this_machine_does_not_know_falls_back_to_the_sessions(app, client, signed_in, services):
    set_session_time_zone(app, signed_in.id, "America/New_York")
    save_choices(app, services, signed_in.id, language=None, time_zone="Atlantis/Capital")

    _iso, _title, label = sign_in_time(client.get("/devices").get_data(as_text=True))

    assert "04:00" in label
