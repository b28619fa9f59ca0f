"""Translations through gettext catalogues (Swedish, Norwegian Bokmål, English).

The catalogues are the ``.po`` files under ``portfolio/locale``. ``N_``, ``Message`` and the
translator live in the base package ``messages`` (which ``workflows`` uses too); they are re-exported
here, so that the application imports its text tools from one place. Domain code marks text with
``N_`` and returns ``Message`` objects; the page or the command line renders them in the reader's
language.
"""

from __future__ import annotations

from pathlib import Path

from babel.numbers import format_decimal

from messages import (BABEL_LOCALES, DEFAULT_LANGUAGE, LANGUAGES, N_, Message, Np_, Plural, render, translator,
                      use_catalogues)
from workflows.lifecycle import OUTCOME_LABELS, STAGE_LABELS

__all__ = [
    "BABEL_LOCALES", "DEFAULT_LANGUAGE", "LANGUAGES", "LOCALE_DIR", "N_", "Message", "Np_", "Plural",
    "OUTCOME_LABELS", "STAGE_LABELS", "format_number", "render", "translator",
]

LOCALE_DIR = Path(__file__).with_name("locale")
use_catalogues(LOCALE_DIR)


def format_number(value: float | None, language: str, digits: int = 1) -> str:
    """A number in the reader's locale (decimal comma in sv and nb)."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=BABEL_LOCALES.get(language, "sv_SE"))
