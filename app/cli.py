"""Command-line tools: ``flask --app wsgi users|organisations|sessions|events|demo ...``.

Every message to the operator is in the operator's language: ``DOORMAN_LANGUAGE``
(``es`` or ``en``), else the POSIX ``LC_ALL``, ``LC_MESSAGES`` or ``LANG``
(``es_ES.UTF-8`` is Spanish), else English (app.i18n.language_of_environment).
Help texts are lazy strings, translated when the help is shown: click reads a
command's help then, and ``TranslatedOption`` keeps an option's help lazy too.

click's own words ("Usage:", "Options:", "Show this message and exit.",
"[default: ...]", "Error: Missing argument ...", "... is not in the range ...",
"Aborted!") come from a small catalog of their own,
``app/translations/<language>/LC_MESSAGES/click.po``: click asks the standard
library's ``gettext`` for them under names it imported into its modules, and
``app.click_words.speak_the_operators_language`` (run by ``register_cli``)
rebinds those names, in click's modules only, to that catalog in the same
language. No global gettext state or environment variable is touched, so the
web app and other libraries are unaffected; app/click_words.py says why.
click makes a command's ``--help`` option once and keeps it, so its help is
set again, in the language of the moment, each time it is asked for; and the
usage line's "[OPTIONS]" and "COMMAND [ARGS]...", which click never
translates, come from that catalog too. A prompt is a lazy string, read under
the app's context (``TranslatedOption``). The placeholders of values (EMAIL,
NAME, TEXT) and the names of the number types (IntRange, FloatRange: "integer
range" in help and errors) are said from that catalog too, by
``TranslatedArgument``, ``TranslatedOption`` and this module's ``IntRange`` and
``FloatRange``. Still English: Flask's own part of ``flask --help``, written
before any app is loaded, and its commands (``run``, ``shell``, ``routes``,
Flask-Migrate's ``db``).
"""

import time
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.exc import SQLAlchemyError

from app.click_words import OPTIONS_METAVAR, SUBCOMMAND_METAVAR, click_gettext
from app.config import ConfigurationError
from app.extensions import db, services
from app.mail.delivery import MailDelivery, SmtpServer
from app.mail.links import settings_link
from app.models import ROLES, EndReason, Organisation
from app.models.organisation import ORGANISATION_NAME_MAX_LENGTH
from app.presenters.plurals import plural
from app.services.errors import (
    EmailTaken,
    EventTableBusy,
    InvalidOrganisationName,
    InvalidRole,
    OrganisationExists,
    UserNotFound,
)
from app.services.event_partitions import LOCK_TIMEOUT
from app.services.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from app.services.sessions import Ending


class _LazyHelp:
    """Help kept as given (a lazy string) and read as text in the language of the moment it is shown.

    click turns an option's help into text when the option is defined, at import,
    before any language is chosen; and its formatter wants ``str``, not a lazy string.
    """

    _lazy_help: str | None = None

    @property
    def help(self) -> str | None:
        return None if self._lazy_help is None else str(self._lazy_help)

    @help.setter
    def help(self, value: str | None) -> None:
        self._lazy_help = value


def _app_context_for(ctx: click.Context) -> AbstractContextManager[object]:
    """The app's context while help is written: gettext needs it, and ``--help`` runs before any command."""
    if current_app:
        return nullcontext()
    return ctx.ensure_object(ScriptInfo).load_app().app_context()


class TranslatedOption(_LazyHelp, click.Option):
    """An option whose help, prompt (a lazy string too) and value's placeholder are in the language of the moment.

    The placeholder is its ``metavar`` (one of app.click_words.PLACEHOLDERS), else
    "TEXT" for a string, else what its type says (IntRange's name, a Choice's values).
    """

    def __init__(self, *args: Any, help: str | None = None, **kwargs: Any) -> None:  # noqa: A002 - click's name
        super().__init__(*args, **kwargs)
        self.help = help

    def prompt_for_value(self, ctx: click.Context) -> Any:
        with _app_context_for(ctx):
            return super().prompt_for_value(ctx)

    def make_metavar(self, ctx: click.Context) -> str:
        if self.metavar is not None:
            return click_gettext(self.metavar)
        if isinstance(self.type, click.types.StringParamType):
            return click_gettext("TEXT")
        return super().make_metavar(ctx)


