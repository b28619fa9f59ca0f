"""The product's vocabularies: every closed list of ids is one ``StrEnum`` here, and everything else reads it.

A member's value is the id that code, files and the database hold (rows store it, so it never changes); its
``label`` is the English msgid that a page or the command line translates. The database check constraints,
validation, form choices and label tables are derived from these enums, so a new id is one line here (and a
migration for its check constraint). The lifecycle machine takes its states from ``Stage``
(``workflows.lifecycle``), and derives the final stages and the forward outcomes from its transitions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from messages import N_


class Vocabulary(StrEnum):
    """A closed list of ids; each member is declared as ``NAME = "id", N_("Label")``."""

    _label: str

    def __new__(cls, value: str, *_details: Any) -> "Vocabulary":
        member = str.__new__(cls, value)
        member._value_ = value
        return member

    def __init__(self, _value: str, label: str) -> None:
        self._label = label

    @property
    def label(self) -> str:
        """The member's English label: a msgid that the reader's translator turns into their language."""
        return self._label

    @classmethod
    def has(cls, value: object) -> bool:
        """True when ``value`` is one of the ids (Python 3.11's ``in`` takes members only, and raises on text)."""
        try:
            cls(value)
        except ValueError:
            return False
        return True

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Every id with its label msgid, in the vocabulary's order (a page's choice list or label table)."""
        return {member: member.label for member in cls}


class Stage(Vocabulary):
    """A stage of the lifecycle, in lifecycle order; the last two are final (see ``workflows.lifecycle``)."""

    IDEA = "idea", N_("Idea")
    CONCEPT = "concept", N_("Concept")
    PILOT = "pilot", N_("Pilot")
    SCALE_UP = "scale_up", N_("Scale-up")
    BENEFITS_REALISATION = "benefits_realisation", N_("Benefits realisation")
    REALISED = "realised", N_("Realised")
    STOPPED = "stopped", N_("Stopped")


class Outcome(Vocabulary):
    """A gate outcome: the events of the lifecycle machine, in the order a gate offers them."""

    GO = "go", N_("Go")
    CONDITIONAL_GO = "conditional_go", N_("Conditional go")
    HOLD = "hold", N_("Hold")
    RECYCLE = "recycle", N_("Recycle")
    STOP = "stop", N_("Stop")
    FAST_TRACK = "fast_track", N_("Fast track to scale-up")


# The fast-track checklist and its rules are named by the outcome's id; as a checklist it is "Fast track".
FAST_TRACK_CHECKLIST_LABEL = N_("Fast track")


class ChecklistStatus(Vocabulary):
    """Where a checklist item stands."""

    OPEN = "open", N_("Open")
    DONE = "done", N_("Done")
    NOT_APPLICABLE = "not_applicable", N_("Not applicable")


class InitiativeStatus(Vocabulary):
    """An initiative's status in the overview: read from its stage and hold flag, never stored."""

    ACTIVE = "active", N_("Active")
    ON_HOLD = "on_hold", N_("On hold")
    CLOSED = "closed", N_("Closed")


class Role(Vocabulary):
    """A role a user is granted, for a portfolio, an org unit, or (administrators) everything."""

    ADMIN = "admin", N_("Administrator")
    PORTFOLIO_OWNER = "portfolio_owner", N_("Portfolio owner")
    IMPLEMENTATION_LEAD = "implementation_lead", N_("Implementation lead")
    STEERING = "steering", N_("Steering group")
    REPORTER = "reporter", N_("Unit reporter")


class BenefitCategory(Vocabulary):
    """What kind of good a benefit does."""

    QUALITY_PATIENT_SAFETY = "quality_patient_safety", N_("Quality and patient safety")
    ACCESS_WAITING_TIMES = "access_waiting_times", N_("Access and waiting times")
    CASH_SAVINGS = "cash_savings", N_("Cash savings")
    FREED_CAPACITY = "freed_capacity", N_("Freed capacity")
    WORK_ENVIRONMENT = "work_environment", N_("Work environment")
    PATIENT_EXPERIENCE = "patient_experience", N_("Patient experience")
    SUSTAINABILITY = "sustainability", N_("Sustainability")


class Recipient(Vocabulary):
    """Who receives a benefit."""

    PATIENTS_CITIZENS = "patients_citizens", N_("Patients and citizens")
    STAFF = "staff", N_("Staff")
    ORGANISATION = "organisation", N_("Organisation")
    OTHER_PUBLIC_BODIES = "other_public_bodies", N_("Other public bodies")
    SOCIETY = "society", N_("Society")


class BenefitKind(Vocabulary):
    """A benefit, or a dis-benefit the initiative accepts."""

    BENEFIT = "benefit", N_("Benefit")
    DIS_BENEFIT = "dis_benefit", N_("Dis-benefit")


class Direction(Vocabulary):
    """Which way an indicator is better."""

    HIGHER = "higher", N_("Higher is better")
    LOWER = "lower", N_("Lower is better")


class Frequency(Vocabulary):
    """How often an indicator is measured; each period is identified by its first day.

    ``period_format`` is how a period is written in files, the grid and messages (``portfolio.benefits_math``
    parses and writes it)."""

    period_format: str

    DAY = "day", N_("Daily"), "YYYY-MM-DD"
    WEEK = "week", N_("Weekly"), "YYYY-Www"
    MONTH = "month", N_("Monthly"), "YYYY-MM"
    QUARTER = "quarter", N_("Quarterly"), "YYYY-Qn"
    YEAR = "year", N_("Yearly"), "YYYY"

    def __init__(self, value: str, label: str, period_format: str) -> None:
        super().__init__(value, label)
        self.period_format = period_format


class Aggregation(Vocabulary):
    """How an indicator's values combine across org units."""

    SUM = "sum", N_("Sum across units")
    MEAN = "mean", N_("Mean across units")


class IndicatorStatus(Vocabulary):
    """Traffic light for an indicator compared with its planned path."""

    GREEN = "green", N_("On track")
    AMBER = "amber", N_("Slightly behind")
    RED = "red", N_("Behind plan")
    UNKNOWN = "unknown", N_("Not measured yet")  # no measurement yet, so nothing to judge


class MeasurementSource(Vocabulary):
    """Where a measurement came from."""

    FORM = "form", N_("Form")
    IMPORT = "import", N_("File import")
    INTEGRATION = "integration", N_("Integration")


class Level(Vocabulary):
    """A level of follow-up by level (after Socialstyrelsen's capacity-planning support, PKS)."""

    STRATEGIC = "strategic", N_("Strategic")
    TACTICAL = "tactical", N_("Tactical")
    OPERATIONAL = "operational", N_("Operational")
