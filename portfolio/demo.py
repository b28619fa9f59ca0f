"""Demo data: a realistic portfolio of any size, the same every time for the same seed.

Names, stages, checklists and decisions depend only on the seed and the number of
initiatives; dates are laid out backwards from a reference day (today unless given).

Demo data goes only into a demo database: loading it into a new, empty database marks that database
as a demo database (``database_info``), and a database with anything else in it is refused. Demo
accounts (password ``demo``) sign in only there, and every page of it says that it shows demo data.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import text
from sqlmodel import Session, select

from db.models import (
    ChecklistItem,
    DatabaseInfo,
    GateDecision,
    GateDecisionOwner,
    Initiative,
    OrgUnit,
    Portfolio,
    RoleAssignment,
    User,
)
from portfolio.audit import record_many
from portfolio.auth import DEMO_PASSWORD, hash_password, is_demo_database
from portfolio.errors import DomainError
from portfolio.i18n import N_, Message
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
ORG_TREE = {
    "Region Exempel": {
        "Sjukhuset i Norrby": ["Akutmottagningen", "Medicinkliniken", "Kirurgkliniken"],
        "Primärvården": ["Vårdcentralen Centrum", "Vårdcentralen Väster"],
    },
    "Exempel kommun": {
        "Vård- och omsorgsförvaltningen": ["Hemtjänsten Norr", "Särskilt boende Eken"],
    },
    "Helse Eksempel HF": {
        "Medisinsk klinikk": ["Hjertemedisinsk avdeling", "Lungemedisinsk avdeling"],
    },
}
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


def _demo_users(session: Session, events: list[dict]) -> dict[str, User]:
    """The demo users (password ``demo``, hashed once for all of them), each creation audited."""
    password_hash = hash_password(DEMO_PASSWORD)
    users = {username: User(username=username, display_name=name, password_hash=password_hash,
                            language=language, is_demo=True)
             for username, name, language in DEMO_USERS + EXTRA_LEADS}
    session.add_all(users.values())
    session.flush()
    events += [dict(user_id=None, action="user.create", entity="user", entity_id=user.id,
                    after={"username": user.username, "display_name": user.display_name, "is_demo": True})
               for user in users.values()]
    return users


def _unit_code(root_name: str, number: int) -> str:
    # Swedish units carry an HSA-id, Norwegian ones a RESH-id; these are invented but well-formed.
    return f"RESH-{100000 + number}" if root_name.startswith("Helse") else f"SE2321000000-{number:04d}"


def _org_units(session: Session) -> list[OrgUnit]:
    leaves = []
    number = 0
    for root_name, children in ORG_TREE.items():
        number += 1
        root = OrgUnit(name=root_name, code=_unit_code(root_name, number))
        session.add(root)
        session.flush()
        for child_name, grandchildren in children.items():
            number += 1
            child = OrgUnit(name=child_name, parent_id=root.id, code=_unit_code(root_name, number))
            session.add(child)
            session.flush()
            for leaf_name in grandchildren:
                number += 1
                leaf = OrgUnit(name=leaf_name, parent_id=child.id, code=_unit_code(root_name, number))
                session.add(leaf)
                leaves.append(leaf)
    session.flush()
    return leaves


def _portfolios(session: Session, owner: User) -> list[Portfolio]:
    children = []
    for root_name, child_names in PORTFOLIOS.items():
        root = Portfolio(name=root_name, owner_id=owner.id)
        session.add(root)
        session.flush()
        for name in child_names:
            child = Portfolio(name=name, parent_id=root.id, owner_id=owner.id)
            session.add(child)
            children.append(child)
    session.flush()
    return children


def load_demo(
    *, session: Session, initiatives: int, seed: int = 1, today: date | None = None, only_if_new: bool = False
) -> dict[str, int] | None:
    """Create org units, portfolios, demo users with roles, and ``initiatives`` initiatives, every
    account and role audited.

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
    now = reference_midnight(today)
    users = _demo_users(session, events)
    leaves = _org_units(session)
    portfolios = _portfolios(session, users["owner"])
    root_portfolio_id = portfolios[0].parent_id
    roles = [
        ("admin", "admin", None, None),
        ("owner", "portfolio_owner", root_portfolio_id, None),
        ("lead", "implementation_lead", root_portfolio_id, None),
        ("steering", "steering", root_portfolio_id, None),
        ("reporter", "reporter", None, leaves[0].id),
        ("reporter", "reporter", None, leaves[1].id),
    ]
    assignments = [
        RoleAssignment(user_id=users[name].id, role=role, portfolio_id=portfolio_id, org_unit_id=unit_id)
        for name, role, portfolio_id, unit_id in roles
    ]
    session.add_all(assignments)
    session.flush()
    events += [dict(user_id=None, action="role.grant", entity="role_assignment", entity_id=a.id,
                    after={"user_id": a.user_id, "role": a.role, "portfolio_id": a.portfolio_id,
                           "org_unit_id": a.org_unit_id}) for a in assignments]
    leads = [users["lead"], users["lead2"], users["lead3"]]
    process = load_process()
    weights = {"idea": 30, "concept": 20, "pilot": 18, "scale_up": 12, "benefits_realisation": 10,
               "realised": 5, "stopped": 5}
    stages = list(weights)

    rows: list[Initiative] = []
    for index in range(initiatives):
        title, need, effects = INITIATIVE_NAMES[index % len(INITIATIVE_NAMES)]
        leaf = leaves[rng.randrange(len(leaves))]
        if index >= len(INITIATIVE_NAMES):
            title = f"{title} – {leaf.name}"
        # The first initiatives sit at each early gate, ready for the owner to decide.
        stage = STAGE_ORDER[index] if index < 3 else rng.choices(stages, weights=[weights[s] for s in stages])[0]
        days_in_stage = rng.randint(5, 200)
        rows.append(Initiative(
            title=title,
            description=f"{need} {effects}",
            need_description=need,
            need_owner=rng.choice(["Verksamhetschef", "Enhetschef", "Avdelingsleder", "Medicinskt ansvarig"]),
            expected_effects=effects,
            portfolio_id=portfolios[index % len(portfolios)].id,
            org_unit_id=leaf.id,
            lead_id=leads[index % len(leads)].id,
            created_by_id=leads[index % len(leads)].id,
            stage=stage,
            on_hold=stage not in ("realised", "stopped") and index >= 3 and rng.random() < 0.08,
            estimated_cost=float(rng.randrange(50, 5000) * 1000),
            created_at=now - timedelta(days=days_in_stage + 60 * (STAGES_INDEX[stage] + 1)),
            stage_entered_at=now - timedelta(days=days_in_stage),
        ))
        if rows[-1].on_hold:
            rows[-1].hold_review_date = today + timedelta(days=rng.randint(7, 60))
    session.add_all(rows)
    session.flush()

    items: list[ChecklistItem] = []
    owners: list[GateDecisionOwner] = []
    decisions: list[GateDecision] = []
    for index, initiative in enumerate(rows):
        reached = _stages_reached(initiative.stage)
        ready = index < 3
        for stage in reached + (["fast_track"] if initiative.stage == "idea" else []):
            for position, template in enumerate(process.checklist_for(stage)):
                finished = stage != initiative.stage or ready or rng.random() < 0.6
                items.append(ChecklistItem(
                    initiative_id=initiative.id, stage=stage, key=template.key, label=template.label,
                    required=template.required, position=position,
                    status="done" if finished and stage != "fast_track" else "open",
                ))
        for gate in STAGE_ORDER:
            owners.append(GateDecisionOwner(initiative_id=initiative.id, gate=gate, user_id=users["owner"].id))
        path = reached + (["realised"] if initiative.stage == "realised" else [])
        for step, (from_stage, to_stage) in enumerate(zip(path, path[1:])):
            decisions.append(GateDecision(
                initiative_id=initiative.id, outcome="go", from_stage=from_stage, to_stage=to_stage,
                decided_by_id=users["owner"].id,
                decided_at=initiative.created_at + timedelta(days=60 * (step + 1)),
                rationale="Beslut i portföljrådet.",
            ))
        if initiative.stage == "stopped":
            decisions.append(GateDecision(
                initiative_id=initiative.id, outcome="stop", from_stage=reached[-1], to_stage="stopped",
                decided_by_id=users["owner"].id, decided_at=initiative.stage_entered_at,
                stop_reason="Nyttan motiverade inte kostnaden för breddinförande.",
                lessons_learned="Mät baslinjen innan piloten startar.",
            ))
    session.add_all(items + owners + decisions)
    session.flush()
    benefit_counts = _benefits(session, rng, rows, leaves, users, today)
    # The audit chain's head is locked last, as in every action.
    record_many(session=session, events=events + [dict(
        user_id=None, action="demo.load", entity="demo", entity_id=None,
        after={"initiatives": initiatives, "seed": seed, "reference_day": today})])
    return {"initiatives": len(rows), "checklist_items": len(items), "decisions": len(decisions), **benefit_counts}