class TranslatedArgument(click.Argument):
    """An argument whose placeholder, its name in capitals ("EMAIL"), is in the operator's language.

    It is in the usage line and in errors ("Missing argument 'EMAIL'"); a Choice
    keeps click's list of its values, which are typed as they are.
    """

    def make_metavar(self, ctx: click.Context) -> str:
        if self.metavar is not None or self.type.get_metavar(param=self, ctx=ctx):
            return super().make_metavar(ctx)
        placeholder = click_gettext((self.name or "").upper())
        if not self.required:
            placeholder = f"[{placeholder}]"
        return placeholder if self.nargs == 1 else placeholder + "..."


class IntRange(click.IntRange):
    """click's IntRange, named in the operator's language: in its help's placeholder and its errors."""

    @property
    def name(self) -> str:  # type: ignore[override]  # click's is a plain class attribute
        return click_gettext(click.IntRange.name)


class FloatRange(click.FloatRange):
    """click's FloatRange, named in the operator's language: in its help's placeholder and its errors."""

    @property
    def name(self) -> str:  # type: ignore[override]  # click's is a plain class attribute
        return click_gettext(click.FloatRange.name)


def argument(name: str, **kwargs: Any) -> Any:
    """``click.argument`` whose placeholder is in the operator's language (TranslatedArgument)."""
    return click.argument(name, cls=TranslatedArgument, **kwargs)


class _ClicksWordsInTheLanguageOfTheMoment(click.Command):
    """click's ``--help`` option and its usage line's "[OPTIONS]", "COMMAND [ARGS]..." in the operator's language.

    click makes a command's ``--help`` option once and keeps it, with its help in that
    first moment's language; and it never translates its usage line's placeholders.
    """

    _options_metavar: str | None = None
    _subcommand_metavar: str = ""

    @property
    def options_metavar(self) -> str | None:
        if self._options_metavar == OPTIONS_METAVAR:
            return click_gettext(OPTIONS_METAVAR)
        return self._options_metavar

    @options_metavar.setter
    def options_metavar(self, value: str | None) -> None:
        self._options_metavar = value

    @property
    def subcommand_metavar(self) -> str:
        if self._subcommand_metavar == SUBCOMMAND_METAVAR:
            return click_gettext(SUBCOMMAND_METAVAR)
        return self._subcommand_metavar

    @subcommand_metavar.setter
    def subcommand_metavar(self, value: str) -> None:
        self._subcommand_metavar = value

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = click_gettext("Show this message and exit.")
        return option


class TranslatedCommand(_LazyHelp, _ClicksWordsInTheLanguageOfTheMoment):
    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _app_context_for(ctx):
            super().format_help(ctx, formatter)


class TranslatedGroup(_LazyHelp, _ClicksWordsInTheLanguageOfTheMoment, AppGroup):
    """A command group whose help, and its commands' (``TranslatedCommand``), is in the operator's language."""

    command_class = TranslatedCommand

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _app_context_for(ctx):
            super().format_help(ctx, formatter)


LANGUAGE_NOTE = _l("Messages are in Spanish when DOORMAN_LANGUAGE=es or the locale (LC_ALL, LC_MESSAGES, LANG) "
                   "is es_*; otherwise in English.")


def _group(name: str, help: str) -> TranslatedGroup:  # noqa: A002 - click's name
    return TranslatedGroup(name, help=help, epilog=LANGUAGE_NOTE)


users_cli = _group("users", _l("Manage accounts."))
organisations_cli = _group("organisations", _l("Manage organisations."))
sessions_cli = _group("sessions", _l("Maintain the sessions table."))
events_cli = _group("events", _l("Maintain the security events table."))
demo_cli = _group("demo", _l("Demo data for trying Doorman out."))
mail_cli = _group("mail", _l("Send the security emails waiting in the outbox."))


@users_cli.command("create", help=_l("Create an account."))
@argument("email")
@click.option("--role", cls=TranslatedOption, type=click.Choice(ROLES), default="user", show_default=True)
@click.option("--organisation", cls=TranslatedOption, metavar="NAME",
              help=_l("The organisation the account belongs to (it must exist)."))
@click.option("--password", cls=TranslatedOption, prompt=_l("Password"), hide_input=True, confirmation_prompt=True,
              help=_l("Prompted for, hidden, when not given."))
def create_user(email: str, role: str, organisation: str | None, password: str) -> None:
    if "@" not in email:
        raise click.BadParameter(_("that is not an email address"), param_hint="EMAIL")
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise click.BadParameter(
            _("use between %(min)d and %(max)d characters", min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH),
            param_hint="--password",
        )
    member_of = _organisation_named(organisation) if organisation is not None else None
    try:
        user = services().users.create(email, password, role=role, organisation=member_of)
    except EmailTaken:
        raise click.ClickException(_("an account with the email %(email)s already exists", email=email)) from None
    db.session.commit()
    if member_of is not None:
        click.echo(_("Created %(email)s (%(role)s, %(organisation)s).", email=user.email, role=user.role,
                     organisation=member_of.name))
    else:
        click.echo(_("Created %(email)s (%(role)s).", email=user.email, role=user.role))


