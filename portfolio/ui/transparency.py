"""Transparency export (administrators and portfolio owners): the public page and its data, to download and
publish on the organisation's web site (``portfolio.public_export``)."""

from __future__ import annotations

import streamlit as st

from portfolio.i18n import LANGUAGES
from portfolio.public_export import HTML_FILE, JSON_FILE, public_html_for, public_json_for, transparency_page
from portfolio.queries import read
from portfolio.ui.components import current_actor, language, tr


def render() -> None:
    _ = tr()
    st.title(_("Transparency export"))
    st.write(_("Every initiative with its stage, decisions and benefits, as a page for the public web and as data. "
               "Initiatives and texts marked internal on an initiative's Details tab are left out, and so are "
               "people's names and estimated costs."))
    actor = current_actor()
    view = read(transparency_page, actor=actor)
    if view.refusal is not None:
        st.info(view.refusal.render(language()))
        return
    page_language = st.selectbox(_("Language of the page"), list(LANGUAGES), index=list(LANGUAGES).index(language()),
                                 format_func=LANGUAGES.__getitem__, key="transparency_language",
                                 placeholder=_("Choose an option"))
    # Written when a button is pressed, not on every run of the page; a download runs nothing else.
    st.download_button(_("Download the public page (HTML)"),
                       lambda: read(public_html_for, actor=actor, language=page_language),
                       file_name=HTML_FILE, mime="text/html", key="transparency_html", on_click="ignore")
    st.download_button(_("Download the data (JSON)"), lambda: read(public_json_for, actor=actor),
                       file_name=JSON_FILE, mime="application/json", key="transparency_json", on_click="ignore")


if __name__ == "__main__":
    render()
