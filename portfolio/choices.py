"""Choice lists: the portfolios, org units and people a form or filter chooses from.

A region has about 1,500 org units and thousands of staff, so a form never receives a whole table:
it asks for the entries whose name contains what the user typed (``search``), at most ``limit`` of
them by name, plus the entries it must always show (``keep``: the current value, so a form can show
what is chosen now). ``more`` says how many further entries match, so the page can ask for more typing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from db.models import Benefit, Indicator, Measurement, OrgUnit, Portfolio, User
from portfolio.permissions import subtree_ids

CHOICE_LIMIT = 50


@dataclass(frozen=True)
class Choice:
    """One entry of a choice list: an id and the name shown for it."""

    id: int
    name: str


@dataclass(frozen=True)
class Choices:
    """Entries of one choice list by name, and how many more match the search than are listed."""

    entries: tuple[Choice, ...]
    more: int = 0

    def names(self) -> dict[int, str]:
        """The entries as ``{id: name}``, in order."""
        return {entry.id: entry.name for entry in self.entries}


def _searchable(text: str) -> str:
    # A search is only ever compared with names: control characters (a NUL, which PostgreSQL refuses in
    # text) can match nothing and are dropped.
    return "".join(ch for ch in text if ch.isprintable()).strip()


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _choices(session: Session, id_column, name_column, where, search: str, limit: int,
             keep: Iterable[int]) -> Choices:
    matching = [where] if where is not None else []
    search = _searchable(search)
    if search:
        matching.append(func.lower(name_column).like(_like(search), escape="\\"))
    rows = session.exec(select(id_column, name_column).where(*matching).order_by(name_column, id_column)
                        .limit(limit + 1)).all()
    total = None
    if len(rows) > limit:
        total = session.exec(select(func.count()).select_from(select(id_column).where(*matching).subquery())).one()
        rows = rows[:limit]
    listed = {row[0] for row in rows}
    kept = set(keep) - listed - {None}
    if kept:
        rows = [*rows, *session.exec(select(id_column, name_column).where(col(id_column).in_(kept))).all()]
        rows.sort(key=lambda row: (row[1], row[0]))
    return Choices(entries=tuple(Choice(*row) for row in rows), more=0 if total is None else total - limit)


PATH_SEPARATOR = " › "


def unit_paths(session: Session, unit_ids: Iterable[int]) -> dict[int, str]:
    """Each unit's path from the top of its tree ("Region Öst › Akademiska sjukhuset › Kirurgkliniken"), for
    a handful of units: one recursive query walks up from them."""
    ids = set(unit_ids) - {None}
    if not ids:
        return {}
    up = select(OrgUnit.id.label("start"), OrgUnit.id.label("id"), OrgUnit.parent_id.label("parent_id"),
                OrgUnit.name.label("name"), literal(0).label("depth")).where(col(OrgUnit.id).in_(ids)).cte(
        "unit_path", recursive=True)
    parent = aliased(OrgUnit)
    # Depth bounds the walk, so a corrupt tree with a cycle still ends.
    up = up.union_all(select(up.c.start, parent.id, parent.parent_id, parent.name, up.c.depth + 1)
                      .join(parent, parent.id == up.c.parent_id).where(up.c.depth < 50))
    names: dict[int, list[tuple[int, str]]] = {}
    for start, name, depth in session.exec(select(up.c.start, up.c.name, up.c.depth)).all():
        names.setdefault(start, []).append((depth, name))
    return {start: PATH_SEPARATOR.join(name for _depth, name in sorted(chain, reverse=True))
            for start, chain in names.items()}


def _with_paths(session: Session, choices: Choices) -> Choices:
    paths = unit_paths(session, [entry.id for entry in choices.entries])
    return Choices(entries=tuple(Choice(entry.id, paths.get(entry.id, entry.name)) for entry in choices.entries),
                   more=choices.more)


def unit_choices(*, session: Session, search: str = "", limit: int = CHOICE_LIMIT, keep: Iterable[int] = ()) -> Choices:
    """Org units whose name contains ``search``, by name, at most ``limit`` plus the ``keep`` ids; each is
    shown with its path in the tree, since many clinics share a name across hospitals."""
    return _with_paths(session, _choices(session, OrgUnit.id, OrgUnit.name, None, search, limit, keep))


def user_choices(*, session: Session, search: str = "", limit: int = CHOICE_LIMIT, keep: Iterable[int] = ()) -> Choices:
    """Active people whose name contains ``search``, by name, at most ``limit`` plus the ``keep`` ids (who
    may be deactivated: a form shows who is chosen now)."""
    return _choices(session, User.id, User.display_name, col(User.is_active), search, limit, keep)


def portfolio_choices(*, session: Session) -> Choices:
    """Every portfolio by name (a region has tens, not thousands)."""
    rows = session.exec(select(Portfolio.id, Portfolio.name).order_by(Portfolio.name, Portfolio.id)).all()
    return Choices(entries=tuple(Choice(*row) for row in rows))


def reporting_unit_choices(*, session: Session, initiative_id: int, owning_unit_id: int | None) -> Choices:
    """The org units that report an initiative's figures: the owning unit and the units below it, and any
    unit that has reported a figure for it already."""
    reported = (select(Measurement.org_unit_id).join(Indicator, Indicator.id == Measurement.indicator_id)
                .join(Benefit, Benefit.id == Indicator.benefit_id)
                .where(Benefit.initiative_id == initiative_id, col(Measurement.org_unit_id).is_not(None)))
    wanted = [col(OrgUnit.id).in_(reported)]
    if owning_unit_id is not None:
        wanted.append(col(OrgUnit.id).in_(subtree_ids(OrgUnit, [owning_unit_id])))
    rows = session.exec(select(OrgUnit.id, OrgUnit.name).where(or_(*wanted)).order_by(OrgUnit.name, OrgUnit.id)).all()
    return Choices(entries=tuple(Choice(*row) for row in rows))
