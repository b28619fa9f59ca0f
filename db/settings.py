"""Settings read from the environment, once per process."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflows.lifecycle import STAGE_ORDER

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


DEFAULT_STAGE_LIMIT_DAYS = 180


def _stage_limits(value: str | None) -> tuple[tuple[str, int], ...]:
    """Days an initiative may stay in each stage that has a gate, from ``180`` (every stage) or
    ``180,pilot=365,idea=60`` (a bare number for every stage, ``stage=days`` for one of them)."""
    default, own = DEFAULT_STAGE_LIMIT_DAYS, {}
    defaults = 0
    for item in (value or "").split(","):
        stage, _, days = (part.strip() for part in item.rpartition("="))
        if not stage and not days:
            continue
        if not days.isdigit() or int(days) < 1 or (stage and stage not in STAGE_ORDER) or (not stage and defaults):
            raise ValueError(f"PORTFOLIO_STAGE_LIMIT_DAYS must be a number of days such as 180, optionally with "
                             f"stages such as 180,pilot=365 (stages: {', '.join(STAGE_ORDER)}), not {value!r}")
        if stage:
            own[stage] = int(days)
        else:
            default, defaults = int(days), 1
    return tuple((str(stage), own.get(stage, default)) for stage in STAGE_ORDER)


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
    ``PORTFOLIO_STAGE_LIMIT_DAYS`` (default 180) is how many days an initiative may stay in a stage before the
    dashboard flags it: one number for every stage, or with a number of its own for some (``180,pilot=365``).
    """

    database_url: str
    demo_mode: bool
    default_language: str
    sso_claim: str = "email"
    local_sign_in: bool = True
    session_idle_hours: float = 8.0
    timezone: str = "Europe/Stockholm"
    stage_limit_days: tuple[tuple[str, int], ...] = tuple(
        (str(stage), DEFAULT_STAGE_LIMIT_DAYS) for stage in STAGE_ORDER)

    def stage_limit(self, stage: str) -> int:
        """The days an initiative may stay in ``stage`` (a stage with a gate) before the dashboard flags it."""
        return dict(self.stage_limit_days)[stage]

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
            stage_limit_days=_stage_limits(os.environ.get("PORTFOLIO_STAGE_LIMIT_DAYS")),
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
