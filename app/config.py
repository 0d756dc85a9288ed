"""Settings, read from the environment.

``DOORMAN_ENV`` picks the defaults: ``production`` (the default) refuses to
start without a real SECRET_KEY, or with cookies that may travel over plain
HTTP unless explicitly allowed; ``development`` and ``test`` relax that for
a laptop.
"""

import ipaddress
import os
from collections.abc import Mapping
from typing import Any

from limits import parse_many
from limits.storage import MemoryStorage, RedisClusterStorage, RedisSentinelStorage, RedisStorage

DAY = 24 * 60 * 60

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-not-for-production"

# What COOKIE_SECURE=false gives up, in the words of the refusal and the warning.
INSECURE_COOKIES_LOSE = (
    "the Secure flag on the session cookies (browsers would send them over plain HTTP), "
    "their __Host- prefix (a sibling subdomain could plant or overwrite them) "
    "and the Strict-Transport-Security (HSTS) header"
)


class ConfigurationError(RuntimeError):
    """A setting is missing or unusable; the message says how to fix it."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    """A rate limit such as "10 per 15 minutes", checked now rather than at the first sign-in."""
    raw = env.get(name) or default
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a rate such as '10 per 15 minutes', got {raw!r}") from None
    return raw


def _networks(
    env: Mapping[str, str], name: str, default: str
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or CIDR networks, such as "127.0.0.0/8,::1,10.0.0.0/8"."""
    raw = env.get(name) or default
    networks = []
    for entry in raw.split(","):
        try:
            networks.append(ipaddress.ip_network(entry.strip()))
        except ValueError as error:
            raise ConfigurationError(
                f"{name} must be comma-separated IP addresses or networks such as 10.0.0.0/8, "
                f"got {entry.strip()!r} in {raw!r} ({error})"
            ) from None
    return tuple(networks)


def _days(env: Mapping[str, str], name: str, default: int) -> int:
    days = _int(env, name, default)
    if days < 1:
        raise ConfigurationError(f"{name} must be a number of days, 1 or more, got {days}")
    return days


def _seconds(env: Mapping[str, str], name: str, default: int) -> int:
    seconds = _int(env, name, default)
    if seconds < 0:
        raise ConfigurationError(f"{name} must be a number of seconds, 0 or more, got {seconds}")
    return seconds


def _proxy_count(env: Mapping[str, str], name: str) -> int:
    count = _int(env, name, 0)
    if count < 0:
        raise ConfigurationError(f"{name} must be 0 (no proxy) or the number of proxies in front, got {count}")
    return count


def _prefix_length(env: Mapping[str, str], name: str, default: int) -> int:
    """An IPv6 prefix length, from 1 to 128 bits."""
    length = _int(env, name, default)
    if not 1 <= length <= 128:
        raise ConfigurationError(f"{name} must be an IPv6 prefix length from 1 to 128, got {length}")
    return length


# The limits storages whose moving windows Doorman can give a correct password's attempt back to.
RATE_LIMIT_STORAGE_SCHEMES = {
    *MemoryStorage.STORAGE_SCHEME, *RedisStorage.STORAGE_SCHEME,
    *RedisClusterStorage.STORAGE_SCHEME, *RedisSentinelStorage.STORAGE_SCHEME,
}


def _rate_limit_storage(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name) or default
    scheme, separator, _ = raw.partition("://")
    if not separator or scheme not in RATE_LIMIT_STORAGE_SCHEMES:
        # Only the scheme is repeated: the rest of the URL may hold a password.
        given = f"a {scheme}:// URL" if separator else "something that is not a URL"
        raise ConfigurationError(f"{name} must be memory:// or a Redis URL such as redis://host:6379/0, got {given}")
    return raw


def _public_url(env: Mapping[str, str], relaxed: bool) -> str:
    raw = (env.get("PUBLIC_URL") or "").rstrip("/")
    if not raw:
        if not relaxed:
            raise ConfigurationError(
                "PUBLIC_URL is not set. Set it to the address people reach Doorman at, such as "
                "https://doorman.example.com: the links in its emails point there."
            )
        return "http://127.0.0.1:5000"
    if not raw.startswith(("https://", "http://")):
        raise ConfigurationError(f"PUBLIC_URL must start with https:// (or http://), got {raw!r}")
    return raw


def _log_format(env: Mapping[str, str], name: str) -> str:
    raw = (env.get(name) or "text").lower()
    if raw not in ("text", "json"):
        raise ConfigurationError(f"{name} must be text or json, got {raw!r}")
    return raw


def _prepare_threshold(env: Mapping[str, str], name: str) -> int | None | str:
    """psycopg's prepare_threshold: a count, "none" (never prepare: PgBouncer < 1.21 in transaction mode), or unset."""
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return "default"
    if raw in ("none", "off"):
        return None
    threshold = _int(env, name, 0)
    if threshold < 0:
        raise ConfigurationError(f"{name} must be a number of executions, 0 or more, or none, got {threshold}")
    return threshold


