"""Demo data: a realistic portfolio of any size, the same every time for the same seed.

Names, stages, checklists and decisions depend only on the seed and the number of
initiatives; dates are laid out backwards from a reference day (today unless given).

The organisation has the shape of a real one: a Swedish region and a Norwegian health trust with
hospitals, clinics and units (about 1,500 org units with HSA-like and RESH-like codes), a
municipality, and a head of every clinic and hospital who decides the early gates of the
initiatives there. Every initiative has 3 to 8 indicators; those past the concept stage have a
measurement history. Rows are written in batches of ``BATCH`` initiatives and dropped from memory
after each batch, so 20,000 initiatives (about 100,000 indicators and 5 million measurements)
fit in a few hundred megabytes.

Demo data goes only into a demo database: loading it into a new, empty database marks that database
as a demo database (``database_info``), and a database with anything else in it is refused. Demo
accounts (password ``demo``) sign in only there, and every page of it says that it shows demo data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Optional

from sqlalchemy import insert, text
from sqlmodel import Session, select

from db.models import (
    Benefit,
    BenefitCalculation,
    CalculationYear,
    ChecklistItem,
    DatabaseInfo,
    GateDecision,
    GateDecisionOwner,
    Indicator,
    Initiative,
    OrgUnit,
    Portfolio,
    RoleAssignment,
    User,
)
from portfolio.audit import record_many
from portfolio.auth import DEMO_PASSWORD, hash_password, is_demo_database
from portfolio.benefits_math import Frequency, next_period_start, period_start, planned_value
from portfolio.errors import DomainError
from portfolio.i18n import N_, Message
from portfolio.measurements import insert_measurement_tuples
from workflows.lifecycle import STAGE_ORDER
from workflows.process import load_process

REAL_DATA = N_("This database holds real data; demo data is only loaded into a new, empty database, "
               "which then becomes a demo database.")
ALREADY_LOADED = N_("This demo database has its demo data already.")
DEMO_USERS = (
    # username, display name, language
    ("admin", "Åsa Administratör", "sv"),
    ("owner", "Petra Portföljägare", "sv"),
    ("lead", "Ingrid Införandeansvarig", "sv"),
    ("steering", "Sven Styrgrupp", "sv"),
    ("reporter", "Rune Rapportør", "nb"),
)
EXTRA_LEADS = (
    ("lead2", "Kari Nordmann", "nb"),
    ("lead3", "Johan Lindqvist", "sv"),
    ("benefitowner", "Nora Nyttoägare", "sv"),
)
# Initiatives are written (and forgotten) this many at a time.
BATCH = 250
# The first initiatives are the showcase the tour and the page tests use: their stages are fixed
# (ready gates at idea, concept and pilot first), and the demo owner decides all their gates.
SHOWCASE_STAGES = ("idea", "concept", "pilot", "concept", "benefits_realisation", "pilot",
                   "benefits_realisation", "pilot", "concept", "scale_up", "idea", "concept")
SHOWCASE = 24
REPORTER_UNITS = ("Akutmottagningen", "Medicinkliniken")

# The organisation: (root, code kind, hospitals or areas). The first hospital and the primary care
# area keep the short names the tour refers to; the others are generated, each name unique.
SE_TOWNS = ("Söderby", "Österå", "Västerhamn", "Ekeby", "Lindö", "Bergsjö", "Åsby", "Norrvik", "Storsund")
SE_CLINICS = ("Ortopedkliniken", "Kvinnokliniken", "Barn- och ungdomskliniken", "Psykiatriska kliniken",
              "Geriatriska kliniken", "Infektionskliniken", "Onkologiska kliniken", "Röntgenkliniken",
              "Anestesikliniken", "Hjärtkliniken", "Akutmottagningen", "Kirurgkliniken")
SE_UNITS = ("vårdavdelning 1", "vårdavdelning 2", "mottagningen", "dagvården", "rehabenheten", "operationsenheten")
SE_HEALTH_CENTRES = tuple(f"Vårdcentralen {a}{b}" for a in ("Al", "Björk", "Ek", "Gran", "Hag", "Lind", "Löv",
                                                            "Mal", "Sol", "Sjö", "Strand", "Vik", "Äng")
                          for b in ("by", "dal", "gården", "hagen", "holm", "lund", "näs", "sta", "torp", "vik",
                                    "berg"))
NO_TOWNS = ("Nordby", "Sørvik", "Østmo", "Vestli", "Elvebakken", "Fjellstad", "Havna")
NO_CLINICS = ("Medisinsk klinikk", "Kirurgisk klinikk", "Kvinneklinikken", "Barneklinikken", "Psykisk helsevern",
              "Akuttklinikken", "Ortopedisk klinikk", "Kreftklinikken", "Bildediagnostikk", "Rehabilitering")
NO_UNITS = ("sengepost 1", "sengepost 2", "poliklinikk", "dagbehandling", "operasjon", "rehabilitering",
            "observasjonspost")
SE_NAMES = (("Anna", "Erik", "Maria", "Lars", "Karin", "Anders", "Eva", "Per", "Lena", "Mikael", "Sara", "Jonas"),
            ("Andersson", "Berg", "Carlsson", "Dahl", "Ek", "Forsberg", "Holm", "Lund", "Nyström", "Sandberg",
             "Wallin", "Åberg"))
NO_NAMES = (("Ingrid", "Ola", "Kari", "Knut", "Silje", "Håkon", "Tone", "Bjørn", "Marit", "Eirik", "Hilde"),
            ("Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Bakken", "Solberg", "Strand", "Moen"))
PORTFOLIOS = {
    "Digitalisering vård och omsorg": ["Digitala vårdtjänster", "Välfärdsteknik", "Administrativt stöd"],
}

INITIATIVE_NAMES = (
    ("Digitalt vårdmöte i primärvården", "Patienter väntar länge på telefontid.", "Kortare väntan på första kontakt."),
    ("Läkemedelsrobot i hemtjänsten", "Läkemedelsdelning tar mycket personaltid.", "Frigjord tid och färre missade doser."),
    ("Digital nattillsyn med kamera", "Nattillsyn väcker brukare i onödan.", "Bättre sömn och färre störande besök."),
    ("Egenmonitorering vid hjärtsvikt", "Återinläggningar efter hjärtsvikt är många.", "Färre återinläggningar."),
    ("Taligenkänning för journalföring", "Dokumentation tar tid från patienterna.", "Mindre tid för dokumentation."),
    ("Digital inskrivning på akutmottagningen", "Köer vid inskrivningen på akuten.", "Kortare tid till triage."),
    ("Chattbot för vårdcentralens rådgivning", "Telefonköerna är långa på morgonen.", "Fler ärenden lösta digitalt."),
    ("Digital hjemmeoppfølging av KOLS", "Pasienter med KOLS legges inn for ofte.", "Færre innleggelser."),
    ("Medisindispenser i hjemmetjenesten", "Mange hjemmebesøk gjelder bare medisiner.", "Frigjort tid i hjemmetjenesten."),
    ("Videotolkning i vården", "Tolkar saknas eller kommer sent.", "Säkrare vård med tolk i tid."),
    ("Digitalt stöd för bemanning", "Chefer fördelar personal i Excel varje morgon.", "Aktuell bild av bemanningen."),
    ("Sensorer för fallprevention", "Fall på särskilt boende ger skador.", "Färre fallskador."),
)


def reference_midnight(day: date) -> datetime:
    """The time stamp of demo rows dated ``day``: 08:00 UTC that day, the same on every run."""
    return datetime.combine(day, time(8, 0), tzinfo=timezone.utc)


def holds_data(session: Session) -> bool:
    """True when the database has any account, initiative, portfolio or org unit."""
    return any(session.exec(select(model.id).limit(1)).first() is not None
               for model in (User, Initiative, Portfolio, OrgUnit))


def _become_demo_database(session: Session, events: list[dict]) -> None:
    """Mark a new, empty database as a demo database (the caller has made sure it is empty)."""
    info = session.get(DatabaseInfo, 1) or DatabaseInfo(id=1)
    info.is_demo = True
    session.add(info)
    session.flush()
    events.append(dict(user_id=None, action="database.mark_demo", entity="database", entity_id=1,
                       after={"is_demo": True}))


def _inserted_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in one statement per batch and return their new ids in the same order."""
    if not rows:
        return []
    table = model.__table__
    return list(session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())


