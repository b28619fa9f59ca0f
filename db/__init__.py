"""Persistence: settings, engine and sessions, SQLModel tables, Alembic migrations."""
