"""The Spanish catalog holds every message of the code and templates, translated, and is compiled."""

import os
from pathlib import Path
from string import Formatter

import click
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.click_words import CLICKS_UNTRANSLATED_DEFAULTS, MESSAGES_CLICK_TRANSLATES_FROM_VARIABLES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}
DOMAINS = ["messages", "click"]  # Doorman's own words; click's (app/click_words.py)


def _messages_in_source() -> dict[str, str]:
    """Every msgid the code and templates ask for, with where it was found (as `make translations-extract`)."""
    with open(TRANSLATIONS / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _catalog(language: str, domain: str = "messages"):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / f"{domain}.po", "rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module")
def source_messages() -> dict[str, str]:
    return _messages_in_source()


def test_the_source_has_messages_to_translate(source_messages: dict[str, str]) -> None:
    assert "Change language" in source_messages  # the extraction itself reads templates and code
    assert len(source_messages) > 10


def test_every_message_is_in_the_spanish_catalog_translated_and_not_fuzzy(source_messages: dict[str, str]) -> None:
    catalog = _catalog("es")
    problems = []
    for msgid, where in sorted(source_messages.items()):
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r} ({where})")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where})")
        elif not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            problems.append(f"untranslated: {msgid!r} ({where})")
    assert not problems, "run `make translations-update` and translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_their_placeholders(domain: str) -> None:
    """Babel's own checks: python-format placeholders and plural forms match the msgid's."""
    errors = [f"{message.id!r}: {error}" for message, errs in _catalog("es", domain).check() for error in errs]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalog_matches_the_one_in_git(domain: str) -> None:
    """What the app loads (the .mo `make` builds) says what the .po says."""
    mo_path = TRANSLATIONS / "es" / "LC_MESSAGES" / f"{domain}.mo"
    assert mo_path.exists(), "run `make translations`"
    with open(mo_path, "rb") as mo:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(mo) if m.id}
    written = {_key(m.id): _key(m.string) for m in _catalog("es", domain) if m.id and not m.fuzzy}
    assert compiled == written, "the compiled catalog is stale: run `make translations`"


def _clicks_messages() -> dict[str, str]:
    """Every msgid the installed click asks gettext for (as `make translations-extract` finds them)."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        os.path.dirname(click.__file__), keywords={"_": None, "ngettext": (1, 2)}
    ):
        found.setdefault(message[0] if isinstance(message, tuple) else message, f"click/{filename}:{lineno}")
    for message in MESSAGES_CLICK_TRANSLATES_FROM_VARIABLES + CLICKS_UNTRANSLATED_DEFAULTS:
        found.setdefault(message, "app/click_words.py")
    return found


def test_every_word_of_click_is_in_the_spanish_click_catalog_translated() -> None:
    messages = _clicks_messages()
    assert "Usage:" in messages and "{value} is not in the range {range}." in messages
    catalog = _catalog("es", "click")
    problems = []
    for msgid, where in sorted(messages.items()):
        entry = catalog.get(msgid)
        if entry is None or entry.fuzzy or not entry.string or (
                isinstance(entry.string, tuple) and not all(entry.string)):
            problems.append(f"{msgid!r} ({where})")
    assert not problems, "run `make translations-update` and translate in click.po:\n" + "\n".join(problems)


def test_click_still_says_the_words_listed_beside_its_own() -> None:
    """The words click passes to gettext in a variable, or never translates, are listed while click says them."""
    source = "".join(path.read_text() for path in Path(os.path.dirname(click.__file__)).glob("*.py"))
    for message in MESSAGES_CLICK_TRANSLATES_FROM_VARIABLES + CLICKS_UNTRANSLATED_DEFAULTS:
        assert f'"{message}"' in source


def test_the_click_catalog_keeps_clicks_brace_placeholders() -> None:
    """click fills its messages with str.format: a translation with other {fields} would raise or lose words."""
    problems = []
    for entry in _catalog("es", "click"):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        expected = set().union(*(_fields(msgid) for msgid in ids))
        for string in strings:
            if not _fields(string) <= expected or (len(ids) == 1 and _fields(string) != expected):
                problems.append(f"{entry.id!r} -> {string!r}")
    assert not problems, "\n".join(problems)


def _fields(text: str) -> set[str]:
    return {field for _literal, field, _spec, _conversion in Formatter().parse(text) if field is not None}


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def test_the_pot_template_is_not_kept_in_git() -> None:
    """The template is made by extraction; only the languages' catalogs are sources."""
    ignored = (ROOT / ".gitignore").read_text()
    assert "app/translations/messages.pot" in ignored
    assert "app/translations/click.pot" in ignored
    assert os.path.exists(TRANSLATIONS / "babel.cfg")
