"""Settings read from the environment, once per process."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SQLITE_PATH = Path("data") / "portfolio.db"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def _hours(value: str | None, default: float) -> float:
    if value is None or value.strip() == "":
        return default
    hours = float(value)
    if not 0 < hours <= 24 * 30:
        raise ValueError(f"PORTFOLIO_SESSION_IDLE_HOURS must be between 0 and 720 hours, not {value!r}")
    return hours


def _timezone(value: str | None, default: str) -> str:
    name = (value or "").strip() or default
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"PORTFOLIO_TIMEZONE must name a time zone such as Europe/Stockholm, not {value!r}") from None
    return name


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    ``DATABASE_URL`` selects the database (embedded SQLite by default, PostgreSQL with
    ``postgresql+psycopg://...``). Whether a database is a demo database is recorded in the database
    itself, when it is created as one; ``PORTFOLIO_DEMO=0`` switches demo sign-in off even there (no
    demo buttons, demo accounts refused), and no setting switches it on anywhere else.
    ``PORTFOLIO_SSO_CLAIM`` names the ID-token claim that identifies an account at single sign-on
    (``email`` by default, or e.g. ``sub``); ``PORTFOLIO_LOCAL_SIGNIN=0`` switches local passwords off.
    ``PORTFOLIO_SESSION_IDLE_HOURS`` (default 8) is how long a signed-in browser may stay idle before it
    must sign in again. ``PORTFOLIO_TIMEZONE`` (default ``Europe/Stockholm``) is the organisation's time zone:
    times are stored in UTC and shown in it (the audit trail, decisions), whatever the reader's language.
    """

    database_url: str
    demo_mode: bool
    default_language: str
    sso_claim: str = "email"
    local_sign_in: bool = True
    session_idle_hours: float = 8.0
    timezone: str = "Europe/Stockholm"

    @classmethod
    def from_env(cls) -> "Settings":
        """The settings from the environment, with the development defaults where a variable is unset."""
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
        return cls(
            database_url=url,
            demo_mode=_flag(os.environ.get("PORTFOLIO_DEMO"), default=True),
            default_language=os.environ.get("PORTFOLIO_LANGUAGE", "sv"),
            sso_claim=os.environ.get("PORTFOLIO_SSO_CLAIM", "").strip() or "email",
            local_sign_in=_flag(os.environ.get("PORTFOLIO_LOCAL_SIGNIN"), default=True),
            session_idle_hours=_hours(os.environ.get("PORTFOLIO_SESSION_IDLE_HOURS"), default=8.0),
            timezone=_timezone(os.environ.get("PORTFOLIO_TIMEZONE"), default="Europe/Stockholm"),
        )


# The app server runs every user's clicks, and large imports, as threads of one Python process. With the
# default 5 ms switch interval a thread coming back from a database round trip may wait that long for the
# interpreter behind an import's validation loop, once per round trip; 1 ms keeps a gate decision beside
# a 100,000-row import well under 200 ms (bench/decision_during_import.py, thread mode).
SWITCH_INTERVAL_SECONDS = 0.001


def tune_interpreter() -> None:
    """Apply the app server's interpreter settings to this process."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def get_settings() -> Settings:
    """The current settings (read from the environment each call, so tests can change it)."""
    return Settings.from_env()
