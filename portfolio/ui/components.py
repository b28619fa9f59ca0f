"""Shared page components: language, signed-in user, messages, cached reads, the demo banner and the
page shown while the database cannot be reached."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable, Optional

import streamlit as st

from portfolio.actions import UNREACHABLE, database_reachable, is_unreachable
from portfolio.audit import data_version
from portfolio.auth import is_demo_database, set_own_language
from portfolio.choices import Choices
from portfolio.dispatch import Dispatcher
from portfolio.errors import PermissionDenied
from portfolio.i18n import LANGUAGES, Message, render, translator
from portfolio.permissions import Actor, load_actor
from portfolio.queries import get_settings, read

# How often a page that lost its database tries again.
RETRY_SECONDS = 5


def language() -> str:
    """The tab's language: the signed-in user's own (their profile), else the one picked, else the default."""
    return st.session_state.get("language") or get_settings().default_language


def adopt_language(actor: Actor) -> None:
    """Take the signed-in user's language from their profile, once per sign-in in this tab."""
    if st.session_state.get("language_of") != actor.user_id:
        st.session_state["language"] = actor.language
        st.session_state["language_of"] = actor.user_id


def tr() -> Callable[..., str]:
    """The translation function of the current tab's language."""
    return translator(language())


def _language_picked() -> None:
    picked = st.session_state["lang"]
    st.session_state["language"] = picked
    if st.session_state.get("user_id") is not None:
        # The user's profile follows, so their next sign-in, anywhere, is in this language too.
        done = dispatcher().run(set_own_language, language=picked)
        if not done.ok:
            flash("error", [message.render(picked) for message in done.problems])


def language_picker() -> None:
    """The language picker in the sidebar. The language itself lives apart from the widget, so no page switch
    or rerun can lose it; the widget is set from it on every run."""
    _ = tr()
    st.session_state["lang"] = language()
    st.sidebar.selectbox(_("Language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__, key="lang",
                         placeholder=_("Choose an option"),
                         on_change=_language_picked)


# Streamlit draws a few words of its own that no argument sets: the file uploader's button and size line, the
# table toolbar's CSV download, and the "Press Enter" hints. Style rules put the reader's words in their place
# (or hide them), so no page shows English to a Swedish or Norwegian reader.
_STREAMLIT_WORDS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
  content: {upload}; font-size: 1rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{ content: {limit}; font-size: 0.875rem; }}
[data-testid="stElementToolbarButton"]:has(button[aria-label="Download as CSV"]) {{ display: none; }}
[data-testid="InputInstructions"] {{ display: none; }}
</style>"""


def streamlit_words() -> None:
    """Streamlit's own words in the tab's language. The table toolbar's "Download as CSV" goes: it writes
    cells as they are, formulas included, and the app's own downloads neutralise them."""
    _ = tr()
    megabytes = st.get_option("server.maxUploadSize")
    st.html(_STREAMLIT_WORDS.format(
        upload=json.dumps(_("Upload"), ensure_ascii=False),
        limit=json.dumps(_("At most {megabytes} MB per file", megabytes=megabytes), ensure_ascii=False)))


# WCAG 2.1 AA, 1.4.3 (contrast): Streamlit's faded grey for captions is 3.9:1 on white, under the 4.5:1 that small
# text needs; captions take the text's own colour, a little faded, which keeps 4.5:1 in the light and dark themes.
# The element that names the page's language is hidden: it holds only a script.
_ACCESSIBLE = """<style>
[data-testid="stCaptionContainer"] { color: inherit; opacity: 0.8; }
.st-key-document_language { display: none; }
</style>"""
# WCAG 2.1 A, 3.1.1 (language of page): Streamlit's page always says it is in English; a screen reader reads the
# page in the voice of the language it says, so it says the reader's.
_DOCUMENT_LANGUAGE = "<script>document.documentElement.lang = {language};</script>"


def accessibility() -> None:
    """Bring the page up to WCAG 2.1 AA where Streamlit's defaults fall short: caption contrast, and the
    language the page says it is in (the tab's language)."""
    st.html(_ACCESSIBLE)
    with st.sidebar.container(key="document_language"):
        st.html(_DOCUMENT_LANGUAGE.format(language=json.dumps(language())), unsafe_allow_javascript=True)


def tab_title(page_title: str) -> None:
    """Name the browser tab after the page (WCAG 2.1 A, 2.4.2: every page has a title of its own)."""
    _ = tr()
    st.set_page_config(page_title=" – ".join((page_title, _("Initiative portfolio"))))


@contextmanager
def script_run() -> Iterator[None]:
    """Mark one run of the app script, so that its pages share one load of the signed-in user.

    Callbacks (a button's on_click) run between two script runs, outside this mark: they load the
    user afresh, so an action is always checked against the user's roles as they are now."""
    st.session_state["_script_run"] = object()
    try:
        yield
    finally:
        st.session_state.pop("_script_run", None)
        st.session_state.pop("_actor_of_run", None)


