"""The framework's floor for bench/clicks.py: two Streamlit pages that each show a title and a button and
nothing else, so a button press and a page switch cost only what Streamlit itself costs."""

import streamlit as st


def _first() -> None:
    st.title("Floor one")
    st.button("Press")


def _second() -> None:
    st.title("Floor two")
    st.button("Press")


st.navigation([st.Page(_first, title="Floor one", url_path="one", default=True),
               st.Page(_second, title="Floor two", url_path="two")]).run()
