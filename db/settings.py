"""Settings read from the environment, once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SQLITE_PATH = Path("data") / "portfolio.db"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    ``DATABASE_URL`` selects the database (embedded SQLite by default, PostgreSQL with
    ``postgresql+psycopg://...``). ``PORTFOLIO_DEMO`` turns demo mode on (``1``) or off (``0``);
    it is off unless asked for, and ``make run`` asks for it.
    """

    database_url: str
    demo_mode: bool
    default_language: str

    @classmethod
    def from_env(cls) -> "Settings":
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
        return cls(
            database_url=url,
            demo_mode=_flag(os.environ.get("PORTFOLIO_DEMO"), default=False),
            default_language=os.environ.get("PORTFOLIO_LANGUAGE", "sv"),
        )


def get_settings() -> Settings:
    """The current settings (read from the environment each call, so tests can change it)."""
    return Settings.from_env()