def current_actor() -> Optional[Actor]:
    """The signed-in user, or None, loaded once per script run. A user deactivated (or removed) since
    signing in is signed out here, on their next click, and the sign-in page tells them why."""
    user_id = st.session_state.get("user_id")
    if user_id is None:
        return None
    run = st.session_state.get("_script_run")
    cached = st.session_state.get("_actor_of_run")
    if run is not None and cached is not None and cached[0] is run and cached[1].user_id == user_id:
        return cached[1]
    try:
        actor = read(load_actor, user_id=user_id)
        if run is not None:
            st.session_state["_actor_of_run"] = (run, actor)
        return actor
    except PermissionDenied:
        _ = tr()
        st.session_state.pop("user_id", None)
        flash("warning", [_("Your account is no longer active; you have been signed out.")])
        return None


# A banner of its own kind (not an alert), so that a page's own warnings stay the page's.
_DEMO_BANNER = ('<div role="status" style="background:#fff4ce;color:#4d3800;border:1px solid #e0b400;'
                'border-radius:0.5rem;padding:0.5rem 1rem;font-weight:600">⚠ {text}</div>')


def demo_banner() -> None:
    """Say on every page of a demo database that its data is invented."""
    if read(lambda session: is_demo_database(session)):
        _ = tr()
        text = _("Demo data: invented initiatives and users. Do not enter real information.")
        st.html(_DEMO_BANNER.format(text=html.escape(text)))


@st.fragment(run_every=RETRY_SECONDS)
def _retry_when_database_is_back() -> None:
    # Runs again every few seconds without a click; the whole page comes back once the database answers.
    # Its first run is part of the failed page run itself, so it waits for the first tick.
    if not st.session_state.pop("database_outage_just_shown", False) and database_reachable():
        st.rerun()


@contextmanager
def database_outage_shown() -> Iterator[None]:
    """Run a page; if its database cannot be reached, say so in words (never the connection string,
    host, file path or a traceback) and bring the page back by itself once the database answers."""
    # The message goes at the top, above whatever the page had shown before the database went away.
    slot = st.empty()
    try:
        yield
    except Exception as error:  # noqa: BLE001 - only an unreachable database is handled; the rest goes on
        if not is_unreachable(error):
            raise
        slot.error(tr()(UNREACHABLE))
        st.session_state["database_outage_just_shown"] = True
        _retry_when_database_is_back()


# Session-state keys of the name searches above choice lists; the page reads them before its one read.
UNIT_SEARCH = "unit_search"
USER_SEARCH = "user_search"


def searches() -> dict[str, str]:
    """What the user typed in the name searches, as arguments of a read (``unit_search``, ``user_search``)."""
    return {UNIT_SEARCH: st.session_state.get(UNIT_SEARCH, ""), USER_SEARCH: st.session_state.get(USER_SEARCH, "")}


def name_search(key: str, label: str, choices: Choices) -> None:
    """A search field above a choice list that holds only part of a long table (org units, people): the
    next run lists the names containing what was typed, and a caption says how many more match."""
    _ = tr()
    st.text_input(label, key=key, placeholder=_("Type part of a name"))
    if choices.more:
        st.caption(_("More names match ({count}); type more of the name.", count=choices.more))


def current_data_version() -> tuple[int, ...]:
    return read(data_version)


def flash(kind: str, lines: list[str], where: str = "page") -> None:
    """Keep a message to show after the rerun that a button causes, at the place named ``where``."""
    st.session_state[f"flash_{where}"] = (kind, lines)


def show_flash(where: str = "page") -> None:
    kind, lines = st.session_state.pop(f"flash_{where}", (None, []))
    if kind == "success":
        for line in lines:
            st.success(line)
    elif kind == "warning":
        st.warning("\n\n".join(lines))
    elif kind == "error":
        st.error("\n\n".join(lines))


def dispatcher() -> Dispatcher:
    """The dispatcher that runs actions for the signed-in user (anonymous when nobody is signed in).

    During a script run it reuses the user the run loaded; a callback (between two runs) gets one that
    loads the user afresh inside the action's transaction."""
    user_id = st.session_state.get("user_id")
    if user_id is not None and st.session_state.get("_script_run") is not None:
        return Dispatcher(user_id, actor=current_actor())
    return Dispatcher(user_id)


def run_action(action: Callable[..., object], success: Message | str, where: str = "page", **kwargs) -> bool:
    """Run one domain action for the signed-in user through the dispatcher; show its refusal (every
    problem, with what the user typed escaped) or its success at ``where``."""
    from portfolio.ui.text import plain_messages

    lang = language()
    done = dispatcher().run(action, **kwargs)
    if not done.ok:
        flash("error", plain_messages(done.problems, lang), where)
        return False
    flash("success", [render(success, lang)], where)
    return True