def _user_row(username: str, display_name: str, language: str, password_hash: str) -> dict[str, Any]:
    return dict(username=username, display_name=display_name, password_hash=password_hash, language=language,
                is_demo=True)


def _create_users(session: Session, rows: list[dict[str, Any]], events: list[dict]) -> list[int]:
    """Demo accounts, each creation audited."""
    ids = _inserted_ids(session, User, rows)
    events += [dict(user_id=None, action="user.create", entity="user", entity_id=user_id,
                    after={"username": row["username"], "display_name": row["display_name"], "is_demo": True})
               for user_id, row in zip(ids, rows)]
    return ids


def _unit_code(root_name: str, number: int) -> str:
    # Swedish units carry an HSA-id, Norwegian ones a RESH-id; these are invented but well-formed.
    return f"RESH-{100000 + number}" if root_name.startswith("Helse") else f"SE2321000000-{number:04d}"


@dataclass(eq=False)
class _Unit:
    name: str
    parent: Optional["_Unit"]
    root_name: str
    position: int
    id: int = 0
    children: int = 0

    @property
    def norwegian(self) -> bool:
        return self.root_name.startswith("Helse")


def _org_tree() -> list[_Unit]:
    """The whole organisation in tree order (parents before children), about 1,500 units."""
    units: list[_Unit] = []

    def add(name: str, parent: Optional[_Unit]) -> _Unit:
        unit = _Unit(name, parent, parent.root_name if parent else name, len(units))
        if parent:
            parent.children += 1
        units.append(unit)
        return unit

    region = add("Region Exempel", None)
    norrby = add("Sjukhuset i Norrby", region)
    for name in ("Akutmottagningen", "Medicinkliniken", "Kirurgkliniken"):
        add(name, norrby)
    for town in SE_TOWNS:
        hospital = add(f"Sjukhuset i {town}", region)
        for clinic_name in SE_CLINICS:
            clinic = add(f"{clinic_name} {town}", hospital)
            for unit_name in SE_UNITS:
                add(f"{clinic_name} {town}, {unit_name}", clinic)
    primary_care = add("Primärvården", region)
    for name in ("Vårdcentralen Centrum", "Vårdcentralen Väster", *SE_HEALTH_CENTRES):
        add(name, primary_care)
    municipality = add("Exempel kommun", None)
    care = add("Vård- och omsorgsförvaltningen", municipality)
    for name in ("Hemtjänsten Norr", "Särskilt boende Eken"):
        add(name, care)
    trust = add("Helse Eksempel HF", None)
    medicine = add("Medisinsk klinikk", trust)
    for name in ("Hjertemedisinsk avdeling", "Lungemedisinsk avdeling"):
        add(name, medicine)
    for town in NO_TOWNS:
        hospital = add(f"{town} sykehus", trust)
        for clinic_name in NO_CLINICS:
            clinic = add(f"{clinic_name}, {town}", hospital)
            for unit_name in NO_UNITS:
                add(f"{clinic_name}, {town}: {unit_name}", clinic)
    return units