STAGES_INDEX = {stage: i for i, stage in enumerate(STAGE_ORDER + ("realised", "stopped"))}


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


def _benefits(session: Session, rng: random.Random, initiatives: list[Initiative], leaves: list[OrgUnit],
              users: dict[str, User], today: date) -> dict[str, int]:
    """Benefits and indicators for initiatives past the idea stage, with a measurement history per unit
    for those past the concept stage (some on track, some not) and a benefit calculation."""
    from db.models import Benefit, BenefitCalculation, CalculationYear, Indicator
    from portfolio.benefits_math import Frequency, next_period_start, period_start, planned_value

    measured_stages = ("pilot", "scale_up", "benefits_realisation", "realised")
    measurements: list[dict] = []
    years: list[CalculationYear] = []
    counts = {"benefits": 0, "indicators": 0}
    for index, initiative in enumerate(initiatives):
        if initiative.stage == "idea":
            continue
        stopped_early = initiative.stage == "stopped"
        for number in range(1 + (index % 2)):
            template = BENEFIT_TEMPLATES[(index + 3 * number) % len(BENEFIT_TEMPLATES)]
            (title, category, recipient, name, unit, direction, frequency, aggregation, baseline, target,
             valid, money) = template
            benefit = Benefit(
                initiative_id=initiative.id, title=title, category=category, recipient=recipient,
                owner_id=users["benefitowner"].id if initiative.stage != "concept" else None,
                planned_realisation_date=today + timedelta(days=rng.randint(90, 540)),
                money_per_unit=money, strategic_goal="God och nära vård",
                description=f"{title} genom {initiative.title.lower()}.",
            )
            session.add(benefit)
            session.flush()
            measured = initiative.stage in measured_stages or (stopped_early and rng.random() < 0.5)
            span = rng.randint(150, 300) if measured else 0
            baseline_day = today - timedelta(days=span + 30)
            indicator = Indicator(
                benefit_id=benefit.id, code=f"I{initiative.id:04d}-{number + 1}", name=name, unit=unit,
                direction=direction, frequency=frequency, aggregation=aggregation,
                definition=f"{name} per enhet och period.", method="Uttag ur verksamhetssystemet.",
                data_source="Journalsystemet" if number == 0 else "Personalsystemet",
                baseline_value=baseline, baseline_date=baseline_day,
                baseline_period=f"{(baseline_day - timedelta(days=90)).isoformat()} – {baseline_day.isoformat()}",
                baseline_source="Manuell sammanställning", target_value=target,
                target_date=baseline_day + timedelta(days=rng.randint(365, 540)),
                valid_min=float(valid[0]), valid_max=float(valid[1]),
            )
            if initiative.stage in ("benefits_realisation", "realised"):
                indicator.target_date = today - timedelta(days=rng.randint(0, 20))
            session.add(indicator)
            session.flush()
            counts["benefits"] += 1
            counts["indicators"] += 1
            if not measured:
                continue
            # On track: the values follow the planned path; otherwise they reach only part of it.
            reach = 1.0 if initiative.stage == "realised" or rng.random() < 0.6 else rng.uniform(0.2, 0.6)
            if initiative.stage == "benefits_realisation" and reach < 1 and rng.random() < 0.5:
                indicator.deviation_explanation = "Införandet försenades av bemanningsläget under sommaren."
                session.add(indicator)
            units = rng.sample(leaves, k=3)
            freq = Frequency(frequency)
            period = next_period_start(freq, period_start(freq, baseline_day))
            while period <= today:
                plan = planned_value(baseline, target, baseline_day, indicator.target_date, period)
                expected = baseline + (plan - baseline) * reach
                for unit_index, unit_row in enumerate(units):
                    share = expected / len(units) if aggregation == "sum" else expected
                    noise = rng.gauss(0, abs(target - baseline) * 0.04 / (len(units) if aggregation == "sum" else 1))
                    value = min(max(share + noise, valid[0]), valid[1])
                    measurements.append({
                        "indicator_id": indicator.id, "period_start": period, "org_unit_id": unit_row.id,
                        "value": round(value, 2), "source": "import", "reported_by_id": users["reporter"].id,
                        "reported_at": reference_midnight(period), "version": 1,
                    })
                period = next_period_start(freq, period)
        if initiative.stage in measured_stages or stopped_early:
            calculation = BenefitCalculation(initiative_id=initiative.id)
            session.add(calculation)
            session.flush()
            investment = float(initiative.estimated_cost or 500000)
            for offset in range(5):
                expected = 0.0 if offset == 0 else investment * rng.uniform(0.25, 0.5)
                years.append(CalculationYear(
                    calculation_id=calculation.id, year=today.year + offset,
                    investment=investment if offset == 0 else 0.0,
                    operation=round(investment * 0.08, 0) if offset else 0.0,
                    benefit=round(expected, 0), benefit_low=round(expected * 0.7, 0),
                    benefit_high=round(expected * 1.25, 0),
                ))
    session.add_all(years)
    if measurements:
        from portfolio.measurements import insert_measurements

        insert_measurements(session, measurements)
    counts["measurements"] = len(measurements)
    return counts
