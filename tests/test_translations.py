"""Every UI string is translated: the catalogues hold every msgid the code uses, in Swedish and Bokmål."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from portfolio.i18n import LOCALE_DIR, STAGE_LABELS, translator

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _msgids_in_code() -> set[str]:
    method_map = [("portfolio/**.py", "python"), ("workflows/**.py", "python"), ("streamlit_app.py", "python"),
                  ("workflows/**.toml", "workflows.i18n_extract:extract_labels")]
    keywords = {"_": None, "N_": None}
    return {message for _file, _line, message, _comments, _context in
            extract_from_dir(str(ROOT), method_map=method_map, keywords=keywords)
            if isinstance(message, str) and message}


def _catalog(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("language", ["sv", "nb"])
def test_every_ui_string_is_translated(language):
    catalog = _catalog(language)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted(msgid for msgid in _msgids_in_code() if not translated.get(msgid))
    assert missing == [], f"untranslated in {language} (run `make translations`): {missing}"


@pytest.mark.parametrize("language", ["sv", "nb"])
def test_translations_keep_their_placeholders(language):
    wrong = [m.id for m in _catalog(language) if m.id and m.string
             and set(PLACEHOLDER.findall(m.id)) != set(PLACEHOLDER.findall(m.string))]
    assert wrong == []


@pytest.mark.parametrize("stage, sv, nb, en", [
    ("idea", "Idé", "Idé", "Idea"),
    ("concept", "Koncept", "Konsept", "Concept"),
    ("pilot", "Pilot", "Pilot", "Pilot"),
    ("scale_up", "Breddinförande", "Oppskalering", "Scale-up"),
    ("benefits_realisation", "Effekthemtagning", "Gevinstrealisering", "Benefits realisation"),
    ("realised", "Realiserad", "Realisert", "Realised"),
    ("stopped", "Avbruten", "Avbrutt", "Stopped"),
])
def test_stage_labels_are_those_of_the_design(stage, sv, nb, en):
    assert [translator(lang)(STAGE_LABELS[stage]) for lang in ("sv", "nb", "en")] == [sv, nb, en]
