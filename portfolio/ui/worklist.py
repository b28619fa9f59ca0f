"""What the worklist pages share: a table whose rows start with the initiative's number linking to it, due
dates in the reader's language, and the page buttons."""

from __future__ import annotations

from datetime import date
from typing import Iterable, Optional, Sequence

import streamlit as st
from babel.dates import format_date

from portfolio.i18n import BABEL_LOCALES, format_number
from portfolio.ui.components import language, tr


def day(value: Optional[date]) -> str:
    """A date in the reader's language ("2 nov. 2026"); a dash for none."""
    if value is None:
        return "–"
    return format_date(value, "medium", locale=BABEL_LOCALES.get(language(), BABEL_LOCALES["sv"]))


def count(value: int) -> str:
    """A count in the reader's locale's digits."""
    return format_number(value, language(), digits=0)


def linked_rows(headers: Sequence[str], widths: Sequence[int], rows: Iterable[tuple[int, Sequence[str]]]) -> None:
    """A table under ``headers``: each row is an initiative's number (#42), a link to its page, and the row's
    other cells, shown as Markdown (the caller escapes what users typed, and dates: "1. nov." would start a
    numbered list)."""
    initiative_page = st.session_state["pages"]["initiative"]
    for column, header in zip(st.columns(widths), headers):
        column.markdown(f"**{header}**")
    for initiative_id, cells in rows:
        columns = st.columns(widths, vertical_alignment="center")
        columns[0].page_link(initiative_page, label=f"#{initiative_id}", query_params={"id": str(initiative_id)})
        for column, cell in zip(columns[1:], cells):
            column.markdown(cell)


def _go_to(page: int) -> None:
    # The page number lives in the address, so a shared link opens the same page.
    st.query_params["page"] = str(page)


def requested_page() -> int:
    """The page number the address asks for (1 when it asks for none)."""
    raw = st.query_params.get("page", "1")
    return int(raw) if raw.isdigit() else 1


def pager(page: int, pages: int) -> None:
    """Previous and next buttons around "Page 2 of 5", when there is more than one page."""
    if pages <= 1:
        return
    _ = tr()
    columns = st.columns([1, 2, 1])
    columns[0].button(_("Previous page"), key="page_previous", disabled=page <= 1, on_click=_go_to, args=(page - 1,))
    columns[1].caption(_("Page {page} of {pages}", page=page, pages=pages))
    columns[2].button(_("Next page"), key="page_next", disabled=page >= pages, on_click=_go_to, args=(page + 1,))
