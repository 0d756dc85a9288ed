"""Command-line tools: ``flask --app wsgi users|organisations|sessions|events|demo ...``."""

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db, services
from app.models import ROLES, EndReason, Organisation
from app.presenters.plurals import plural
from app.services.errors import (
    EmailTaken,
    InvalidOrganisationName,
    InvalidRole,
    OrganisationExists,
    UserNotFound,
)
from app.services.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from app.services.sessions import Ending

users_cli = AppGroup("users", help="Manage accounts.")
organisations_cli = AppGroup("organisations", help="Manage organisations.")
sessions_cli = AppGroup("sessions", help="Maintain the sessions table.")
events_cli = AppGroup("events", help="Maintain the security events table.")
demo_cli = AppGroup("demo", help="Demo data for trying Doorman out.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="user", show_default=True)
@click.option("--organisation", metavar="NAME", help="The organisation the account belongs to (it must exist).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for, hidden, when not given.")
def create_user(email: str, role: str, organisation: str | None, password: str) -> None:
    """Create an account."""
    if "@" not in email:
        raise click.BadParameter("that is not an email address", param_hint="EMAIL")
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise click.BadParameter(
            f"use between {PASSWORD_MIN_LENGTH} and {PASSWORD_MAX_LENGTH} characters", param_hint="--password"
        )
    member_of = _organisation_named(organisation) if organisation is not None else None
    try:
        user = services().users.create(email, password, role=role, organisation=member_of)
    except EmailTaken:
        raise click.ClickException(f"an account with the email {email} already exists") from None
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}" + (f", {member_of.name})." if member_of else ")."))


def _organisation_named(name: str) -> Organisation:
    found = services().organisations.find_by_name(name)
    if found is None:
        raise click.ClickException(
            f"no organisation is named {name!r}; create it with: flask --app wsgi organisations create NAME"
        )
    return found


@users_cli.command("set-organisation")
@click.argument("email")
@click.argument("name")
def set_organisation(email: str, name: str) -> None:
    """Put an account in an organisation: from now on that organisation's support staff handle it."""
    organisation = _organisation_named(name)
    try:
        user = services().users.set_organisation(email, organisation)
    except UserNotFound:
        raise click.ClickException(f"no account has the email {email}") from None
    db.session.commit()
    click.echo(f"{user.email} belongs to {organisation.name}.")


@organisations_cli.command("create")
@click.argument("name")
def create_organisation(name: str) -> None:
    """Create an organisation."""
    try:
        organisation = services().organisations.create(name)
    except InvalidOrganisationName as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    except OrganisationExists:
        raise click.ClickException(f"an organisation named {name.strip()!r} already exists") from None
    db.session.commit()
    click.echo(f"Created the organisation {organisation.name}.")


@organisations_cli.command("list")
def list_organisations() -> None:
    """Every organisation, by name."""
    for organisation in services().organisations.all():
        click.echo(organisation.name)


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role(email: str, role: str) -> None:
    """Change an account's role."""
    try:
        user = services().users.set_role(email, role)
    except UserNotFound:
        raise click.ClickException(f"no account has the email {email}") from None
    except InvalidRole:  # pragma: no cover - click.Choice already refuses it
        raise click.ClickException(f"unknown role {role}") from None
    db.session.commit()
    click.echo(f"{user.email} is now {user.role}.")


@users_cli.command("disable")
@click.argument("email")
def disable_user(email: str) -> None:
    """Disable an account: it can no longer sign in, and every session it has ends now."""
    users = services().users
    user = users.find_by_email(email)
    if user is None:
        raise click.ClickException(f"no account has the email {email}")
    ended = users.disable(user.id)
    db.session.commit()
    click.echo(f"Disabled {user.email} and ended {plural(ended, 'session')}.")


@sessions_cli.command("end")
@click.argument("email", required=False)
@click.option("--everyone", is_flag=True, help="End every active session of every account.")
def end_sessions(email: str | None, everyone: bool) -> None:
    """End all sessions of one account (EMAIL), or of every account (--everyone)."""
    if bool(email) == everyone:
        raise click.UsageError("give either an EMAIL or --everyone")
    sessions = services().sessions
    if everyone:
        ended = sessions.end_everyone(Ending.by_system(EndReason.REVOKED_BY_SUPPORT))
    else:
        user = services().users.find_by_email(email or "")
        if user is None:
            raise click.ClickException(f"no account has the email {email}")
        # An operator at the command line has no account: a system action.
        ended = sessions.end_all(user.id, Ending.by_system(EndReason.REVOKED_BY_SUPPORT))
    db.session.commit()
    click.echo(f"Ended {plural(ended, 'session')}.")


@sessions_cli.command("cleanup")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000))
def cleanup(batch_size: int) -> None:
    """Delete expired sessions and sessions ended longer ago than the retention; cut the addresses of
    security events older than IP_RETENTION_DAYS to their networks."""
    deleted = services().sessions.cleanup(commit=db.session.commit, batch_size=batch_size)
    click.echo(f"Cleaned up {plural(deleted, 'session')}.")
    days = current_app.config["IP_RETENTION_DAYS"]
    masked = services().audit.mask_old_addresses(
        older_than=timedelta(days=days), commit=db.session.commit, batch_size=batch_size
    )
    click.echo(f"Kept only the networks of the IP addresses of {plural(masked, 'security event')} "
               f"older than {days} days.")
    made = services().event_partitions.ensure_upcoming()
    db.session.commit()
    if made:
        click.echo(f"Made the security events partitions {', '.join(made)}.")


@events_cli.command("purge")
@click.option("--older-than", "days", required=True, type=click.IntRange(min=1), metavar="DAYS",
              help="Delete events recorded more than this many days ago.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000))
def purge_events(days: int, batch_size: int) -> None:
    """Delete security events past the retention; the only way an event is ever removed."""
    deleted = services().audit.purge(older_than=timedelta(days=days), commit=db.session.commit, batch_size=batch_size)
    click.echo(f"Purged {plural(deleted, 'security event')} older than {days} days.")


@demo_cli.command("load")
def load_demo() -> None:
    """Create (or reset) the demo accounts and their sessions."""
    from app.demo import load_demo_data

    for line in load_demo_data():
        click.echo(line)