def _org_units(session: Session) -> list[_Unit]:
    """Write the organisation, one statement per level of the tree; return it with ids."""
    units = _org_tree()
    level = [u for u in units if u.parent is None]
    while level:
        ids = _inserted_ids(session, OrgUnit, [
            dict(name=u.name, parent_id=u.parent.id if u.parent else None,
                 code=_unit_code(u.root_name, u.position + 1)) for u in level])
        for unit, unit_id in zip(level, ids):
            unit.id = unit_id
        placed = set(map(id, level))
        level = [u for u in units if u.parent is not None and id(u.parent) in placed]
    return units


def _portfolios(session: Session, owner_id: int) -> list[int]:
    children = []
    for root_name, child_names in PORTFOLIOS.items():
        root_id = _inserted_ids(session, Portfolio, [dict(name=root_name, owner_id=owner_id)])[0]
        children += _inserted_ids(session, Portfolio, [dict(name=name, parent_id=root_id, owner_id=owner_id)
                                                       for name in child_names])
    return children


@dataclass
class _Heads:
    """The head of each clinic, hospital or area, made a demo account the first time a gate needs one."""

    password_hash: str
    ids: dict[int, int] = field(default_factory=dict)  # unit position -> user id
    pending: dict[int, _Unit] = field(default_factory=dict)

    def of(self, unit: _Unit) -> _Unit:
        """``unit``, noting that its head is needed (created with the next batch)."""
        if unit.position not in self.ids:
            self.pending[unit.position] = unit
        return unit

    def create_pending(self, session: Session, events: list[dict]) -> None:
        units = list(self.pending.values())  # in the order first needed, whatever the batch size
        self.pending.clear()
        rows = []
        for unit in units:
            first, last = NO_NAMES if unit.norwegian else SE_NAMES
            number = len(self.ids) + len(rows) + 1
            rows.append(_user_row(f"chef{number}", f"{first[number % len(first)]} {last[number // len(first) % len(last)]}",
                                  "nb" if unit.norwegian else "sv", self.password_hash))
        for unit, user_id in zip(units, _create_users(session, rows, events)):
            self.ids[unit.position] = user_id


