"""click's own words ("Usage:", "Options:", "Missing argument", ...) in the operator's language.

click asks the standard library's ``gettext.gettext`` and ``gettext.ngettext``
for them, which it imported into each of its modules by name (``from gettext
import gettext as _``). ``speak_the_operators_language`` rebinds those names,
in click's modules only, to functions that read Doorman's small catalog for
click, ``app/translations/<language>/LC_MESSAGES/click.po`` (compiled to
``click.mo`` by ``make translations``), in the language the CLI speaks
(app.i18n.language_of_environment), asked again for each message.

Why not the standard library's own machinery (``gettext.bindtextdomain`` of
the default "messages" domain, ``gettext.textdomain``): that state is global
to the process and shared by every library using stdlib gettext (argparse,
optparse, ...), and it chooses the language from ``LANGUAGE``/``LC_*``, not
``DOORMAN_LANGUAGE``: making it follow Doorman's choice would mean writing
``os.environ``, which child processes and the web app would inherit. The
rebinding touches no global gettext state and no environment; click's source
is unchanged. The web app never asks click for words, so it is unaffected.
"""

import gettext
import importlib
import os
import pkgutil
from functools import cache
from pathlib import Path
from types import ModuleType

import click

from app.i18n import language_of_environment

CLICK_DOMAIN = "click"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def N_(message: str) -> str:  # noqa: N802 - the conventional name of a no-op gettext marker
    """Marks a message click translates from a variable, for the click template (Makefile)."""
    return message


# click translates these from a variable (``_(extra["required"])``): extraction cannot see them there.
MESSAGES_CLICK_TRANSLATES_FROM_VARIABLES = (N_("required"),)

# click's defaults for a usage line, which it never translates; Doorman's commands do (app.cli), from
# this catalog because a usage error is shown after the command, and its app context, are gone.
OPTIONS_METAVAR = N_("[OPTIONS]")
SUBCOMMAND_METAVAR = N_("COMMAND [ARGS]...")
CLICKS_UNTRANSLATED_DEFAULTS = (OPTIONS_METAVAR, SUBCOMMAND_METAVAR)

# The placeholders of values ("Usage: ... users create [OPTIONS] EMAIL", "--password TEXT", "Missing
# argument 'EMAIL'"), which click writes from a name in capitals and never translates; Doorman's commands
# do (app.cli's TranslatedArgument and TranslatedOption). From this catalog, because a usage error is
# shown after the command's app context is gone.
PLACEHOLDERS = (N_("EMAIL"), N_("NAME"), N_("ROLE"), N_("DAYS"), N_("TEXT"))
# The names of click's number types, which it puts into "... is not a valid integer range." and, in
# capitals, into help: app.cli's IntRange and FloatRange say them in the operator's language.
NUMBER_TYPE_NAMES = (N_("integer range"), N_("float range"))


@cache
def click_catalog(language: str) -> gettext.NullTranslations:
    """The compiled click catalog of ``language``; English (and a catalog not built) says click's words as they are."""
    return gettext.translation(CLICK_DOMAIN, TRANSLATIONS, languages=[language], fallback=True)


def _operators_catalog() -> gettext.NullTranslations:
    return click_catalog(language_of_environment(os.environ))


def click_gettext(message: str) -> str:
    return _operators_catalog().gettext(message)


def click_ngettext(singular: str, plural: str, n: int) -> str:
    return _operators_catalog().ngettext(singular, plural, n)


def click_modules() -> list[ModuleType]:
    """click and every submodule of it that imports on this system (``_winconsole`` is Windows's only)."""
    modules = [click]
    for found in pkgutil.iter_modules(click.__path__, prefix="click."):
        try:
            modules.append(importlib.import_module(found.name))
        except (ImportError, AssertionError):  # _winconsole asserts it is on Windows
            continue
    return modules


def speak_the_operators_language() -> None:
    """click's modules get their words from Doorman's click catalog; calling it again changes nothing."""
    for module in click_modules():
        if getattr(module, "_", None) is gettext.gettext:
            module._ = click_gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = click_ngettext  # type: ignore[attr-defined]
