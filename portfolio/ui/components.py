"""Shared page components: language, signed-in user, messages, cached reads."""

from __future__ import annotations

from typing import Callable, Optional

import streamlit as st

from db.engine import read_session, write_session
from db.settings import get_settings
from portfolio.audit import data_version
from portfolio.errors import DomainError
from portfolio.i18n import LANGUAGES, Message, render, translator
from portfolio.permissions import Actor, load_actor


def language() -> str:
    if "lang" not in st.session_state:
        st.session_state["lang"] = get_settings().default_language
    return st.session_state["lang"]


def tr() -> Callable[..., str]:
    """The translation function of the current tab's language."""
    return translator(language())


def language_picker() -> None:
    _ = tr()
    st.sidebar.selectbox(_("Language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__, key="lang")


def current_actor() -> Optional[Actor]:
    user_id = st.session_state.get("user_id")
    if user_id is None:
        return None
    with read_session() as session:
        return load_actor(session=session, user_id=user_id)


def current_data_version() -> int:
    with read_session() as session:
        return data_version(session)


def flash(kind: str, lines: list[str], where: str = "page") -> None:
    """Keep a message to show after the rerun that a button causes, at the place named ``where``."""
    st.session_state[f"flash_{where}"] = (kind, lines)


def show_flash(where: str = "page") -> None:
    kind, lines = st.session_state.pop(f"flash_{where}", (None, []))
    if kind == "success":
        for line in lines:
            st.success(line)
    elif kind == "error":
        st.error("\n\n".join(lines))


def run_action(action: Callable[..., object], success: Message | str, where: str = "page", **kwargs) -> bool:
    """Run one domain action in one transaction; show its refusal (every problem) or its success."""
    lang = language()
    try:
        with write_session() as session:
            action(session=session, **kwargs)
    except DomainError as error:
        flash("error", error.render(lang), where)
        return False
    flash("success", [render(success, lang)], where)
    return True

