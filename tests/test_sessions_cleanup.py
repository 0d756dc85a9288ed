"""Cleanup under load: batches walk on along the index and never wait for a sign-in."""

import pytest
from sqlalchemy import delete, select, text

from app.extensions import db
from app.models import UserSession

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def sessions(services):
    return services.sessions


def test_cleanup_deletes_rows_expiring_at_different_moments_across_many_batches(
    sessions, make_user, make_session, clock
):
    user, other = make_user(), make_user()
    expired = []
    for _ in range(7):
        expired.append(make_session(user)[0].id)
        clock.advance(minutes=1)  # each row expires a minute after the one before
    clock.advance(days=8)
    live, _ = make_session(other)

    commits = []
    deleted = sessions.cleanup(commit=lambda: (commits.append(1), db.session.commit()), batch_size=2)

    assert deleted == 7
    assert len(commits) == 4 + 1  # 2+2+2+1 expired, then one empty look at the ended rows
    assert set(db.session.scalars(select(UserSession.id))) == {live.id}


def test_cleanup_skips_a_row_a_sign_in_holds_instead_of_waiting_for_it(
    app, sessions, make_user, make_session, clock
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite locks the whole database for a writer")
    user, other = make_user(), make_user()
    expired = [make_session(user)[0].id for _ in range(5)]
    clock.advance(days=8)
    live, _ = make_session(other)
    held = expired[2]

    # Waiting would fail the test after two seconds rather than hang it.
    db.session.execute(text("SET lock_timeout = '2s'"))
    with db.engine.connect() as sign_in:
        # A sign-in deleting its owner's expired rows, not yet committed.
        sign_in.execute(delete(UserSession).where(UserSession.id == held))
        deleted = sessions.cleanup(commit=db.session.commit, batch_size=2)
        sign_in.rollback()
    db.session.execute(text("RESET lock_timeout"))
    db.session.commit()

    assert deleted == 4
    # The held row is left for the next run, since its sign-in rolled back.
    assert set(db.session.scalars(select(UserSession.id))) == {held, live.id}
