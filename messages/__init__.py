"""User-visible text, kept translatable until someone reads it.

Domain code (``portfolio``, ``workflows``) marks an English msgid with ``N_`` and returns ``Message``
objects; a page or the command line renders them in the reader's language through gettext catalogues.
This package imports nothing from the application, so every layer can use it. The application names
its catalogue directory once with ``use_catalogues`` (``portfolio.i18n`` does so when imported).
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from babel.messages.mofile import write_mo
from babel.numbers import format_decimal
from babel.messages.pofile import read_po

LANGUAGES: dict[str, str] = {"sv": "Svenska", "nb": "Norsk bokmål", "en": "English"}
DEFAULT_LANGUAGE = "sv"
BABEL_LOCALES = {"sv": "sv_SE", "nb": "nb_NO", "en": "en_GB"}

# Where ``<language>/LC_MESSAGES/messages.po`` are found; None renders every msgid as written (English).
_catalogue_dir: Path | None = None


def N_(text: str) -> str:
    """Mark ``text`` for translation without translating it (extracted by pybabel)."""
    return text


@dataclass(frozen=True)
class Plural:
    """A sentence with a singular and a plural msgid; the ``count`` parameter chooses the form, by the
    plural rule of the reader's language ("1 required item is open", "3 required items are open")."""

    singular: str
    plural: str


def Np_(singular: str, plural: str) -> Plural:
    """Mark a sentence with plural forms for translation (extracted by pybabel as ``Np_:1,2``)."""
    return Plural(singular, plural)


@dataclass(frozen=True)
class Message:
    """A translatable sentence with named parameters, rendered late in the reader's language."""

    msgid: "str | Plural"
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, language: str) -> str:
        """The sentence in ``language``, its parameters rendered in the same language."""
        return translator(language)(self.msgid, **self.params)

    def __str__(self) -> str:  # English, for logs and exceptions
        return self.render("en")


def use_catalogues(directory: Path) -> None:
    """Translate from the ``.po`` catalogues under ``directory`` from now on."""
    global _catalogue_dir
    if directory != _catalogue_dir:
        _catalogue_dir = directory
        _translations.cache_clear()


@lru_cache(maxsize=None)
def _translations(language: str) -> gettext.NullTranslations:
    # Compiled in memory with Babel when first used, so there is no build step to forget.
    po_path = _catalogue_dir / language / "LC_MESSAGES" / "messages.po" if _catalogue_dir else None
    if po_path is None or not po_path.exists():
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

    def _(msgid: "str | Plural", **params: Any) -> str:
        if isinstance(msgid, Plural):
            count = params["count"]
            text = translations.ngettext(msgid.singular, msgid.plural, count)
            params = {**params, "count": format_decimal(count, locale=BABEL_LOCALES.get(language, "sv_SE"))}
        else:
            text = translations.gettext(msgid)
        if not params:
            return text
        rendered = {k: (v.render(language) if hasattr(v, "render") else v) for k, v in params.items()}
        return text.format(**rendered)

    return _


def render(value: "Message | Plural | str", language: str) -> str:
    """A Message, or a bare msgid, in ``language``."""
    return value.render(language) if isinstance(value, Message) else translator(language)(value)
