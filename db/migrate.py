"""Run Alembic migrations from code (the CLI, ``make run`` and the tests all use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration for the database at ``url`` (default: DATABASE_URL)."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["url"] = url
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Migrate the database at ``url`` (default: DATABASE_URL) to ``revision``."""
    command.upgrade(alembic_config(url), revision)