def _organisation_named(name: str) -> Organisation:
    found = services().organisations.find_by_name(name)
    if found is None:
        raise click.ClickException(
            _("no organisation is named %(name)s; create it with: flask --app wsgi organisations create NAME",
              name=repr(name))
        )
    return found


@users_cli.command("set-organisation", help=_l(
    "Put an account in an organisation: from now on that organisation's support staff handle it."))
@argument("email")
@argument("name")
def set_organisation(email: str, name: str) -> None:
    organisation = _organisation_named(name)
    try:
        user = services().users.set_organisation(email, organisation)
    except UserNotFound:
        raise click.ClickException(_("no account has the email %(email)s", email=email)) from None
    db.session.commit()
    click.echo(_("%(email)s belongs to %(organisation)s.", email=user.email, organisation=organisation.name))


@organisations_cli.command("create", help=_l("Create an organisation."))
@argument("name")
def create_organisation(name: str) -> None:
    try:
        organisation = services().organisations.create(name)
    except InvalidOrganisationName:
        raise click.BadParameter(
            _("an organisation's name is 1 to %(max)d characters", max=ORGANISATION_NAME_MAX_LENGTH), param_hint="NAME"
        ) from None
    except OrganisationExists:
        raise click.ClickException(
            _("an organisation named %(name)s already exists", name=repr(name.strip()))
        ) from None
    db.session.commit()
    click.echo(_("Created the organisation %(name)s.", name=organisation.name))


@organisations_cli.command("list", help=_l("Every organisation, by name."))
def list_organisations() -> None:
    for organisation in services().organisations.all():
        click.echo(organisation.name)


@users_cli.command("set-role", help=_l("Change an account's role."))
@argument("email")
@argument("role", type=click.Choice(ROLES))
def set_role(email: str, role: str) -> None:
    try:
        user = services().users.set_role(email, role)
    except UserNotFound:
        raise click.ClickException(_("no account has the email %(email)s", email=email)) from None
    except InvalidRole:  # pragma: no cover - click.Choice already refuses it
        raise click.ClickException(_("unknown role %(role)s", role=role)) from None
    db.session.commit()
    click.echo(_("%(email)s is now %(role)s.", email=user.email, role=user.role))


@users_cli.command("disable", help=_l(
    "Disable an account: it can no longer sign in, and every session it has ends now."))
@argument("email")
def disable_user(email: str) -> None:
    users = services().users
    user = users.find_by_email(email)
    if user is None:
        raise click.ClickException(_("no account has the email %(email)s", email=email))
    ended = users.disable(user.id)
    db.session.commit()
    click.echo(_("Disabled %(email)s and ended %(sessions)s.", email=user.email, sessions=plural(ended, "session")))


@sessions_cli.command("end", help=_l("End all sessions of one account (EMAIL), or of every account (--everyone)."))
@argument("email", required=False)
@click.option("--everyone", cls=TranslatedOption, is_flag=True, help=_l("End every active session of every account."))
def end_sessions(email: str | None, everyone: bool) -> None:
    if bool(email) == everyone:
        raise click.UsageError(_("give either an EMAIL or --everyone"))
    sessions = services().sessions
    if everyone:
        ended = sessions.end_everyone(Ending.by_system(EndReason.REVOKED_BY_SUPPORT))
    else:
        user = services().users.find_by_email(email or "")
        if user is None:
            raise click.ClickException(_("no account has the email %(email)s", email=email))
        # An operator at the command line has no account: a system action.
        ended = sessions.end_all(user.id, Ending.by_system(EndReason.REVOKED_BY_SUPPORT))
    db.session.commit()
    click.echo(_("Ended %(sessions)s.", sessions=plural(ended, "session")))


@sessions_cli.command("cleanup", help=_l(
    "Delete expired sessions and sessions ended longer ago than the retention, and known devices not seen "
    "for KNOWN_DEVICE_LIFETIME; cut the addresses of security events older than IP_RETENTION_DAYS to their "
    "networks."))
