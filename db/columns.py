"""Columns of vocabulary ids (``workflows.vocabulary``): their check constraints and their column type."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Iterable, Optional

from sqlalchemy import CheckConstraint, String, TypeDecorator


def one_of(column: str, ids: Iterable[StrEnum], *, name: str) -> CheckConstraint:
    """The check constraint ``name`` that keeps ``column`` to ``ids`` (a vocabulary, or some of its members).
    Its text is the one the migrations wrote: ``column IN ('a', 'b')``."""
    return CheckConstraint(f"{column} IN ({', '.join(repr(str(value)) for value in ids)})", name=name)


class VocabularyType(TypeDecorator):
    """A vocabulary's id in a VARCHAR column: stored as the id, read back as the vocabulary's member."""

    impl = String
    cache_ok = True

    def __init__(self, vocabulary: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.vocabulary = vocabulary
        self.length = length
        # Looked up per row read (20,000 rows of an overview): a dict is a tenth of the enum's own lookup.
        self._members = {member.value: member for member in vocabulary}

    def process_bind_param(self, value: Any, dialect: Any) -> Optional[str]:
        """The id as plain text (the check constraint refuses an unknown one)."""
        return None if value is None else str(value)

    def process_result_value(self, value: Optional[str], dialect: Any) -> Optional[StrEnum]:
        """The vocabulary's member for a stored id."""
        return None if value is None else self._members[value]