def load_demo(
    *, session: Session, initiatives: int, seed: int = 1, today: date | None = None, only_if_new: bool = False
) -> dict[str, int] | None:
    """Create org units, portfolios, demo users with roles, and ``initiatives`` initiatives with their
    checklists, decisions, benefits, indicators, measurements and benefit calculations, every row audited
    (``verify_chain`` holds for the result: each initiative's chain starts at its creation).

    Demo data goes only into a new, empty database, which becomes a demo database. A database holding
    anything else is refused (``REAL_DATA``), and so is a demo database that has its demo data already,
    unless ``only_if_new`` asks to leave it as it is (then None is returned)."""
    if session.get_bind().dialect.name == "postgresql":
        # Two first starts at once: the second waits here, then finds the first one's demo database.
        session.exec(text("LOCK TABLE database_info IN SHARE ROW EXCLUSIVE MODE"))
    if holds_data(session):
        if not is_demo_database(session):
            raise DomainError(Message(REAL_DATA))
        if only_if_new:
            return None
        raise DomainError(Message(ALREADY_LOADED))
    events: list[dict] = []
    _become_demo_database(session, events)
    rng = random.Random(seed)
    today = today or date.today()
    password_hash = hash_password(DEMO_PASSWORD)
    user_rows = [_user_row(username, name, language, password_hash)
                 for username, name, language in DEMO_USERS + EXTRA_LEADS]
    users = dict(zip((row["username"] for row in user_rows), _create_users(session, user_rows, events)))
    units = _org_units(session)
    by_name = {u.name: u for u in units}
    portfolios = _portfolios(session, users["owner"])
    root_portfolio_id = session.get(Portfolio, portfolios[0]).parent_id
    roles = [
        ("admin", "admin", None, None),
        ("owner", "portfolio_owner", root_portfolio_id, None),
        ("lead", "implementation_lead", root_portfolio_id, None),
        ("steering", "steering", root_portfolio_id, None),
        *[("reporter", "reporter", None, by_name[name].id) for name in REPORTER_UNITS],
    ]
    role_rows = [dict(user_id=users[name], role=role, portfolio_id=portfolio_id, org_unit_id=unit_id)
                 for name, role, portfolio_id, unit_id in roles]
    events += [dict(user_id=None, action="role.grant", entity="role_assignment", entity_id=role_id, after=row)
               for role_id, row in zip(_inserted_ids(session, RoleAssignment, role_rows), role_rows)]
    record_many(session=session, events=events)

    plan = _Plan(rng=rng, today=today, users=users, portfolios=portfolios, heads=_Heads(password_hash),
                 leaves=[u for u in units if u.parent is not None and not u.children], process=load_process())
    counts = dict(initiatives=0, checklist_items=0, decisions=0, benefits=0, indicators=0, measurements=0)
    for start in range(0, initiatives, BATCH):
        batch = [plan.initiative(index) for index in range(start, min(initiatives, start + BATCH))]
        for name, number in _write_batch(session, plan, batch).items():
            counts[name] += number
        session.expunge_all()  # what is written is not needed again: memory stays flat
    # The chain of everything outside initiatives is locked again last, as in every action.
    record_many(session=session, events=[dict(
        user_id=None, action="demo.load", entity="demo", entity_id=None,
        after={"initiatives": initiatives, "seed": seed, "reference_day": today})])
    if session.get_bind().dialect.name == "postgresql":
        # After a bulk load PostgreSQL's planner has no statistics until autovacuum comes by; without them it
        # chose a 4x slower plan for My decisions at 20,000 initiatives. ANALYZE gives them now.
        session.exec(text("ANALYZE"))
    return {**counts, "org_units": len(units), "decision_owners": len(plan.heads.ids) + 1}


