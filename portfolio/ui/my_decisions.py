"""My decisions: the gates waiting for the signed-in user, 50 cards a page, grouped by portfolio and readiness."""

from __future__ import annotations

import streamlit as st

from portfolio.queries import read
from portfolio.decision_queue import my_decisions_page
from portfolio.i18n import STAGE_LABELS, Np_
from portfolio.ui.components import current_actor, language, tr
from portfolio.ui.text import plain, plain_messages


def _go_to(page: int) -> None:
    # The page number lives in the address, so a shared link opens the same page.
    st.query_params["page"] = str(page)


def _requested_page() -> int:
    raw = st.query_params.get("page", "1")
    return int(raw) if raw.isdigit() else 1


def render() -> None:
    _ = tr()
    lang = language()
    st.title(_("My decisions"))
    page = read(my_decisions_page, actor=current_actor(), page=_requested_page())
    if not page.total:
        st.info(_("No gates are waiting for you."))
        return
    st.caption(" ".join((
        _(Np_("{count} gate is waiting for you.", "{count} gates are waiting for you."), count=page.total),
        _(Np_("{count} is ready for a decision.", "{count} are ready for a decision."), count=page.ready))))
    counts = {(g.portfolio_id, g.ready): g.count for g in page.groups}
    shown = None
    for gate in page.gates:
        initiative = gate.initiative
        group = (initiative.portfolio_id, gate.ready)
        if group != shown:
            shown = group
            name, count = plain(initiative.portfolio), counts[group]
            st.subheader(_("{portfolio}: ready ({count})", portfolio=name, count=count) if gate.ready
                         else _("{portfolio}: not ready ({count})", portfolio=name, count=count))
        # Few elements per card: each costs the server a message and the browser a node to draw, fifty times.
        with st.container(border=True, key=f"gate_{initiative.id}"):
            readiness = ("✅ " + _("Ready")) if gate.ready else ("⏳ " + _("Not ready"))
            gate_word, stage = _("Gate"), _(STAGE_LABELS[initiative.stage])
            st.markdown(f"**{plain(initiative.title)}**  \n{gate_word}: {stage} · {readiness}")
            if not gate.ready:
                st.caption("  \n".join("– " + line for line in plain_messages(gate.unmet, lang)))
            # A link, not a button: the click goes straight to the initiative, without a run of this page first.
            st.page_link(st.session_state["pages"]["initiative"], label=_("Open initiative"),
                         query_params={"id": str(initiative.id)})
    if page.pages > 1:
        columns = st.columns([1, 2, 1])
        columns[0].button(_("Previous page"), key="page_previous", disabled=page.page <= 1,
                          on_click=_go_to, args=(page.page - 1,))
        columns[1].caption(_("Page {page} of {pages}", page=page.page, pages=page.pages))
        columns[2].button(_("Next page"), key="page_next", disabled=page.page >= page.pages,
                          on_click=_go_to, args=(page.page + 1,))


if __name__ == "__main__":
    render()
