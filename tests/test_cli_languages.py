"""The command line in the operator's language: DOORMAN_LANGUAGE, else the locale, else English."""

import re

import pytest

from app.i18n import language_of_environment

NO_LANGUAGE = {"DOORMAN_LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}
SPANISH = {**NO_LANGUAGE, "DOORMAN_LANGUAGE": "es"}
SPANISH_LOCALE = {**NO_LANGUAGE, "LANG": "es_ES.UTF-8"}


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.mark.parametrize(("environ", "language"), [
    ({}, "en"),
    ({"DOORMAN_LANGUAGE": "es"}, "es"),
    ({"DOORMAN_LANGUAGE": " ES "}, "es"),
    ({"DOORMAN_LANGUAGE": "en", "LANG": "es_ES.UTF-8"}, "en"),  # Doorman's own variable first
    ({"DOORMAN_LANGUAGE": "fr", "LANG": "es_ES.UTF-8"}, "es"),  # one Doorman does not speak: the locale decides
    ({"LANG": "es_MX.UTF-8"}, "es"),
    ({"LC_ALL": "C", "LANG": "es_ES.UTF-8"}, "en"),
    ({"LC_MESSAGES": "es_AR", "LANG": "en_GB.UTF-8"}, "es"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
])
def test_the_operators_language(environ, language):
    assert language_of_environment(environ) == language


@pytest.mark.parametrize("environ", [SPANISH, SPANISH_LOCALE], ids=["DOORMAN_LANGUAGE", "LANG"])
def test_the_demo_loader_in_spanish_counts_sessions_with_their_plural(runner, environ):
    result = runner.invoke(args=["demo", "load"], env=environ)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "    user: demo@example.com  contraseña: correct horse battery staple  (3 sesiones)" in lines
    assert " support: support@example.com  contraseña: correct horse battery staple  (1 sesión)" in lines
    assert "   admin: admin@example.com  contraseña: correct horse battery staple  (2 sesiones)" in lines
    assert "password" not in result.output and "sessions" not in result.output


def test_the_demo_loader_in_english_says_one_session_not_one_sessions(runner):
    result = runner.invoke(args=["demo", "load"], env=NO_LANGUAGE)

    assert result.exit_code == 0, result.output
    assert " support: support@example.com  password: correct horse battery staple  (1 session)" in result.output
    assert "    user: demo@example.com  password: correct horse battery staple  (3 sessions)" in result.output
    assert "(1 sessions)" not in result.output


@pytest.mark.parametrize(("environ", "message"), [
    (SPANISH, "Error: ninguna cuenta tiene el correo electrónico nobody@example.com"),
    (NO_LANGUAGE, "Error: no account has the email nobody@example.com"),
])
def test_an_error_in_the_operators_language(runner, environ, message):
    result = runner.invoke(args=["users", "set-role", "nobody@example.com", "support"], env=environ)

    assert result.exit_code == 1
    assert message in result.output


def test_a_refused_password_is_explained_in_spanish(runner):
    result = runner.invoke(args=["users", "create", "s@example.com", "--password", "short"], env=SPANISH)

    assert result.exit_code == 2
    assert "usa entre 12 y 1024 caracteres" in result.output


@pytest.mark.parametrize(("environ", "ended"), [
    (SPANISH, ["Se han cerrado 0 sesiones.", "Se han cerrado 1 sesión.", "Se han cerrado 2 sesiones."]),
    (NO_LANGUAGE, ["Ended 0 sessions.", "Ended 1 session.", "Ended 2 sessions."]),
])
def test_counts_take_their_plural_in_both_languages(runner, make_user, make_session, environ, ended):
    said = []
    for count in range(3):
        user = make_user(f"u{count}@example.com")
        for _ in range(count):
            make_session(user)
        result = runner.invoke(args=["sessions", "end", user.email], env=environ)
        assert result.exit_code == 0, result.output
        said.append(result.output.strip())
    assert said == ended


def test_purge_says_its_days_with_their_plural(runner):
    spanish = runner.invoke(args=["events", "purge", "--older-than", "1"], env=SPANISH)
    english = runner.invoke(args=["events", "purge", "--older-than", "30"], env=NO_LANGUAGE)

    assert spanish.output.strip() == "Se han borrado 0 eventos de seguridad con más de 1 día."
    assert english.output.strip() == "Purged 0 security events older than 30 days."


def test_help_is_translated_when_it_is_shown(runner):
    """Help texts are lazy: the same commands, defined once at import, answer in each language."""
    spanish = runner.invoke(args=["users", "create", "--help"], env=SPANISH)
    english = runner.invoke(args=["users", "create", "--help"], env=NO_LANGUAGE)

    assert spanish.exit_code == 0 and english.exit_code == 0
    assert "Crea una cuenta." in spanish.output
    assert "La organización a la que pertenece la cuenta (debe existir)." in " ".join(spanish.output.split())
    assert "Se pide, sin mostrarla, si no se indica." in " ".join(spanish.output.split())
    assert "Create an account." not in spanish.output
    assert "Create an account." in english.output
    assert "The organisation the account belongs to (it must exist)." in " ".join(english.output.split())


def test_a_groups_help_lists_its_commands_and_the_language_note_in_spanish(runner):
    result = runner.invoke(args=["users", "--help"], env=SPANISH)

    shown = " ".join(result.output.split())
    assert result.exit_code == 0
    assert "Gestiona las cuentas." in shown
    assert "Crea una cuenta." in shown and "Cambia el rol de una cuenta." in shown
    assert "Los mensajes salen en español si DOORMAN_LANGUAGE=es" in shown


def test_an_options_help_in_spanish(runner):
    result = runner.invoke(args=["sessions", "end", "--help"], env=SPANISH)

    shown = " ".join(result.output.split())
    assert "Cierra todas las sesiones activas de todas las cuentas." in shown
    assert "Cierra todas las sesiones de una cuenta (CORREO) o de todas las cuentas (--everyone)." in shown


# click's own words: app/click_words.py and app/translations/es/LC_MESSAGES/click.po.

@pytest.mark.parametrize("args", [["users", "--help"], ["users", "create", "--help"]], ids=["group", "command"])
def test_clicks_help_headings_are_spanish_in_spanish(runner, args):
    result = runner.invoke(args=args, env=SPANISH)

    assert result.exit_code == 0, result.output
    assert "Uso: " in result.output and "Opciones:" in result.output
    assert "Muestra este mensaje y sale." in result.output
    for english in ("Usage:", "Options:", "Commands:", "Show this message and exit."):
        assert english not in result.output


def test_a_groups_help_names_its_commands_section_and_usage_in_spanish(runner):
    result = runner.invoke(args=["users", "--help"], env=SPANISH_LOCALE)

    assert "Comandos:" in result.output and "Commands:" not in result.output
    assert "Uso: app users [OPCIONES] COMANDO [ARGUMENTOS]..." in result.output


def test_an_options_default_is_spanish_in_spanish(runner):
    result = runner.invoke(args=["users", "create", "--help"], env=SPANISH)

    assert "[predeterminado: user]" in result.output and "default:" not in result.output


def test_a_missing_argument_in_spanish(runner):
    result = runner.invoke(args=["users", "create"], env=SPANISH)

    assert result.exit_code == 2
    assert "Uso: app users create [OPCIONES] CORREO" in result.output
    assert "Error: Falta el argumento 'CORREO'." in result.output
    assert "Prueba 'app users create --help' para ver la ayuda." in result.output
    assert "Missing" not in result.output and "Try " not in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["events", "purge", "--older-than", "0"],
     "Error: Valor no válido para '--older-than': 0 no está en el intervalo x>=1."),
    (["sessions", "cleanup", "--batch-size", "0"],
     "Error: Valor no válido para '--batch-size': 0 no está en el intervalo 1<=x<=100000."),
    (["users", "set-role", "a@example.com", "boss"],
     "'boss' no es ninguno de estos: 'user', 'support', 'admin'."),
    (["users", "nosuch"], "Error: No existe el comando 'nosuch'."),
    (["events", "purge"], "Error: Falta la opción '--older-than'."),
])
def test_a_refused_value_in_spanish(runner, args, message):
    result = runner.invoke(args=args, env=SPANISH)

    assert result.exit_code == 2
    assert message in result.output
    assert "Invalid value" not in result.output and "Usage:" not in result.output