STAGES_INDEX = {stage: i for i, stage in enumerate(STAGE_ORDER + ("realised", "stopped"))}
STAGE_WEIGHTS = {"idea": 30, "concept": 20, "pilot": 18, "scale_up": 12, "benefits_realisation": 10,
                 "realised": 5, "stopped": 5}
MEASURED_STAGES = ("pilot", "scale_up", "benefits_realisation", "realised")


def _stages_reached(stage: str) -> list[str]:
    """The gate stages an initiative passed through to reach ``stage`` (its own included)."""
    if stage == "realised":
        return list(STAGE_ORDER)
    if stage == "stopped":
        return list(STAGE_ORDER[:3])
    return list(STAGE_ORDER[: STAGE_ORDER.index(stage) + 1])


# Benefit templates: (benefit, category, recipient, indicator, unit, direction, frequency, aggregation,
# baseline, target, valid range, money per unit)
BENEFIT_TEMPLATES = (
    ("Kortare väntetid till första kontakt", "access_waiting_times", "patients_citizens",
     "Väntetid till första kontakt", "dagar", "lower", "week", "mean", 12.0, 5.0, (0, 365), None),
    ("Frigjord personaltid", "freed_capacity", "staff",
     "Frigjorda arbetstimmar", "timmar", "higher", "week", "sum", 0.0, 120.0, (0, 10000), 450.0),
    ("Färre återinläggningar", "quality_patient_safety", "patients_citizens",
     "Återinläggningar inom 30 dagar", "antal", "lower", "month", "sum", 40.0, 25.0, (0, 1000), 35000.0),
    ("Färre fallskador", "quality_patient_safety", "patients_citizens",
     "Fallskador", "antal", "lower", "month", "sum", 18.0, 9.0, (0, 500), 20000.0),
    ("Nöjdare patienter", "patient_experience", "patients_citizens",
     "Andel nöjda patienter", "%", "higher", "month", "mean", 72.0, 85.0, (0, 100), None),
    ("Daglig lägesbild av bemanningen", "work_environment", "organisation",
     "Enheter som rapporterat före kl. 9", "%", "higher", "day", "mean", 40.0, 95.0, (0, 100), None),
    ("Lägre sjukfrånvaro", "work_environment", "staff",
     "Sjukfrånvaro", "%", "lower", "month", "mean", 8.5, 6.5, (0, 100), None),
)
# A benefit's further indicators measure the same thing for one group or time of day.
INDICATOR_VARIANTS = ("dagtid", "kvällar och helger", "vuxna", "barn och unga", "äldre över 75 år")


@dataclass
class _Planned:
    """One initiative and everything it owns, as plain rows, before it is written."""

    index: int
    row: dict[str, Any]
    leaf: _Unit
    items: list[dict[str, Any]]
    gate_owners: dict[str, _Unit | None]  # gate -> the unit whose head decides it (None: the demo owner)
    decisions: list[dict[str, Any]]
    benefits: list[tuple[dict[str, Any], list[dict[str, Any]]]]
    measurements: dict[int, list[tuple]]  # position of the indicator -> (period, unit id, value)
    years: list[dict[str, Any]]