@click.option("--batch-size", cls=TranslatedOption, default=1000, show_default=True, type=IntRange(1, 100_000))
def cleanup(batch_size: int) -> None:
    deleted = services().sessions.cleanup(commit=db.session.commit, batch_size=batch_size)
    click.echo(_("Cleaned up %(sessions)s.", sessions=plural(deleted, "session")))
    days = current_app.config["IP_RETENTION_DAYS"]
    masked = services().audit.mask_old_addresses(
        older_than=timedelta(days=days), commit=db.session.commit, batch_size=batch_size
    )
    click.echo(ngettext(
        "Kept only the networks of the IP addresses of %(events)s older than %(num)d day.",
        "Kept only the networks of the IP addresses of %(events)s older than %(num)d days.",
        days, events=plural(masked, "security event"),
    ))
    forgotten = services().known_devices.forget_unseen()
    db.session.commit()
    lifetime_days = current_app.config["KNOWN_DEVICE_LIFETIME"] // 86400
    click.echo(ngettext(
        "Forgot %(devices)s not seen for %(num)d day.",
        "Forgot %(devices)s not seen for %(num)d days.",
        lifetime_days, devices=plural(forgotten, "known device"),
    ))
    try:
        made = services().event_partitions.ensure_upcoming()
    except EventTableBusy:
        db.session.rollback()
        raise click.ClickException(event_table_busy(_("No partition was made"))) from None
    db.session.commit()
    if made:
        click.echo(_("Made the security events partitions %(partitions)s.", partitions=", ".join(made)))


def event_table_busy(what_did_not_happen: str) -> str:
    """What to tell the operator when a partition's lock was not had in time (EventTableBusy)."""
    return _("%(what)s: another transaction held the security events table for longer than %(seconds)d "
             "seconds (a long query or a dump). Run it again once that is done.",
             what=what_did_not_happen, seconds=int(LOCK_TIMEOUT.total_seconds()))


@events_cli.command("purge", help=_l(
    "Delete security events past the retention; the only way an event is ever removed."))
@click.option("--older-than", "days", cls=TranslatedOption, required=True, type=IntRange(min=1),
              metavar="DAYS", help=_l("Delete events recorded more than this many days ago."))
@click.option("--batch-size", cls=TranslatedOption, default=1000, show_default=True, type=IntRange(1, 100_000))
def purge_events(days: int, batch_size: int) -> None:
    try:
        deleted = services().audit.purge(
            older_than=timedelta(days=days), commit=db.session.commit, batch_size=batch_size)
    except EventTableBusy:
        db.session.rollback()
        raise click.ClickException(event_table_busy(_("Nothing was purged"))) from None
    click.echo(ngettext("Purged %(events)s older than %(num)d day.", "Purged %(events)s older than %(num)d days.",
                        days, events=plural(deleted, "security event")))


@demo_cli.command("load", help=_l("Create (or reset) the demo accounts and their sessions."))
def load_demo() -> None:
    from app.demo import load_demo_data

    for line in load_demo_data():
        click.echo(line)


@mail_cli.command("deliver", help=_l(
    "Send pending emails over SMTP_URL, retrying with backoff; keep running unless --once."))
@click.option("--once", is_flag=True, cls=TranslatedOption,
              help=_l("Send what is pending and exit (for cron), instead of polling."))
@click.option("--interval", default=5.0, show_default=True, type=FloatRange(0.1, 3600), cls=TranslatedOption,
              help=_l("Seconds between looks at the outbox."))
def deliver_mail(once: bool, interval: float) -> None:
    config = current_app.config
    if not config["SMTP_URL"]:
        raise click.ClickException(_("SMTP_URL is not set: say where to send mail, such as smtp://mail.example:587"))
    try:
        smtp = SmtpServer.from_url(config["SMTP_URL"], timeout=config["SMTP_TIMEOUT"])
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
    delivery = MailDelivery(
        services().outbox, commit=db.session.commit, smtp=smtp,
        mail_from=config["MAIL_FROM"], settings_url=settings_link(config["PUBLIC_URL"]), logger=current_app.logger,
    )
    while True:
        try:
            sent, retried, failed = delivery.deliver_due()
        except SQLAlchemyError as error:
            db.session.rollback()
            if once:
                raise click.ClickException(
                    _("the database is not answering: %(error)s", error=type(error).__name__)) from None
            current_app.logger.warning("mail delivery: the database is not answering (%s)", type(error).__name__)
            sent = retried = failed = 0
        if once or sent or retried or failed:
            click.echo(_("Sent %(emails)s; %(retried)d to retry, %(failed)d failed.",
                         emails=plural(sent, "email"), retried=retried, failed=failed))
        if once:
            return
        time.sleep(interval)
