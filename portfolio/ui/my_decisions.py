"""My decisions: the gates waiting for the signed-in user."""

from __future__ import annotations

import streamlit as st

from db.engine import read_session
from portfolio.gates import my_decisions
from portfolio.i18n import STAGE_LABELS
from portfolio.ui.components import current_actor, language, tr
from portfolio.ui.text import plain, plain_messages


def _open(initiative_id: int) -> None:
    st.session_state["initiative_id"] = initiative_id
    st.session_state["open_initiative"] = True


def render() -> None:
    _ = tr()
    lang = language()
    if st.session_state.pop("open_initiative", False):
        st.switch_page(st.session_state["pages"]["initiative"])
    st.title(_("My decisions"))
    with read_session() as session:
        pending = my_decisions(session=session, actor=current_actor())
    if not pending:
        st.info(_("No gates are waiting for you."))
        return
    ready = sum(1 for p in pending if p.ready)
    st.caption(_("{count} gates are waiting for you; {ready} are ready for a decision.", count=len(pending),
                 ready=ready))
    for gate in pending:
        initiative = gate.initiative
        with st.container(border=True, key=f"gate_{initiative.id}"):
            columns = st.columns([5, 2, 1])
            columns[0].markdown(f"**{plain(initiative.title)}**  \n{_('Gate')}: {_(STAGE_LABELS[initiative.stage])}")
            columns[1].markdown(("✅ " + _("Ready")) if gate.ready else ("⏳ " + _("Not ready")))
            columns[2].button(_("Open initiative"), key=f"open_{initiative.id}", on_click=_open, args=(initiative.id,))
            if not gate.ready:
                for line in plain_messages(gate.unmet, lang):
                    st.caption("– " + line)


if __name__ == "__main__":
    render()
