"""Every UI string is translated: the catalogues hold every msgid the code uses, in Swedish and Bokmål."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from portfolio.i18n import LOCALE_DIR, STAGE_LABELS, translator, vega_locale

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _msgids_in_code() -> set:
    """Every msgid the code marks: a string, or a (singular, plural) pair for a sentence with plural forms."""
    method_map = [("portfolio/**.py", "python"), ("workflows/**.py", "python"), ("streamlit_app.py", "python"),
                  ("workflows/**.toml", "workflows.i18n_extract:extract_labels")]
    keywords = {"_": None, "N_": None, "Np_": (1, 2)}
    return {message for _file, _line, message, _comments, _context in
            extract_from_dir(str(ROOT), method_map=method_map, keywords=keywords)
            if message}


def _catalog(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("language", ["sv", "nb"])
def test_every_ui_string_is_translated(language):
    catalog = _catalog(language)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted((msgid for msgid in _msgids_in_code()
                      if not translated.get(msgid) or not all(_forms(translated[msgid]))), key=str)
    assert missing == [], f"untranslated in {language} (run `make translations`): {missing}"


def _forms(text: str | tuple) -> tuple:
    return text if isinstance(text, tuple) else (text,)


@pytest.mark.parametrize("language", ["sv", "nb"])
def test_translations_keep_their_placeholders(language):
    wrong = [m.id for m in _catalog(language) if m.id and m.string
             for form in _forms(m.string)
             if set(PLACEHOLDER.findall(_forms(m.id)[0])) != set(PLACEHOLDER.findall(form))]
    assert wrong == []


ITEM = {"sv": "Enhetschefen stöder fortsatt arbete", "nb": "Enhetsleder støtter videre arbeid",
        "en": "Head of unit supports further work"}


@pytest.mark.parametrize("language, count, expected", [
    ("sv", 1, "Checklistan för Idé är inte klar: 1 obligatorisk punkt är öppen ({items})."),
    ("sv", 2, "Checklistan för Idé är inte klar: 2 obligatoriska punkter är öppna ({items})."),
    ("nb", 1, "Sjekklisten for Idé er ikke fullført: 1 obligatorisk punkt er åpent ({items})."),
    ("nb", 2, "Sjekklisten for Idé er ikke fullført: 2 obligatoriske punkter er åpne ({items})."),
    ("en", 1, "The checklist for Idea is not complete: 1 required item is open ({items})."),
    ("en", 2, "The checklist for Idea is not complete: 2 required items are open ({items})."),
])
def test_counted_sentences_take_the_plural_form_of_the_language(language, count, expected):
    from tests.test_lifecycle import complete_context, fact
    from workflows.rules import _checklist_message  # the gate rule's sentence

    ctx = complete_context(checklist=tuple(fact(f"k{i}", label=ITEM["en"]) for i in range(count)))
    items = "; ".join([ITEM[language]] * count)
    assert _checklist_message(ctx, "idea").render(language) == expected.format(items=items)


RULE_WORD = re.compile(r"\brules?\b", re.IGNORECASE)
CONDITION_WORD = re.compile(r"\bconditions?\b", re.IGNORECASE)


@pytest.mark.parametrize("language, rule_word, condition_word", [("sv", "krav", "villkor"), ("nb", "krav", "vilkår")])
def test_gate_rules_and_conditions_have_two_words(language, rule_word, condition_word):
    """A gate's rules are "krav"; the conditions of a conditional go are "villkor" (sv) or "vilkår" (nb)."""
    wrong = []
    for m in _catalog(language):
        msgid, text = _forms(m.id)[0], " ".join(_forms(m.string)).lower()
        if not m.id or not text:
            continue
        if RULE_WORD.search(msgid) and (rule_word not in text or condition_word in text):
            wrong.append((msgid, text))
        if CONDITION_WORD.search(msgid) and (condition_word not in text or rule_word in text):
            wrong.append((msgid, text))
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


@pytest.mark.parametrize("language, decimal, thousands, march, monday", [
    ("sv", ",", "\u00a0", "mars", "måndag"),
    ("nb", ",", "\u00a0", "mars", "mandag"),
    ("en", ".", ",", "March", "Monday"),
])
def test_charts_get_the_number_and_time_formats_of_the_language(language, decimal, thousands, march, monday):
    locale = vega_locale(language)
    assert (locale["number"]["decimal"], locale["number"]["thousands"]) == (decimal, thousands)
    assert locale["time"]["months"][2] == march and locale["time"]["days"][1] == monday  # d3 weeks start on Sunday
    assert len(locale["time"]["shortMonths"]) == 12 and len(locale["time"]["shortDays"]) == 7


def test_no_msgid_hides_inside_an_f_string():
    """pybabel cannot see ``_("...")`` inside an f-string (before Python 3.12), so such a text never reaches
    the catalogues and stays English on every page: translate it into a name first."""
    import ast

    hidden = []
    for path in [*sorted(ROOT.glob("portfolio/**/*.py")), ROOT / "streamlit_app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                hidden += [f"{path.relative_to(ROOT)}:{call.lineno} {call.args[0].value!r}" for call in ast.walk(node)
                           if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                           and call.func.id in ("_", "N_") and call.args and isinstance(call.args[0], ast.Constant)]
    assert hidden == []


def test_every_choice_has_a_translated_placeholder():
    """Streamlit's own placeholder of a select is English ("Choose an option"): every select passes its own."""
    import ast

    bare = []
    for path in sorted(ROOT.glob("portfolio/ui/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("selectbox", "multiselect")
                    and not any(keyword.arg == "placeholder" for keyword in node.keywords)):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []
