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
    "BABEL_LOCALES", "DATE_FORMATS", "DEFAULT_LANGUAGE", "LANGUAGES", "LOCALE_DIR", "N_", "Message", "Np_", "Plural",
    "OUTCOME_LABELS", "STAGE_LABELS", "format_number", "render", "translator",
]

LOCALE_DIR = Path(__file__).with_name("locale")
use_catalogues(LOCALE_DIR)


# Dates in tables (Streamlit's date columns take moment.js patterns): ISO in Sweden, day first in Norway.
DATE_FORMATS = {"sv": "YYYY-MM-DD", "nb": "DD.MM.YYYY", "en": "D MMM YYYY"}


def format_number(value: float | None, language: str, digits: int = 1) -> str:
    """A number in the reader's locale (decimal comma in sv and nb)."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=BABEL_LOCALES.get(language, "sv_SE"))


def vega_locale(language: str) -> dict:
    """Number and time formats of ``language`` for Vega-Lite charts (``config.locale``), from Babel's CLDR
    data: the decimal comma and thin-space grouping of sv and nb, and month and day names in the language."""
    from babel import Locale  # only charts need it

    locale = Locale.parse(BABEL_LOCALES.get(language, "sv_SE"))
    symbols = locale.number_symbols["latn"]
    months, days = locale.months["format"], locale.days["format"]
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # d3 counts days from Sunday, CLDR from Monday
    return {
        "number": {"decimal": symbols["decimal"], "thousands": symbols["group"], "grouping": [3],
                   "currency": ["", ""]},
        "time": {
            "dateTime": "%x %X", "date": "%Y-%m-%d" if language != "en" else "%d/%m/%Y", "time": "%H:%M:%S",
            "periods": [locale.day_periods["format"]["abbreviated"][p] for p in ("am", "pm")],
            "days": [days["wide"][i] for i in sunday_first],
            "shortDays": [days["abbreviated"][i] for i in sunday_first],
            "months": [months["wide"][i] for i in range(1, 13)],
            "shortMonths": [months["abbreviated"][i].rstrip(".") for i in range(1, 13)],
        },
    }
