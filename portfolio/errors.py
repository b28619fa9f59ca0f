"""Domain errors. Each carries a translatable Message that pages and the CLI show as is."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from portfolio.i18n import N_, Message


class DomainError(Exception):
    """A refusal the user should read. ``messages`` lists every problem found."""

    def __init__(self, *messages: Message):
        self.messages = list(messages)
        super().__init__("; ".join(str(m) for m in self.messages))

    def render(self, language: str) -> list[str]:
        """Every problem as text in ``language``, for the user to read."""
        return [message.render(language) for message in self.messages]


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field (or file row) and what is wrong with it."""

    field: str
    message: Message


class ValidationError(DomainError):
    """The input is invalid; every problem is listed with the field or row it came from."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__(*(p.message for p in problems))


class PermissionDenied(DomainError):
    pass


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """Someone else changed the row since the user read it; nothing was written."""


class RuleViolation(DomainError):
    """The gate rules do not hold; each unmet rule is listed in words."""


def too_long(model: type, values: dict) -> list[FieldProblem]:
    """A problem for every text value longer than its column allows (read from the table itself)."""
    problems = []
    for name, value in values.items():
        column = model.__table__.columns.get(name)
        limit = getattr(getattr(column, "type", None), "length", None)
        if isinstance(value, str) and limit is not None and len(value.strip()) > limit:
            problems.append(FieldProblem(name, Message(
                N_("{field} may have at most {count} characters."), {"field": name, "count": limit})))
    return problems


# Free text in a column without a declared length (descriptions, rationales, reasons) is capped here,
# so that nobody can store megabytes in a form field.
TEXT_MAX = 20_000
# Tab and line breaks belong in multi-line text; every other control character is refused.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def has_control_characters(value: str) -> bool:
    """True when ``value`` holds a control character other than tab and line breaks (a NUL byte, which
    PostgreSQL refuses in text, among them) or half of a surrogate pair (which no database can store)."""
    return any(
        unicodedata.category(ch) in ("Cc", "Cs") and ch not in _ALLOWED_CONTROLS for ch in value
    )


def text_problems(model: type | None, values: dict, *, length_checked: Iterable[str] = ()) -> list[FieldProblem]:
    """Every problem with free text typed by a user, for the validation of every action that stores it:
    control characters, and text longer than its column allows (``TEXT_MAX`` where the column has no
    length, or where the value has no column in ``model``). ``length_checked`` names fields whose length
    the caller checks with its own message."""
    problems = []
    skip_length = set(length_checked)
    columns = model.__table__.columns if model is not None else {}
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        if has_control_characters(value):
            problems.append(FieldProblem(name, Message(
                N_("{field} must not contain control characters."), {"field": name})))
        if name in skip_length:
            continue
        limit = getattr(getattr(columns.get(name), "type", None), "length", None) or TEXT_MAX
        if len(value.strip()) > limit:
            problems.append(FieldProblem(name, Message(
                N_("{field} may have at most {count} characters."), {"field": name, "count": limit})))
    return problems
