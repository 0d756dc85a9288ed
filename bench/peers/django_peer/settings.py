"""A minimal production-like Django: auth, django-user-sessions, one database, DEBUG off.

The database comes from PEERS_PG_* (the peers' schema pinned as search_path);
connections are kept between requests (CONN_MAX_AGE None) as every other
server in the benchmark keeps a pool, rather than Django's default of one
connection per request.
"""

import os

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "user_sessions"]
MIDDLEWARE = [
    "user_sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
SESSION_ENGINE = "user_sessions.backends.db"
ROOT_URLCONF = "bench.peers.django_peer.urls"
LOGIN_URL = "/bench/sign-in"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PEERS_PG_NAME", ""),
        "HOST": os.environ.get("PEERS_PG_HOST", ""),
        "PORT": os.environ.get("PEERS_PG_PORT", ""),
        "USER": os.environ.get("PEERS_PG_USER", ""),
        "PASSWORD": os.environ.get("PEERS_PG_PASSWORD", ""),
        "CONN_MAX_AGE": None,
        "OPTIONS": {"options": f"-c search_path={os.environ.get('PEERS_PG_SCHEMA', 'public')}"},
    }
}