@pytest.mark.parametrize(("args", "spanish", "english"), [
    (["users", "create", "--help"], ["[OPCIONES] CORREO", "--organisation NOMBRE", "--password TEXTO"],
     ["[OPTIONS] EMAIL", "--organisation NAME", "--password TEXT"]),
    (["users", "set-role", "--help"], ["CORREO {user|support|admin}"], ["EMAIL {user|support|admin}"]),
    (["users", "set-organisation", "--help"], ["[OPCIONES] CORREO NOMBRE"], ["[OPTIONS] EMAIL NAME"]),
    (["sessions", "end", "--help"], ["[OPCIONES] [CORREO]"], ["[OPTIONS] [EMAIL]"]),
    (["sessions", "cleanup", "--help"], ["--batch-size ENTERO"], ["--batch-size INTEGER RANGE"]),
    (["events", "purge", "--help"], ["--older-than DÍAS", "--batch-size ENTERO"], ["--older-than DAYS"]),
    (["mail", "deliver", "--help"], ["--interval NÚMERO"], ["--interval FLOAT RANGE"]),
    (["mail", "deliver", "--interval", "soon"], ["'soon' no es un número válido."],
     ["'soon' is not a valid float range."]),
    (["sessions", "cleanup", "--batch-size", "many"], ["'many' no es un entero válido."],
     ["'many' is not a valid integer range."]),
    (["users", "set-organisation", "a@example.com"], ["Error: Falta el argumento 'NOMBRE'."],
     ["Error: Missing argument 'NAME'."]),
], ids=["create", "set-role", "set-organisation", "end", "cleanup", "purge", "deliver", "float", "integer", "missing"])
def test_the_placeholders_of_values_and_the_names_of_number_types_in_each_language(runner, args, spanish, english):
    in_spanish = runner.invoke(args=args, env=SPANISH).output
    in_english = runner.invoke(args=args, env=NO_LANGUAGE).output

    for words in spanish:
        assert words in in_spanish, in_spanish
    for words in english:
        assert words in in_english, in_english
    english_words = re.compile(r"\b(EMAIL|NAME|ROLE|TEXT|DAYS|INTEGER|FLOAT|integer|float|range)\b")
    assert english_words.findall(in_spanish) == []


