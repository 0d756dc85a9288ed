"""Extensions, created unbound and bound to an app in ``create_app``."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits only what a route asks for (see app/auth/throttle.py); no default
# limit on every page. The remote address is the one ProxyFix vouched for.
# A moving window cannot be beaten by bursting across a window boundary. If
# the shared storage (Redis) is unreachable, each process keeps counting in
# its own memory rather than letting guesses through unlimited.
limiter = Limiter(
    get_remote_address,
    strategy="moving-window",
    key_prefix="doorman",
    in_memory_fallback_enabled=True,
)
