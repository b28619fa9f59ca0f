"""Expanders and tabs whose content is drawn only while they are open.

A closed expander of Streamlit still runs and sends everything inside it, and the browser builds every widget
of it. The Benefits tab has a handful of forms and tables per indicator, so its expanders draw their content
only when the reader opens them (which reruns the page, as a tab does).
"""

from __future__ import annotations

from typing import Callable

import streamlit as st

from portfolio.ui.components import tr


def lazy_expander(label: str, key: str, draw: Callable[[], None]) -> None:
    """An expander labelled ``label`` that calls ``draw`` inside itself only while it is open; ``key`` keeps
    it open or closed across runs (``st.session_state[key]`` is True while it is open)."""
    box = st.expander(label, key=key, on_change="rerun")
    if box.open:
        with box:
            draw()


def lazy_tabs(sections: dict[str, Callable[[], None]], key: str) -> None:
    """A tab per section (its label msgid → what draws it); only the open tab's section is drawn, and switching
    tabs reruns the page. ``key`` keeps the open tab across runs (``st.session_state[key]`` is its label)."""
    _ = tr()
    tabs = st.tabs([_(label) for label in sections], key=key, on_change="rerun")
    for tab, draw in zip(tabs, sections.values()):
        if tab.open:
            with tab:
                draw()
