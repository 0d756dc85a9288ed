"""Ending sessions: a sign-out control on every page, and operators ending sessions.

ASVS 5.0 7.4.4 (sign-out on every authenticated page) and 7.4.5
(administrators end the sessions of one user or of all users; the support
console adds the same from the browser).
"""

import base64

import pytest

from app.services.sessions import new_token
from tests.conftest import PASSWORD
from tests.test_headers import ROUTES


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# The downloads of one's data are files, not pages: nothing to put a button on; nor are the
# health checks, which answer a load balancer.
PAGES = [path for path in ROUTES if not path.startswith("/activity/export.") and path not in ("/healthz", "/readyz")]


@pytest.mark.parametrize("path", PAGES)
def test_v7_4_4_every_signed_in_page_has_a_visible_sign_out_button(client, signed_in, path):
    response = client.get(path, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert '<form method="post" action="/sign-out"' in page, response.request.path
    assert ">Sign out</button>" in page


def signed_in_browsers(app, email, count):
    browsers = [app.test_client() for _ in range(count)]
    for browser in browsers:
        assert browser.post("/sign-in", data={"email": email, "password": PASSWORD}).status_code == 302
    return browsers


def test_v7_4_5_an_operator_ends_every_session_of_one_account(app, runner, make_user):
    target, bystander = make_user(), make_user()
    target_browsers = signed_in_browsers(app, target.email, 2)
    [bystander_browser] = signed_in_browsers(app, bystander.email, 1)

    result = runner.invoke(args=["sessions", "end", target.email.upper()])

    assert (result.exit_code, result.output.strip()) == (0, "Ended 2 sessions.")
    for browser in target_browsers:
        told = browser.get("/devices", follow_redirects=True)
        assert "signed out by Doorman support" in told.get_data(as_text=True)
    assert bystander_browser.get("/devices").status_code == 200


def test_v7_4_5_an_operator_ends_every_session_of_every_account(app, runner, make_user):
    browsers = signed_in_browsers(app, make_user().email, 2) + signed_in_browsers(app, make_user().email, 1)

    result = runner.invoke(args=["sessions", "end", "--everyone"])

    assert (result.exit_code, result.output.strip()) == (0, "Ended 3 sessions.")
    assert all(b.get("/devices").status_code == 302 for b in browsers)


@pytest.mark.parametrize("args", [["sessions", "end"], ["sessions", "end", "a@example.com", "--everyone"]])
def test_sessions_end_needs_exactly_one_target(runner, args):
    assert runner.invoke(args=args).exit_code == 2


def test_sessions_end_refuses_an_unknown_email(runner):
    result = runner.invoke(args=["sessions", "end", "ghost@example.com"])
    assert result.exit_code == 1 and "no account has the email" in result.output


def test_v3_2_2_v7_2_3_tokens_are_256_random_bits_and_never_repeat():
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(len(base64.urlsafe_b64decode(t + "=")) == 32 for t in tokens)