@dataclass
class _Plan:
    rng: random.Random
    today: date
    users: dict[str, int]
    portfolios: list[int]
    heads: _Heads
    leaves: list[_Unit]
    process: Any

    def initiative(self, index: int) -> _Planned:
        """Everything of the ``index``-th initiative, drawn from the seeded generator in a fixed order."""
        rng, today, users = self.rng, self.today, self.users
        now = reference_midnight(today)
        title, need, effects = INITIATIVE_NAMES[index % len(INITIATIVE_NAMES)]
        leaf = self.leaves[rng.randrange(len(self.leaves))]
        if index >= len(INITIATIVE_NAMES):
            title = f"{title} – {leaf.name}"
        if index < len(SHOWCASE_STAGES):
            stage = SHOWCASE_STAGES[index]
        else:
            stage = rng.choices(list(STAGE_WEIGHTS), weights=list(STAGE_WEIGHTS.values()))[0]
        days_in_stage = rng.randint(5, 200)
        leads = [users["lead"], users["lead2"], users["lead3"]]
        lead_id = leads[index % len(leads)]
        on_hold = stage not in ("realised", "stopped") and index >= 3 and rng.random() < 0.08
        row = dict(
            title=title, description=f"{need} {effects}", need_description=need,
            need_owner=rng.choice(["Verksamhetschef", "Enhetschef", "Avdelingsleder", "Medicinskt ansvarig"]),
            expected_effects=effects, portfolio_id=self.portfolios[index % len(self.portfolios)],
            org_unit_id=leaf.id, lead_id=lead_id, created_by_id=lead_id, stage=stage, on_hold=on_hold,
            hold_review_date=None, estimated_cost=float(rng.randrange(50, 5000) * 1000),
            created_at=now - timedelta(days=days_in_stage + 60 * (STAGES_INDEX[stage] + 1)),
            stage_entered_at=now - timedelta(days=days_in_stage), leads_since_last_gate=[lead_id],
        )
        if on_hold:
            row["hold_review_date"] = today + timedelta(days=rng.randint(7, 60))
        # Heads of the clinic decide the early gates, heads of the hospital or area the middle ones,
        # the portfolio owner the last; the showcase's gates are all the demo owner's.
        clinic = leaf.parent
        hospital = clinic.parent or clinic
        gate_owners: dict[str, _Unit | None] = {gate: None for gate in STAGE_ORDER}
        if index >= SHOWCASE:
            gate_owners.update(idea=self.heads.of(clinic), concept=self.heads.of(clinic),
                               pilot=self.heads.of(hospital), scale_up=self.heads.of(hospital))
        reached = _stages_reached(stage)
        ready = index < 3
        items = []
        for checklist_stage in reached + (["fast_track"] if stage == "idea" else []):
            for position, template in enumerate(self.process.checklist_for(checklist_stage)):
                finished = checklist_stage != stage or ready or rng.random() < 0.6
                items.append(dict(stage=checklist_stage, key=template.key, label=template.label,
                                  required=template.required, position=position,
                                  status="done" if finished and checklist_stage != "fast_track" else "open"))
        path = reached + (["realised"] if stage == "realised" else [])
        decisions = [dict(outcome="go", from_stage=from_stage, to_stage=to_stage, gate=from_stage,
                          decided_at=row["created_at"] + timedelta(days=60 * (step + 1)),
                          rationale="Beslut i portföljrådet.", stop_reason="", lessons_learned="")
                     for step, (from_stage, to_stage) in enumerate(zip(path, path[1:]))]
        if stage == "stopped":
            decisions.append(dict(outcome="stop", from_stage=reached[-1], to_stage="stopped", gate=reached[-1],
                                  decided_at=row["stage_entered_at"], rationale="",
                                  stop_reason="Nyttan motiverade inte kostnaden för breddinförande.",
                                  lessons_learned="Mät baslinjen innan piloten startar."))
        planned = _Planned(index, row, leaf, items, gate_owners, decisions, [], {}, [])
        self._benefits(planned)
        return planned

    def _benefits(self, planned: _Planned) -> None:
        """3 to 8 indicators under 1 to 3 benefits; a measurement history per unit for those past the
        concept stage (some on track, some not) and a benefit calculation."""
        rng, today = self.rng, self.today
        index, stage = planned.index, planned.row["stage"]
        stopped_early = stage == "stopped"
        indicator_count = rng.randint(3, 8)
        benefit_count = 1 + (indicator_count - 1) // 3
        position = 0
        for number in range(benefit_count):
            template = BENEFIT_TEMPLATES[(index + 3 * number) % len(BENEFIT_TEMPLATES)]
            (title, category, recipient, name, unit, direction, frequency, aggregation, baseline, target,
             valid, money) = template
            benefit = dict(
                title=title, category=category, recipient=recipient,
                owner_id=self.users["benefitowner"] if stage not in ("idea", "concept") else None,
                planned_realisation_date=today + timedelta(days=rng.randint(90, 540)),
                money_per_unit=money, strategic_goal="God och nära vård",
                description=f"{title} genom {planned.row['title'].lower()}.",
            )
            indicators = []
            for variant in range(len(range(number, indicator_count, benefit_count))):
                measured = stage in MEASURED_STAGES or (stopped_early and rng.random() < 0.5)
                span = rng.randint(75, 165) if measured else 0
                baseline_day = today - timedelta(days=span + 30)
                indicator = dict(
                    code_number=position + 1,
                    name=name if variant == 0 else f"{name}, {INDICATOR_VARIANTS[variant - 1]}",
                    unit=unit, direction=direction, frequency=frequency, aggregation=aggregation,
                    definition=f"{name} per enhet och period.", method="Uttag ur verksamhetssystemet.",
                    data_source="Journalsystemet" if number == 0 else "Personalsystemet",
                    baseline_value=baseline, baseline_date=baseline_day,
                    baseline_period=f"{(baseline_day - timedelta(days=90)).isoformat()} – {baseline_day.isoformat()}",
                    baseline_source="Manuell sammanställning", target_value=target,
                    target_date=baseline_day + timedelta(days=rng.randint(365, 540)),
                    valid_min=float(valid[0]), valid_max=float(valid[1]), deviation_explanation="",
                )
                if stage in ("benefits_realisation", "realised"):
                    indicator["target_date"] = today - timedelta(days=rng.randint(0, 20))
                indicators.append(indicator)
                if measured:
                    planned.measurements[position] = self._history(indicator, stage, baseline_day, valid)
                position += 1
            planned.benefits.append((benefit, indicators))
        if stage in MEASURED_STAGES or stopped_early:
            investment = planned.row["estimated_cost"] or 500000.0
            for offset in range(5):
                expected = 0.0 if offset == 0 else investment * rng.uniform(0.25, 0.5)
                planned.years.append(dict(
                    year=today.year + offset, investment=investment if offset == 0 else 0.0,
                    operation=round(investment * 0.08, 0) if offset else 0.0,
                    benefit=round(expected, 0), benefit_low=round(expected * 0.7, 0),
                    benefit_high=round(expected * 1.25, 0)))

    def _history(self, indicator: dict[str, Any], stage: str, baseline_day: date, valid: tuple) -> list[tuple]:
        """(period, unit id, value) from the baseline to today for three units."""
        rng = self.rng
        baseline, target, aggregation = indicator["baseline_value"], indicator["target_value"], indicator["aggregation"]
        # On track: the values follow the planned path; otherwise they reach only part of it.
        reach = 1.0 if stage == "realised" or rng.random() < 0.6 else rng.uniform(0.2, 0.6)
        if stage == "benefits_realisation" and reach < 1 and rng.random() < 0.5:
            indicator["deviation_explanation"] = "Införandet försenades av bemanningsläget under sommaren."
        units = rng.sample(self.leaves, k=3)
        share_of = len(units) if aggregation == "sum" else 1
        spread = abs(target - baseline) * 0.04 / share_of
        low, high = valid
        freq = Frequency(indicator["frequency"])
        values = []
        period = next_period_start(freq, period_start(freq, baseline_day))
        while period <= self.today:
            plan = planned_value(baseline, target, baseline_day, indicator["target_date"], period)
            share = (baseline + (plan - baseline) * reach) / share_of
            for unit in units:
                values.append((period, unit.id, round(min(max(share + rng.gauss(0, spread), low), high), 2)))
            period = next_period_start(freq, period)
        return values


