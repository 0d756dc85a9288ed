"""Benchmark 8: where one sign-in's time goes, and sign-ins per second per core.

In process, one part at a time, each timed over many calls (p50):

- argon2 verifying a correct password with the production profile
  (RFC 9106 low-memory, ``PASSWORD_HASH_PROFILE``'s default);
- User-Agent parsing of a browser not seen before (the cache cleared);
- the GeoIP lookup (bundled GeoLite2 City);
- the database part: ``SessionService.create`` (account lock, expired rows,
  session limit, the session row, its signed_in event) and the commit.

The sum of the p50s is one sign-in's server time apart from the request's
own overhead; 1 / sum is what one core signs in per second. argon2 is
CPU-bound and single-threaded per verification, so cores multiply it.
"""

import itertools

from argon2 import PasswordHasher, profiles

from app.extensions import db, services
from app.models import User
from app.services.credentials import VerifiedCredentials
from app.services.enrichment import GeoLocator, parse_user_agent
from app.services.passwords import Passwords
from bench.databases import bench_app, insert_users, scratch_database
from bench.enrichment import ADDRESSES, USER_AGENTS
from bench.report import Row, percentile, time_calls, us

NAME = "8 sign-in cost"
PRODUCTION_PROFILE = "RFC_9106_LOW_MEMORY"
# Build numbers never used twice in a process, so no User-Agent is in ua-parser's own cache either.
_BUILDS = itertools.count(5000)


def run(backend: str, *, calls: int = 200, profile: str = PRODUCTION_PROFILE) -> list[Row]:
    passwords = Passwords(PasswordHasher.from_parameters(getattr(profiles, profile)))
    stored = passwords.hash("a long enough password")
    geo = GeoLocator(None)
    unseen = (template.format(n=n) for n in _BUILDS for template in USER_AGENTS)
    addresses = itertools.cycle(ADDRESSES)

    def uncached_parse() -> None:
        parse_user_agent.cache_clear()  # type: ignore[attr-defined]
        parse_user_agent(next(unseen))

    try:
        parts = {
            f"argon2 verify ({profile})": time_calls(
                lambda: passwords.verify(stored, "a long enough password"), count=max(calls // 4, 10), warmup=1),
            "User-Agent parse, uncached": time_calls(uncached_parse, count=max(calls // 4, 10), warmup=1),
            "GeoIP lookup": time_calls(lambda: geo.locate(next(addresses)), count=calls, warmup=5),
        }
    finally:
        geo.close()
        parse_user_agent.cache_clear()  # type: ignore[attr-defined]

    with scratch_database(backend, "sign_in_cost") as database:
        app = bench_app(database)
        with app.app_context():
            user_ids = insert_users(db.session.connection(), 1000)
            db.session.commit()
            sessions = services(app).sessions
            accounts = itertools.cycle(user_ids)

            def sign_in() -> None:
                user = db.session.get(User, next(accounts))
                assert user is not None
                sessions.create(VerifiedCredentials.without_password(user), user_agent=USER_AGENTS[0],
                                ip_address=ADDRESSES[0], browser="Firefox", os="Windows", device_type="desktop")
                db.session.commit()
                db.session.expunge_all()

            parts["session row, signed_in event and commit"] = time_calls(sign_in, count=calls, warmup=5)
            db.session.remove()
            db.engine.dispose()

    rows = []
    total = 0.0
    for case, samples in parts.items():
        p50 = percentile(samples, 50)
        total += p50
        rows.append(Row(NAME, backend, case, f"p50 {us(p50)}, p99 {us(percentile(samples, 99))}",
                        {"p50": p50}))
    for row in rows:
        row.result += f" ({row.values['p50'] / total:.0%})"
    rows.append(Row(NAME, backend, "one sign-in (sum of p50s)",
                    f"{us(total)}: about {1 / total:,.0f} sign-ins/s per core", {"p50": total}))
    return rows
