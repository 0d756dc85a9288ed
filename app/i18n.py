"""Which language and time zone a reader gets, and the language switch's cookie.

Language, in order: the signed-in person's saved choice, the language cookie
(set by the switch, for pages before sign-in), the browser's
``Accept-Language``, English. Time zone: the person's saved choice, else the
zone of the place this session signed in from (stored on the session row at
sign-in), else UTC. Both come from what the request already has (the row the
session lookup returned, a cookie, a header): choosing them reads nothing
from the database.

On the command line there is no request: ``DOORMAN_LANGUAGE`` ("es", "en")
chooses, else the operator's ``LC_ALL``, ``LC_MESSAGES`` or ``LANG``, as for
any other program, else English.
"""

import os
import zoneinfo
from collections.abc import Mapping
from functools import lru_cache

from flask import Flask, Request, current_app, g, has_request_context, request
from flask_babel import Babel
from flask_login import current_user
from werkzeug.wrappers import Response

from app.languages import DEFAULT_LANGUAGE, LANGUAGES

DEFAULT_TIME_ZONE = "UTC"
LANGUAGE_COOKIE_MAX_AGE = 60 * 60 * 24 * 365

babel = Babel()


def supported_language(value: str | None) -> str | None:
    """``value`` if it is a language Doorman speaks ("es", "en"), else None."""
    return value if value in LANGUAGES else None


def known_time_zone(value: str | None) -> str | None:
    """``value`` if it names an IANA time zone this machine knows, else None."""
    return value if value and value in available_time_zones() else None


@lru_cache(maxsize=1)
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def language_of_request(req: Request, saved: str | None) -> str:
    """The language a page is served in: saved choice, cookie, Accept-Language, English."""
    return (
        supported_language(saved)
        or supported_language(req.cookies.get(current_app.config["LANGUAGE_COOKIE"]))
        or req.accept_languages.best_match(LANGUAGES)
        or DEFAULT_LANGUAGE
    )


def language_of_environment(environ: Mapping[str, str]) -> str:
    """The operator's language on the command line: DOORMAN_LANGUAGE, else the POSIX locale variables."""
    chosen = supported_language(environ.get("DOORMAN_LANGUAGE", "").strip().lower())
    if chosen:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            # "es_ES.UTF-8" -> "es"; "C" and "POSIX" are English.
            return supported_language(value.split(".")[0].split("_")[0].lower()) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def _signed_in_preferences() -> tuple[str | None, str | None, str | None]:
    """(saved language, saved zone, the session's sign-in zone) of whoever is signed in."""
    user = current_user
    if user is None or not user.is_authenticated:
        return None, None, None
    return getattr(user, "language", None), getattr(user, "time_zone", None), getattr(user, "session_time_zone", None)


def select_locale() -> str:
    if not has_request_context():
        return language_of_environment(os.environ)
    chosen = g.get("language")
    if chosen is None:
        saved, _zone, _session_zone = _signed_in_preferences()
        chosen = g.language = language_of_request(request, saved)
    return chosen


def select_timezone() -> str:
    if not has_request_context():
        return DEFAULT_TIME_ZONE
    _language, saved, session_zone = _signed_in_preferences()
    return known_time_zone(saved) or known_time_zone(session_zone) or DEFAULT_TIME_ZONE


def _vary_on_language(response: Response) -> Response:
    """Every page's words depend on the cookie (saved choice, switch) and the browser's languages."""
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_domain="messages")
    app.after_request(_vary_on_language)
    app.jinja_env.globals.update(languages=LANGUAGES, page_language=select_locale)