def test_a_password_confirmation_in_spanish(runner):
    result = runner.invoke(args=["users", "create", "s@example.com"], env=SPANISH,
                           input="correct horse battery\nsomething else\n")

    assert "Contraseña: " in result.output and "Password" not in result.output
    assert "Repítelo para confirmar" in result.output
    assert "Error: los dos valores introducidos no coinciden." in result.output
    assert "Repeat for confirmation" not in result.output


def test_clicks_words_stay_english_in_english(runner):
    help_text = runner.invoke(args=["users", "create", "--help"], env=NO_LANGUAGE).output
    missing = runner.invoke(args=["users", "create"], env=NO_LANGUAGE).output
    out_of_range = runner.invoke(args=["events", "purge", "--older-than", "0"], env=NO_LANGUAGE).output

    assert "Usage: app users create [OPTIONS] EMAIL" in help_text
    assert "Usage: app users [OPTIONS] COMMAND [ARGS]..." in runner.invoke(args=["users"], env=NO_LANGUAGE).output
    prompted = runner.invoke(args=["users", "create", "e@example.com"], env=NO_LANGUAGE, input="x\ny\n").output
    assert "Password: " in prompted and "Repeat for confirmation: " in prompted
    assert "Options:" in help_text and "[default: user]" in help_text and "Show this message and exit." in help_text
    assert "Error: Missing argument 'EMAIL'." in missing and "Try 'app users create --help' for help." in missing
    assert "Error: Invalid value for '--older-than': 0 is not in the range x>=1." in out_of_range
    assert "Uso:" not in help_text + missing + out_of_range


def test_the_same_process_answers_each_invocation_in_its_own_language(runner):
    """The language is asked for each message: nothing of one invocation's language stays for the next."""
    first = runner.invoke(args=["users", "create"], env=SPANISH).output
    second = runner.invoke(args=["users", "create"], env=NO_LANGUAGE).output
    third = runner.invoke(args=["users", "create"], env=SPANISH_LOCALE).output

    assert "Falta el argumento" in first and "Missing argument" in second and "Falta el argumento" in third


def test_a_commands_help_option_is_described_in_each_invocations_language(runner):
    """click makes a command's --help option once and keeps it: its help must not keep the first language."""
    spanish = runner.invoke(args=["events", "purge", "--help"], env=SPANISH).output
    english = runner.invoke(args=["events", "purge", "--help"], env=NO_LANGUAGE).output

    assert "Muestra este mensaje y sale." in spanish
    assert "Show this message and exit." in english and "Muestra" not in english
