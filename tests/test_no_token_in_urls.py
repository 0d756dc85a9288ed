"""No session token in any URL or page, and none accepted from a URL.

ASVS 4.0.3 3.1.1; 5.0 14.2.1 and 3.3.4 (the token reaches the browser only
in Set-Cookie). Every demo account signs in and crawls every same-site link
and form action it can reach, breadth first.
"""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from sqlalchemy import select

from app.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo_data
from app.extensions import db
from app.models import UserSession
from app.services.sessions import hash_token

MAX_PAGES = 200
TOKEN_PARAMETERS = ("session", "token", "session_token", "__Host-doorman", "doorman")


class LinksAndForms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.form_actions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("a", "link") and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "form":
            self.form_actions.append(attributes.get("action") or "")


def same_site_path(base: str, url: str) -> str | None:
    absolute = urlsplit(urljoin("http://localhost" + base, url))
    if absolute.scheme not in ("http", "https") or absolute.netloc != "localhost":
        return None
    return absolute.path + ("?" + absolute.query if absolute.query else "")


def crawl(client, start: str):
    """(path, body, Location, links, form actions) for every page reachable from ``start`` with GET."""
    seen, queue, visited = set(), deque([start]), []
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        body, location = response.get_data(as_text=True), response.headers.get("Location", "")
        response.close()
        parser = LinksAndForms()
        if response.mimetype == "text/html":
            parser.feed(body)
        visited.append((path, body, location, parser.links, parser.form_actions))
        # Form actions are fetched with GET too: a POST-only one answers 405, which is a page as well.
        for target in [*parser.links, *parser.form_actions, location]:
            next_path = same_site_path(path, target) if target else None
            if next_path and next_path not in seen:
                queue.append(next_path)
    return visited


@pytest.fixture
def demo(app):
    with app.app_context():
        list(load_demo_data())


def test_v3_1_1_no_page_link_form_or_redirect_of_any_demo_account_carries_a_token(app, demo):
    browsers = {}
    for email, _role in DEMO_ACCOUNTS:
        browser = app.test_client()
        assert browser.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
        browsers[email] = browser
    tokens = [b.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value for b in browsers.values()]
    with app.app_context():
        # A browser's cookie hash, and an app's access and refresh hashes (the demo user's iPhone app).
        columns = (UserSession.session_token_hash, UserSession.access_token_hash, UserSession.refresh_token_hash)
        hashes = [value for row in db.session.execute(select(*columns)) for value in row if value is not None]
    assert set(map(hash_token, tokens)) <= set(hashes) and len(hashes) > len(tokens)
    secrets = tokens + hashes

    pages = 0
    for email, browser in browsers.items():
        visited = crawl(browser, "/")
        paths = {path for path, *_ in visited}
        assert {"/", "/devices", "/account/password"} <= paths, paths
        for path, body, location, links, form_actions in visited:
            pages += 1
            seen_by_browser = [path, body, location, *links, *form_actions]
            for text in seen_by_browser:
                assert not any(secret in text for secret in secrets), (email, path)
            for url in [path, *links, *form_actions]:
                names = {name.lower() for name, _ in parse_qsl(urlsplit(url).query)}
                assert not names & {p.lower() for p in TOKEN_PARAMETERS}, (email, url)
        assert browser.get("/devices").status_code == 200  # the crawl changed nothing: still signed in
    assert pages >= 3 * len(DEMO_ACCOUNTS)


@pytest.mark.parametrize("parameter", TOKEN_PARAMETERS)
def test_v3_1_1_a_token_in_the_query_string_is_never_accepted(app, client, signed_in, parameter):
    token = client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value
    stranger = app.test_client()

    response = stranger.get(f"/devices?{parameter}={token}")

    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert stranger.get_cookie(app.config["SESSION_TOKEN_COOKIE"]) is None


def test_a_token_in_a_form_field_or_header_is_never_accepted_either(app, client, signed_in):
    token = client.get_cookie(app.config["SESSION_TOKEN_COOKIE"]).value
    stranger = app.test_client()
    assert stranger.post("/sign-out", data={"session": token, "token": token}).status_code == 302
    assert stranger.get("/devices", headers={"Authorization": f"Bearer {token}"}).status_code == 302
    assert client.get("/devices").status_code == 200  # and the real owner is still signed in
