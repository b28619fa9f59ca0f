"""Failed sign-ins (administrators): who was tried and when, newest first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portfolio.queries import read
from portfolio.auth import FAILURE_WINDOW, MAX_FAILURES, recent_sign_in_failures
from portfolio.errors import DomainError
from portfolio.ui.components import current_actor, language, tr


def render() -> None:
    _ = tr()
    st.title(_("Failed sign-ins"))
    st.caption(_("The last 7 days, newest first. After {count} failures within {minutes} minutes a user name "
                 "must wait before it may try again.", count=MAX_FAILURES,
                 minutes=int(FAILURE_WINDOW.total_seconds() // 60)))
    try:
        failures = read(recent_sign_in_failures, actor=current_actor())
    except DomainError as error:
        st.error("\n\n".join(error.render(language())))
        return
    if not failures:
        st.info(_("No failed sign-ins."))
        return
    st.dataframe(pd.DataFrame({_("Time (UTC)"): [f.at.strftime("%Y-%m-%d %H:%M:%S") for f in failures],
                               _("User name"): [f.username for f in failures]}),
                 hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
