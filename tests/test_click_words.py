"""click's own words come from Doorman's click catalog, rebound in click's modules only (app/click_words.py)."""

import gettext
import inspect

import pytest

from app.click_words import click_catalog, click_gettext, click_modules, click_ngettext, speak_the_operators_language


def test_every_click_module_that_asks_gettext_asks_doormans_click_catalog(app):
    rebound = []
    for module in click_modules():
        source = inspect.getsource(module)
        if "from gettext import gettext as _" in source:
            assert module._ is click_gettext, module.__name__
            rebound.append(module.__name__)
        if "from gettext import ngettext" in source:
            assert module.ngettext is click_ngettext, module.__name__
    assert {"click.core", "click.exceptions", "click.types", "click.formatting", "click.termui"} <= set(rebound)


def test_rebinding_again_changes_nothing(app):
    speak_the_operators_language()

    import click.core

    assert click.core._ is click_gettext


def test_the_standard_librarys_gettext_is_left_alone(app, monkeypatch):
    """Other libraries (argparse, ...) still get stdlib gettext's default domain, untouched by Doorman."""
    monkeypatch.setenv("DOORMAN_LANGUAGE", "es")
    monkeypatch.setenv("LANGUAGE", "es")

    assert gettext.textdomain() == "messages"
    assert gettext.gettext("Usage:") == "Usage:"
    assert click_gettext("Usage:") == "Uso:"


@pytest.mark.parametrize(("count", "said"), [(1, "Sobra un argumento inesperado (x)"),
                                              (2, "Sobran argumentos inesperados (x)")])
def test_clicks_plurals_in_spanish(monkeypatch, count, said):
    monkeypatch.setenv("DOORMAN_LANGUAGE", "es")

    assert click_ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})",
                          count).format(args="x") == said


def test_english_has_no_click_catalog_and_says_clicks_words_as_they_are():
    assert type(click_catalog("en")) is gettext.NullTranslations
    assert click_catalog("en").gettext("Usage:") == "Usage:"
    assert click_catalog("es").gettext("Usage:") == "Uso:"
