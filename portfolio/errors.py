"""Domain errors. Each carries a translatable Message that pages and the CLI show as is."""

from __future__ import annotations

from dataclasses import dataclass

from portfolio.i18n import N_, Message


class DomainError(Exception):
    """A refusal the user should read. ``messages`` lists every problem found."""

    def __init__(self, *messages: Message):
        self.messages = list(messages)
        super().__init__("; ".join(str(m) for m in self.messages))

    def render(self, language: str) -> list[str]:
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
