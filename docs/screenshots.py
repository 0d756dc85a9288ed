"""Take the README's screenshots: ``make screenshots``.

Serves Doorman with the demo data on a throwaway SQLite database, signs in
as the demo user in Debian's Chromium, and saves the devices page at desktop
and phone width, in English and in Spanish (the browser's
Accept-Language chooses), into docs/.
"""

import os
import sys
import tempfile
import threading
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app import create_app
from app.demo import DEMO_PASSWORD, load_demo_data
from app.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
DOCS = Path(__file__).parent
WINDOWS_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(environ={
            **os.environ,
            "DOORMAN_ENV": "development",
            "DATABASE_URL": f"sqlite:///{tmp}/screens.sqlite3",
        })
        with app.app_context():
            upgrade()
            db.engine.dispose()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                shots = (
                    ("devices-desktop", 1280, 900, WINDOWS_UA, "en-GB"),
                    ("devices-phone", 360, 800, IPHONE_UA, "en-GB"),
                    ("devices-desktop-es", 1280, 900, WINDOWS_UA, "es-ES"),
                    ("devices-phone-es", 360, 800, IPHONE_UA, "es-ES"),
                )
                for name, width, height, ua, locale in shots:
                    with app.app_context():  # each screenshot starts from the demo's own sessions
                        list(load_demo_data())
                    context = browser.new_context(viewport={"width": width, "height": height}, user_agent=ua,
                                                  color_scheme="light", locale=locale)
                    page = context.new_page()
                    page.goto(f"{base}/sign-in")
                    page.fill("input[name=email]", "demo@example.com")
                    page.fill("input[name=password]", DEMO_PASSWORD)
                    page.click("main form [type=submit]")
                    page.wait_for_url(f"{base}/devices")
                    page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)
                    context.close()
                    print(f"wrote docs/{name}.png")
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
