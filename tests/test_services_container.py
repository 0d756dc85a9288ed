"""One Services container, built by build_services, with no Flask in app/services/."""

import ast
import logging
from pathlib import Path

import flask
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.config import load_config
from app.extensions import services as services_of
from app.models import SecurityEvent
from app.services.container import Services, build_services
from app.services.credentials import VerifiedCredentials
from tests.conftest import PASSWORD, START

SERVICES_PACKAGE = Path(__file__).resolve().parent.parent / "app" / "services"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(SERVICES_PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_service_module_imports_flask(path):
    flask_imports = {name for name in imported_modules(path) if name.split(".")[0] in ("flask", "flask_login")}
    assert not flask_imports, f"{path.name} imports {flask_imports}"


def test_the_app_views_and_tests_share_one_container(app, services):
    assert isinstance(services, Services)
    with app.app_context():
        assert services_of() is services
    assert not [key for key in app.extensions if key.startswith("doorman.")]


def test_build_services_works_on_a_plain_sqlalchemy_session_with_no_app(app, database_url, tmp_path):
    """``app`` only empties the tables afterwards; nothing below runs inside it."""
    config = load_config({"DOORMAN_ENV": "test", "PASSWORD_HASH_PROFILE": "CHEAPEST"}, str(tmp_path))
    engine = create_engine(database_url)
    clock = FrozenClock(START)
    try:
        with Session(engine) as db_session:
            built = build_services(db_session, config, clock=clock, logger=logging.getLogger("test"))
            user = built.users.create("plain@example.com", PASSWORD)
            clock.advance(minutes=5)
            new = built.sessions.create(VerifiedCredentials.without_password(user), user_agent="pytest", ip_address="203.0.113.9")
            db_session.commit()

            assert not flask.has_app_context()
            assert built.sessions.resolve(new.token).email == "plain@example.com"
            signed_in = db_session.scalars(select(SecurityEvent).where(SecurityEvent.subject_id == user.id)).one()
            assert signed_in.created_at == START.replace(minute=5)
            built.geo.close()
    finally:
        engine.dispose()
