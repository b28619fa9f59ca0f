"""My initiatives: the implementation lead's worklist. The initiatives they lead, with the open items of the
current stage's checklist and the overdue measurements, earliest due date first."""

from __future__ import annotations

import streamlit as st

from portfolio.i18n import STAGE_LABELS
from portfolio.queries import read
from portfolio.ui.components import current_actor, tr
from portfolio.ui.text import plain
from portfolio.ui.worklist import count, day, linked_rows, pager, requested_page
from portfolio.worklists import lead_worklist

WIDTHS = (1.5, 5, 3, 3, 3, 3)


def render() -> None:
    _ = tr()
    st.title(_("My initiatives"))
    worklist = read(lead_worklist, actor=current_actor(), page=requested_page())
    if not worklist.total:
        st.info(_("You lead no initiatives that are under way."))
        return
    st.caption(_("The initiatives you lead, earliest due date first. A measurement is overdue when the figure "
                 "of the last completed period is missing; the due date is when the oldest missing figure fell "
                 "due, or when the next one falls due."))
    linked_rows(
        [_("No."), _("Title"), _("Stage"), _("Open checklist items"), _("Overdue measurements"), _("Due")], WIDTHS,
        [(row.id, [plain(row.title),
                   _(STAGE_LABELS[row.stage]) + (" – " + _("On hold") if row.on_hold else ""),
                   count(row.open_items),
                   ("⚠ " if row.overdue else "") + count(row.overdue),
                   plain(day(row.due))])
         for row in worklist.rows])
    pager(worklist.page, worklist.pages)


if __name__ == "__main__":
    render()
