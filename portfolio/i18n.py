"""Translations through gettext catalogues (Swedish, Norwegian Bokmål, English).

The catalogues are the ``.po`` files under ``portfolio/locale``; they are compiled in memory
with Babel when first used, so there is no build step to forget. Domain code marks text with
``N_`` and returns ``Message`` objects; the page or the command line renders them in the
reader's language.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES: dict[str, str] = {"sv": "Svenska", "nb": "Norsk bokmål", "en": "English"}
DEFAULT_LANGUAGE = "sv"
BABEL_LOCALES = {"sv": "sv_SE", "nb": "nb_NO", "en": "en_GB"}


def N_(text: str) -> str:
    """Mark ``text`` for translation without translating it (extracted by pybabel)."""
    return text


@dataclass(frozen=True)
class Message:
    """A translatable sentence with named parameters, rendered late in the reader's language."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, language: str) -> str:
        return translator(language)(self.msgid, **self.params)

    def __str__(self) -> str:  # English, for logs and exceptions
        return self.render("en")


@lru_cache(maxsize=None)
def _translations(language: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=BABEL_LOCALES.get(language, language))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translator(language: str) -> Callable[..., str]:
    """A ``_(msgid, **params)`` function for ``language``; parameters with a ``render`` method
    (Messages, lists of labels) are rendered in the same language."""
    translations = _translations(language if language in LANGUAGES else DEFAULT_LANGUAGE)

    def _(msgid: str, **params: Any) -> str:
        text = translations.gettext(msgid)
        if not params:
            return text
        rendered = {k: (v.render(language) if hasattr(v, "render") else v) for k, v in params.items()}
        return text.format(**rendered)

    return _


def render(value: "Message | str", language: str) -> str:
    return value.render(language) if isinstance(value, Message) else translator(language)(value)


def format_number(value: float | None, language: str, digits: int = 1) -> str:
    """A number in the reader's locale (decimal comma in sv and nb)."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=BABEL_LOCALES.get(language, "sv_SE"))


# Labels for stable identifiers. The ids are English and stay in code and database.
STAGE_LABELS = {
    "idea": N_("Idea"),
    "concept": N_("Concept"),
    "pilot": N_("Pilot"),
    "scale_up": N_("Scale-up"),
    "benefits_realisation": N_("Benefits realisation"),
    "realised": N_("Realised"),
    "stopped": N_("Stopped"),
    "fast_track": N_("Fast track"),
}
OUTCOME_LABELS = {
    "go": N_("Go"),
    "conditional_go": N_("Conditional go"),
    "hold": N_("Hold"),
    "recycle": N_("Recycle"),
    "stop": N_("Stop"),
    "fast_track": N_("Fast track to scale-up"),
}
CHECKLIST_STATUS_LABELS = {
    "open": N_("Open"),
    "done": N_("Done"),
    "not_applicable": N_("Not applicable"),
}
