"""A real Chromium (Debian's package) driving Doorman served on loopback."""

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app.clock import FrozenClock

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no browser: Debian's chromium is not installed at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def clock() -> FrozenClock:
    """Today, not the suite's fixed day: a real browser drops a cookie whose expiry is behind its own clock."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Doorman on a free loopback port, served from a thread; yields its base URL."""
    server = make_server("localhost", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def new_device(chromium, live_server):
    """Opens a fresh browser context — a separate device with its own cookies."""
    contexts = []

    def open_device(user_agent: str, width: int = 1280, height: int = 900):
        context = chromium.new_context(user_agent=user_agent, viewport={"width": width, "height": height})
        contexts.append(context)
        return context.new_page()

    yield open_device
    for context in contexts:
        context.close()


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/devices")