def _write_batch(session: Session, plan: _Plan, batch: list[_Planned]) -> dict[str, int]:
    """Write one batch of initiatives with everything they own, and audit it: each initiative's own
    chain records its creation, benefits, indicators, decisions and measurement history."""
    users, events = plan.users, []
    plan.heads.create_pending(session, events)
    owner_of = {(p.index, gate): users["owner"] if unit is None else plan.heads.ids[unit.position]
                for p in batch for gate, unit in p.gate_owners.items()}
    ids = _inserted_ids(session, Initiative, [p.row for p in batch])
    session.execute(insert(ChecklistItem.__table__), [
        {**item, "initiative_id": initiative_id} for p, initiative_id in zip(batch, ids) for item in p.items])
    session.execute(insert(GateDecisionOwner.__table__), [
        dict(initiative_id=initiative_id, gate=gate, user_id=owner_of[(p.index, gate)])
        for p, initiative_id in zip(batch, ids) for gate in STAGE_ORDER])
    decision_rows = [{**{k: v for k, v in d.items() if k != "gate"}, "initiative_id": initiative_id,
                      "decided_by_id": owner_of[(p.index, d["gate"])]}
                     for p, initiative_id in zip(batch, ids) for d in p.decisions]
    decision_ids = iter(_inserted_ids(session, GateDecision, decision_rows))
    benefit_ids = iter(_inserted_ids(session, Benefit, [
        {**benefit, "initiative_id": initiative_id}
        for p, initiative_id in zip(batch, ids) for benefit, _ in p.benefits]))
    benefit_of = [next(benefit_ids) for p in batch for _ in p.benefits]
    indicator_rows, at = [], 0
    for p, initiative_id in zip(batch, ids):
        for _benefit, indicators in p.benefits:
            for indicator in indicators:
                row = {k: v for k, v in indicator.items() if k != "code_number"}
                row.update(benefit_id=benefit_of[at], code=f"I{initiative_id:04d}-{indicator['code_number']}")
                indicator_rows.append(row)
            at += 1
    indicator_ids = iter(_inserted_ids(session, Indicator, indicator_rows))
    calculation_ids = iter(_inserted_ids(session, BenefitCalculation, [
        dict(initiative_id=initiative_id) for p, initiative_id in zip(batch, ids) if p.years]))
    measurements, years = [], []
    reporter = users["reporter"]
    indicator_rows_iter, benefit_at = iter(indicator_rows), iter(benefit_of)
    for p, initiative_id in zip(batch, ids):
        lead_id = p.row["lead_id"]
        own = [dict(user_id=lead_id, action="initiative.create", entity="initiative", entity_id=initiative_id,
                    after={k: p.row[k] for k in ("title", "portfolio_id", "org_unit_id", "lead_id", "estimated_cost")}
                    | {"stage": "idea"})]
        position, measured = 0, 0
        for benefit, indicators in p.benefits:
            benefit_id = next(benefit_at)
            own.append(dict(user_id=lead_id, action="benefit.create", entity="benefit", entity_id=benefit_id,
                            after={k: benefit[k] for k in ("title", "category", "recipient", "owner_id")}))
            for _ in indicators:
                indicator_id, row = next(indicator_ids), next(indicator_rows_iter)
                own.append(dict(user_id=lead_id, action="indicator.create", entity="indicator",
                                entity_id=indicator_id, after={k: row[k] for k in (
                                    "code", "name", "frequency", "baseline_value", "target_value")}))
                for period, unit_id, value in p.measurements.get(position, ()):
                    measurements.append((indicator_id, period, unit_id, value, "import", reporter,
                                         reference_midnight(period), 1))
                    measured += 1
                position += 1
        for decision in p.decisions:
            own.append(dict(user_id=owner_of[(p.index, decision["gate"])], action=f"gate.{decision['outcome']}",
                            entity="initiative", entity_id=initiative_id, before={"stage": decision["from_stage"]},
                            after={"stage": decision["to_stage"], "decision_id": next(decision_ids),
                                   "rationale": decision["rationale"], "stop_reason": decision["stop_reason"]}))
        if p.years:
            calculation_id = next(calculation_ids)
            years += [{**year, "calculation_id": calculation_id} for year in p.years]
        if measured:
            own.append(dict(user_id=reporter, action="demo.measurements", entity="measurement", entity_id=None,
                            after={"measurements": measured}))
        events += [{**event, "initiative_id": initiative_id} for event in own]
    if years:
        session.execute(insert(CalculationYear.__table__), years)
    insert_measurement_tuples(session, measurements)
    record_many(session=session, events=events)
    session.flush()
    return dict(initiatives=len(batch), checklist_items=sum(len(p.items) for p in batch),
                decisions=len(decision_rows), benefits=len(benefit_of), indicators=len(indicator_rows),
                measurements=len(measurements))