def database_uri(url: str) -> str:
    """Route PostgreSQL URLs through psycopg 3 whatever scheme they were given with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(env: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    environment = env.get("DOORMAN_ENV", "production")
    if environment not in ("production", "development", "test"):
        raise ConfigurationError(
            f"DOORMAN_ENV must be production, development or test, got {environment!r}"
        )
    relaxed = environment != "production"

    secret_key = env.get("SECRET_KEY", "")
    if not secret_key:
        if not relaxed:
            raise ConfigurationError(
                "SECRET_KEY is not set. Generate one with\n"
                "    python -c 'import secrets; print(secrets.token_hex(32))'\n"
                "and export it as SECRET_KEY before starting Doorman."
            )
        secret_key = DEVELOPMENT_SECRET_KEY
    elif len(secret_key) < 32 and not relaxed:
        raise ConfigurationError("SECRET_KEY must be at least 32 characters long.")

    default_db = "sqlite:///" + os.path.join(instance_path, "doorman.sqlite3")
    settings = {
        "DOORMAN_ENV": environment,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_uri(env.get("DATABASE_URL") or default_db),
        # A read replica for the pages that only read history (activity, staff audit, support search);
        # the session lookup, every write and whatever decides access always use DATABASE_URL.
        "DATABASE_REPLICA_URL": database_uri(env["DATABASE_REPLICA_URL"]) if env.get("DATABASE_REPLICA_URL") else None,
        # While the replica cannot be reached, how long history reads go to the primary before it is tried again.
        "DATABASE_REPLICA_RETRY_AFTER": _seconds(env, "DATABASE_REPLICA_RETRY_AFTER", 30),
        # Sessions (all durations in seconds).
        "SESSION_IDLE_TIMEOUT": _int(env, "SESSION_IDLE_TIMEOUT", 7 * DAY),
        "SESSION_ABSOLUTE_LIFETIME": _int(env, "SESSION_ABSOLUTE_LIFETIME", 30 * DAY),
        "SESSION_TOUCH_INTERVAL": _int(env, "SESSION_TOUCH_INTERVAL", 60),
        "MAX_SESSIONS_PER_USER": _int(env, "MAX_SESSIONS_PER_USER", 5),
        "ENDED_SESSION_RETENTION": _int(env, "ENDED_SESSION_RETENTION", 30 * DAY),
        # Security events keep full IP addresses this many days; then only their networks (/24, /48).
        "IP_RETENTION_DAYS": _days(env, "IP_RETENTION_DAYS", 90),
        # An app's access token works this long; its refresh token lasts as long as the session.
        "ACCESS_TOKEN_LIFETIME": _int(env, "ACCESS_TOKEN_LIFETIME", 15 * 60),
        # An alert email's "Not you? End this session" link works this long (seconds).
        "END_SESSION_LINK_LIFETIME": _int(env, "END_SESSION_LINK_LIFETIME", 7 * DAY),
        # A password entered this recently allows sensitive actions without asking again.
        "REAUTHENTICATION_WINDOW": _int(env, "REAUTHENTICATION_WINDOW", 10 * 60),
        # Cookies: Secure (and __Host- prefixed) unless turned off for plain
        # HTTP on a laptop. See cookie_settings() for what follows from it.
        "COOKIE_SECURE": _bool(env, "COOKIE_SECURE", not relaxed),
        "ALLOW_INSECURE_COOKIES_IN_PRODUCTION": _bool(env, "ALLOW_INSECURE_COOKIES_IN_PRODUCTION", False),
        # Flask-Login's remember-me cookie is never issued; a __Host- name
        # means no sibling subdomain can plant one either.
        "REMEMBER_COOKIE_NAME": "__Host-unused-remember",
        "PERMANENT_SESSION_LIFETIME": DAY,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": True,
        "PASSWORD_HASH_PROFILE": env.get("PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY"),
        # Password guessing on the sign-in, confirm-password, change-password and
        # sign-out-everywhere-else forms, as rate strings of the limits library. Only a wrong password stays counted.
        "PASSWORD_ATTEMPTS_PER_IP": _rate(env, "PASSWORD_ATTEMPTS_PER_IP", "20 per minute; 200 per hour"),
        "PASSWORD_ATTEMPTS_PER_ACCOUNT": _rate(env, "PASSWORD_ATTEMPTS_PER_ACCOUNT", "10 per 15 minutes"),
        # The per-IP budget counts an IPv6 client by its network of this many bits: one host holds a /64.
        "PASSWORD_ATTEMPTS_IPV6_PREFIX": _prefix_length(env, "PASSWORD_ATTEMPTS_IPV6_PREFIX", 64),
        # Where the counts live: memory:// is per process; production with more
        # than one process uses redis://host:6379/0 so all of them share counts.
        "RATELIMIT_STORAGE_URI": _rate_limit_storage(env, "RATELIMIT_STORAGE_URI", "memory://"),
        # While that storage is unreachable, each process counts in its own memory; it tries the storage
        # again after this many seconds.
        "RATELIMIT_STORAGE_RETRY_AFTER": _seconds(env, "RATELIMIT_STORAGE_RETRY_AFTER", 30),
        "GEOIP_DATABASE": env.get("GEOIP_DATABASE") or None,
        "TRUSTED_PROXIES": _proxy_count(env, "TRUSTED_PROXIES"),
        # Only a direct peer in these networks may set X-Forwarded-For and -Proto.
        "TRUSTED_PROXY_ADDRESSES": _networks(env, "TRUSTED_PROXY_ADDRESSES", "127.0.0.0/8,::1"),
        # A browser's device cookie, and the record of a device, last this long (seconds) since it was last seen.
        "KNOWN_DEVICE_LIFETIME": _int(env, "KNOWN_DEVICE_LIFETIME", 180 * DAY),
        # Mail: the outbox worker's SMTP server (smtp://, smtp+starttls://, smtps://; credentials in the URL).
        "SMTP_URL": env.get("SMTP_URL") or ("" if not relaxed else "smtp://127.0.0.1:8025"),
        "SMTP_TIMEOUT": _int(env, "SMTP_TIMEOUT", 10),
        "MAIL_FROM": env.get("MAIL_FROM") or "Doorman <doorman@localhost>",
        # Where links in mails point: the address people reach Doorman at.
        "PUBLIC_URL": _public_url(env, relaxed),
        # After how many runs psycopg prepares a statement server-side; none: never (PgBouncer before 1.21).
        "DATABASE_PREPARE_THRESHOLD": _prepare_threshold(env, "DATABASE_PREPARE_THRESHOLD"),
        # text: Flask's usual lines. json: one JSON object a line, a line per request (app/request_log.py).
        "LOG_FORMAT": _log_format(env, "LOG_FORMAT"),
        # Development only: where the local SMTP server of `make run` keeps what it receives (/dev/mail shows it).
        "DEV_MAIL_DIRECTORY": env.get("DEV_MAIL_DIRECTORY") or os.path.join(instance_path, "mail"),
    }
    insecure_cookies_warning(settings)
    return settings


def insecure_cookies_warning(config: Mapping[str, Any]) -> str | None:
    """What to warn about if production runs without Secure cookies; refuses to unless told to.

    Turning COOKIE_SECURE off is meant for plain HTTP on a laptop. In
    production it is almost always a mistake (TLS ends at a proxy, and
    someone thought the app must then be told "not HTTPS"), and it loses
    three protections at once, so it needs a second, explicit setting.
    """
    if config["DOORMAN_ENV"] != "production" or config["COOKIE_SECURE"]:
        return None
    if not config["ALLOW_INSECURE_COOKIES_IN_PRODUCTION"]:
        raise ConfigurationError(
            f"COOKIE_SECURE is false in production. That would drop {INSECURE_COOKIES_LOSE}.\n"
            "Serve Doorman over HTTPS and leave COOKIE_SECURE unset; TLS that ends at a reverse proxy "
            "in front of Doorman is HTTPS too.\n"
            "To run without them anyway, also set ALLOW_INSECURE_COOKIES_IN_PRODUCTION=true."
        )
    return (
        "COOKIE_SECURE is false in production (ALLOW_INSECURE_COOKIES_IN_PRODUCTION is set): "
        f"running without {INSECURE_COOKIES_LOSE}."
    )


def cookie_settings(cookie_secure: bool) -> dict[str, Any]:
    """Every cookie attribute, set explicitly rather than left to Flask's defaults.

    Secure cookies get the __Host- prefix, which also forbids a Domain
    attribute and pins Path=/. Flask's own signed cookie carries only the
    CSRF secret and flash messages, never who is signed in.
    """
    return {
        "SESSION_TOKEN_COOKIE": "__Host-doorman" if cookie_secure else "doorman",
        "SESSION_COOKIE_NAME": "__Host-doorman-csrf" if cookie_secure else "doorman-csrf",
        # The language switch's choice, for pages before sign-in (app.i18n); not a secret.
        "LANGUAGE_COOKIE": "__Host-doorman-language" if cookie_secure else "doorman-language",
        # Recognises a browser at its next sign-in (app.services.known_devices); set only at sign-in.
        "KNOWN_DEVICE_COOKIE": "__Host-doorman-device" if cookie_secure else "doorman-device",
        "SESSION_COOKIE_SECURE": cookie_secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
    }
