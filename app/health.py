"""Health checks for load balancers and orchestrators: ``/healthz`` and ``/readyz``.

Both answer before anyone is looked up: no session cookie is resolved (see
``app.auth.current``), no rate limit counts them, and nothing in an answer
names a version, a path, a host or a driver error. They are read by
machines, not people, so their few words are plain English, not translated.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.database import ReplicaOrPrimary
from app.extensions import db, services

# Endpoints that must answer without resolving a session.
ENDPOINTS = frozenset({"health.healthz", "health.readyz"})


def migration_heads(migrations_directory: str) -> frozenset[str]:
    """The revisions the migration scripts end at: read once, when the app is built."""
    return frozenset(ScriptDirectory(migrations_directory).get_heads())


@dataclass(frozen=True)
class Readiness:
    """Whether this process can serve: each check's name and "ok", or a short reason it is not."""

    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        # A replica that is down is reported, but does not make the process unready:
        # history pages then read the primary (app.database.ReplicaOrPrimary).
        return all(result == "ok" for name, result in self.checks.items() if name != "replica")


class ReadinessChecks:
    """Database reachable, migrations at head, GeoIP database loaded unless none was configured.

    With a read replica configured, also whether it answers ("replica"),
    which is reported but never makes the process unready.
    """

    def __init__(self, engine: Callable[[], Engine], heads: frozenset[str], *,
                 geoip_configured: bool, geoip_loaded: Callable[[], bool],
                 replica: ReplicaOrPrimary | None = None) -> None:
        self._engine = engine
        self._heads = heads
        self._geoip_configured = geoip_configured
        self._geoip_loaded = geoip_loaded
        self._replica = replica

    def run(self) -> Readiness:
        database, migrations = self._database_and_migrations()
        checks = {"database": database, "migrations": migrations, "geoip": self._geoip()}
        if self._replica is not None:
            self._replica.connect().close()  # tries the replica unless it failed within its retry interval
            checks["replica"] = "ok" if self._replica.replica_reachable else "unreachable; reading the primary"
        return Readiness(checks)

    def _database_and_migrations(self) -> tuple[str, str]:
        try:
            with self._engine().connect() as connection:
                try:
                    current = frozenset(
                        connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
                    )
                except SQLAlchemyError:
                    connection.rollback()
                    return "ok", "not migrated"
        except SQLAlchemyError:
            # The error names hosts and ports: only its kind is logged.
            current_app.logger.warning("readiness: the database is unreachable")
            return "unreachable", "unknown"
        if current == self._heads:
            return "ok", "ok"
        return "ok", "not at head"

    def _geoip(self) -> str:
        if self._geoip_loaded():
            return "ok"
        return "missing" if self._geoip_configured else "ok"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def health_blueprint(checks: ReadinessChecks) -> Blueprint:
    """The two endpoints, over this app's own checks."""
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz() -> Response:
        """The process answers: nothing else is asked."""
        return _no_store(Response("ok\n", mimetype="text/plain"))

    @bp.get("/readyz")
    def readyz() -> Response:
        readiness = checks.run()
        response = jsonify(status="ready" if readiness.ready else "not ready", checks=readiness.checks)
        response.status_code = 200 if readiness.ready else 503
        return _no_store(response)

    return bp


def init_health(app: Flask, replica: ReplicaOrPrimary | None = None) -> None:
    heads = migration_heads(os.path.join(app.root_path, "..", "migrations"))
    geo = services(app).geo
    checks = ReadinessChecks(
        lambda: db.engine, heads,
        geoip_configured=app.config["GEOIP_DATABASE"] is not None, geoip_loaded=lambda: geo.loaded,
        replica=replica,
    )
    app.register_blueprint(health_blueprint(checks))
