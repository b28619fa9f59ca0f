"""The domain: services and actions. Nothing here imports Streamlit."""
