"""Helpers shared by the audit, activity and support tests."""

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.extensions import services as services_of
from app.models import SecurityEvent, UserSession
from app.presenters.devices import seen_in
from app.services.enrichment import describe_client
from tests.conftest import PASSWORD


def signed_in_client(
    app: Flask,
    email: str,
    *,
    password: str = PASSWORD,
    user_agent: str | None = None,
    ip_address: str | None = None,
    fetch_site: str | None = "same-origin",
    **kwargs: Any,
) -> FlaskClient:
    """A new browser, signed in as ``email`` through the real sign-in form.

    ``user_agent`` and ``ip_address`` stay with the browser for every later
    request. Like a current browser moving between Doorman's own pages, every
    request says ``Sec-Fetch-Site: same-origin``; ``fetch_site=None`` is an
    older browser that sends no Fetch Metadata. A request's own ``headers``
    override it.
    """
    browser = app.test_client()
    if fetch_site is not None:
        browser.environ_base["HTTP_SEC_FETCH_SITE"] = fetch_site
    if user_agent is not None:
        browser.environ_base["HTTP_USER_AGENT"] = user_agent
    if ip_address is not None:
        browser.environ_base["REMOTE_ADDR"] = ip_address
    response = browser.post("/sign-in", data={"email": email, "password": password}, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


IOS_APP = "Doorman/2.3 (iPhone; iOS 17.1; Scale/3.00)"  # the User-Agent of an iOS app


def app_signed_in(
    app: Flask, email: str, *, client_name: str | None, user_agent: str = IOS_APP,
    ip_address: str | None = None, password: str = PASSWORD,
) -> dict[str, Any]:
    """An app signed in as ``email`` through the real token endpoint: its JSON answer (tokens, session_id)."""
    body: dict[str, Any] = {"email": email, "password": password}
    if client_name is not None:
        body["client_name"] = client_name
    environ = {"REMOTE_ADDR": ip_address} if ip_address else {}
    response = app.test_client().post("/api/v1/auth/token", json=body, headers={"User-Agent": user_agent},
                                      environ_base=environ)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer: dict[str, Any] = response.get_json()
    return answer


def events_of(app: Flask, subject_id: int | None = None) -> list[SecurityEvent]:
    """Security events, oldest first, detached from the session."""
    with app.app_context():
        statement = select(SecurityEvent).order_by(SecurityEvent.id)
        if subject_id is not None:
            statement = statement.where(SecurityEvent.subject_id == subject_id)
        found = list(db.session.scalars(statement))
        db.session.expunge_all()
        return found


def event_types(app: Flask, subject_id: int | None = None) -> list[str]:
    return [e.event_type for e in events_of(app, subject_id)]


def session_row(app: Flask, session_id: Any) -> UserSession | None:
    with app.app_context():
        row = db.session.get(UserSession, session_id)
        if row is not None:
            db.session.expunge(row)
        return row


def active_sessions(app: Flask, user_id: int) -> list[UserSession]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(UserSession).where(UserSession.user_id == user_id, UserSession.is_active.is_(True))
            )
        )
        db.session.expunge_all()
        return rows


CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1.2 Mobile/15E148 Safari/604.1"
)
MADRID, VALENCIA, LAGOS = "147.96.1.1", "147.156.1.1", "105.112.0.1"


def client_details(app: Flask, user_agent: str, ip_address: str) -> dict[str, Any]:
    """The session columns a sign-in from that browser and address gets (bundled GeoLite2)."""
    return describe_client(services_of(app).geo, user_agent, ip_address)


def csrf_tokens_in(page: str) -> list[str]:
    """The CSRF tokens of every form on a page, in order, whatever the attribute order."""
    tags = re.findall(r'<input[^>]*name="csrf_token"[^>]*>', page)
    return [re.search(r'value="([^"]+)"', tag).group(1) for tag in tags]


def snapshot_words(stored):
    """A snapshot kept in an event's details, as the presenter words it: address, device, place."""
    seen = seen_in(stored)
    return {"ip_address": stored.get("ip_address"), "device": seen.device, "place": seen.place}


def record_worded_event(app, event_type, **columns):
    """An event as Doorman recorded it before it kept facts: device and place as words in their columns."""
    with app.app_context():
        db.session.add(SecurityEvent(event_type=event_type, created_at=services_of(app).clock.now(),
                                     details=columns.pop("details", {}), **columns))
        db.session.commit()


def run_together(*jobs: Callable[[], Any], join_timeout: float = 60) -> list[Any]:
    """Run each job in its own thread, all released at once by a barrier; return results, re-raise errors.

    Joins are bounded, so a deadlock fails the test instead of hanging it.
    """
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except BaseException as error:  # noqa: BLE001 - handed to the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    assert not any(t.is_alive() for t in threads), "threads still running: a deadlock or a lost lock"
    if errors:
        raise errors[0]
    return results


@contextmanager
def reading(app: Flask, language: str = "en", zone: str = "UTC") -> Iterator[None]:
    """Presenters as a reader of ``language`` in ``zone`` reads them, outside a request.

    A request has Babel ask app.i18n's selectors (the person, the cookie, the
    headers); a presenter test has none of them, so it sets the answers.
    """
    from flask_babel import _get_current_context

    with app.app_context():
        g.reader = (language, zone)  # Flask-Babel keeps its choices on g only once g holds something
        with force_locale(language):
            _get_current_context().babel_tzinfo = ZoneInfo(zone)
            yield
