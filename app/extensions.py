"""Extensions, created unbound and bound to an app in ``create_app``; and the app's services."""

from typing import TYPE_CHECKING

from flask import Flask, current_app
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.models.base import Base

if TYPE_CHECKING:
    from app.services.container import Services

# hide_parameters: SQLAlchemy otherwise writes a statement's parameters (token
# hashes, password hashes) into its error messages and its statement log.
db = SQLAlchemy(model_class=Base, engine_options={"hide_parameters": True})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()

# The one key Doorman keeps in app.extensions; read only through services().
_SERVICES_KEY = "doorman"


def init_services(app: Flask, built: "Services") -> None:
    app.extensions[_SERVICES_KEY] = built


def services(app: Flask | None = None) -> "Services":
    """The app's services: those of ``current_app``, or of ``app`` when given (outside a request)."""
    return (current_app if app is None else app).extensions[_SERVICES_KEY]
