"""Streamlit pages (one module each) and shared components. The only Streamlit code besides the entry."""
