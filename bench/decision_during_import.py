"""Benchmark: gate decisions on other initiatives while a 100,000-row import runs, on PostgreSQL.

Run from the project root:

    .venv/bin/python bench/decision_during_import.py [--rows 100000] [--decisions 20] [--pause 0.05]
                                                     [--where process|thread|both] [--verbose]

There is no global write lock: an import locks only the initiatives its rows belong to. The import
writes ``--rows`` measurements of initiative A (the organisation and file of
``bench/import_measurements.py``) through ``perform``. As soon as its transaction holds A's lock
(its first progress report; ``pg_stat_activity`` is checked too), the benchmark decides gates of
``--decisions`` other initiatives of the same portfolio, one after another with ``--pause`` seconds
between them (go from idea to concept, recycle back, and again), for as long as the import runs.
The same decisions are first timed with no import running, for contrast. Each decision is timed
with ``time.perf_counter`` around ``perform``; only decisions that finished before the import
committed count. The target is every one under 200 ms.

The import runs either in another process (``process``: the command line, or another app process;
this measures what the database makes a decision wait for) or in a thread of the process that
decides (``thread``: an upload in the same app server, where the import's Python work also competes
for the interpreter lock; the process is tuned as the app server tunes itself, see
``db.settings.tune_interpreter``). ``both`` runs the two, each on a fresh database. The exit status
is 1 when any decision missed the target in either mode.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text, update  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench._setup import build_organisation, databases, generate_csv, migrated_engine  # noqa: E402
from db.engine import get_engine, read_session, write_session  # noqa: E402
from db.settings import tune_interpreter  # noqa: E402
from db.models import Initiative, Portfolio, User  # noqa: E402
from portfolio.actions import perform  # noqa: E402
from portfolio.gates import DecisionInput, record_gate_decision  # noqa: E402
from portfolio.measurement_files import read_rows  # noqa: E402
from portfolio.measurements import import_measurements  # noqa: E402
from portfolio.permissions import load_actor  # noqa: E402

TARGET_MS = 200
CONNECTIONS = 4
WHERE = {"process": "in another process", "thread": "in a thread of the deciding process"}


def build_decision_pool(engine, owner_username: str, count: int) -> tuple[int, list[int]]:
    """``count`` initiatives ready to pass the idea gate, in the owner's portfolio, which lets the
    owner decide; an implementation lead of their own. Returns the owner's id and the initiatives."""
    from tests.factories import make_initiative, make_user

    with write_session(engine) as session:
        owner = session.exec(select(User).where(User.username == owner_username)).one()
        portfolio = session.exec(select(Portfolio).where(Portfolio.owner_id == owner.id)).one()
        session.execute(update(Portfolio).where(Portfolio.id == portfolio.id).values(owner_decides=True))
        session.refresh(portfolio)
        lead = make_user(session, username="bench-lead", role="implementation_lead", portfolio=portfolio)
        pool = [make_initiative(session, portfolio=portfolio, creator=lead, lead=lead, ready=True,
                                title=f"Other initiative {n + 1}").id for n in range(count)]
        return owner.id, pool


# ------------------------------------------------------------------ the import, in a thread or a process


@dataclass
class ImportRun:
    """What the deciding side knows of the import: when it held its lock, finished validating, ended."""

    locked: threading.Event = field(default_factory=threading.Event)
    validated: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    moments: dict[str, float] = field(default_factory=dict)
    result: str = ""
    error: str = ""

    def note(self, what: str, moment: float, detail: str = "") -> None:
        """One report of the import (the same from a thread or through a queue from a process)."""
        if what in self.moments:
            return
        self.moments[what] = moment
        if what == "locked":
            self.locked.set()
        elif what == "validated":
            self.validated.set()
        elif what in ("end", "error"):
            self.result, self.error = (detail, "") if what == "end" else ("", detail)
            self.moments.setdefault("end", moment)
            self.finished.set()
            self.locked.set()


def _import(url: str, rows: int, unit_codes: list[str], owner_id: int, report) -> None:
    """Parse the file, then import it through ``perform``; ``report(what, monotonic time, detail)``.
    Monotonic times compare across processes (one system clock)."""
    engine = get_engine(url)
    raw = read_rows(generate_csv(rows, unit_codes), "bench.csv")

    def progress(done: int, total: int) -> None:
        report("locked", time.monotonic())  # the first report comes after the initiatives' locks
        if done == total:
            report("validated", time.monotonic())

    report("start", time.monotonic())
    try:
        result = perform(lambda session: import_measurements(
            session=session, actor=load_actor(session=session, user_id=owner_id), rows=raw,
            file_name="bench.csv", progress=progress), engine=engine)
        report("end", time.monotonic(), repr(result))
    except Exception as error:  # noqa: BLE001 - reported to the deciding side
        report("error", time.monotonic(), repr(error))


def _import_in_process(url: str, rows: int, unit_codes: list[str], owner_id: int, queue) -> None:
    _import(url, rows, unit_codes, owner_id, lambda *message: queue.put(message))


def start_import(where: str, url: str, rows: int, unit_codes: list[str], owner_id: int) -> ImportRun:
    """Start the import and return at once; the run's events tell how far it is."""
    run = ImportRun()
    if where == "thread":
        tune_interpreter()  # as the app server does, where an upload runs in a thread like this one
        threading.Thread(target=_import, args=(url, rows, unit_codes, owner_id, run.note), daemon=True).start()
        return run
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no engine or lock inherited
    queue = context.Queue()
    process = context.Process(target=_import_in_process, args=(url, rows, unit_codes, owner_id, queue))
    process.start()

    def listen() -> None:
        import queue as queues

        while not run.finished.is_set():
            try:
                run.note(*queue.get(timeout=1))
            except queues.Empty:
                if not process.is_alive():
                    run.note("error", time.monotonic(), f"the import process ended with code {process.exitcode}")
        process.join()

    threading.Thread(target=listen, daemon=True).start()
    return run


# ------------------------------------------------------------------ the decisions


def warm_up(engine) -> None:
    """Open the pool's connections before timing, as a running server has them open."""
    held = [engine.connect() for _ in range(CONNECTIONS)]
    for connection in held:
        connection.execute(text("SELECT 1"))
    for connection in held:
        connection.close()


def open_transactions(engine) -> int:
    """Other sessions of this database inside a transaction now (the import's, while it runs)."""
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")).scalar_one()


def decide(engine, owner_id: int, initiative_id: int) -> tuple[float, str]:
    """One gate decision as the page makes it: the version read just before, then the action.
    Returns the action's time in seconds and the outcome."""
    with read_session(engine) as session:
        stage, version = session.exec(select(Initiative.stage, Initiative.version)
                                      .where(Initiative.id == initiative_id)).one()
    outcome = "go" if stage == "idea" else "recycle"
    data = DecisionInput(outcome=outcome, rationale="Benchmark decision")
    start = time.perf_counter()
    perform(lambda session: record_gate_decision(
        session=session, actor=load_actor(session=session, user_id=owner_id), initiative_id=initiative_id,
        expected_version=version, data=data), engine=engine)
    return time.perf_counter() - start, outcome


def run(where: str, url: str, rows: int, decisions: int, pause: float, verbose: bool) -> bool:
    label = f"{where:<8}"
    engine = migrated_engine(url, connections=CONNECTIONS)
    username, codes = build_organisation(engine)
    owner_id, pool = build_decision_pool(engine, username, decisions)
    warm_up(engine)
    # The same decisions with no import running: the contrast, and warm caches for what follows.
    idle = sorted(decide(engine, owner_id, initiative_id)[0] * 1000 for initiative_id in pool)
    print(f"{label} without an import: {len(idle)} decisions, min {idle[0]:.1f} ms, median "
          f"{statistics.median(idle):.1f} ms, max {idle[-1]:.1f} ms (load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores)", flush=True)
    print(f"{label} import of {rows} rows {WHERE[where]}; {len(pool)} other initiatives of the same portfolio",
          flush=True)

    imported = start_import(where, url, rows, codes, owner_id)
    imported.locked.wait()
    seen_open = open_transactions(engine) if not imported.finished.is_set() else 0
    # (milliseconds, outcome, began after validation, finished before the import committed)
    timings: list[tuple[float, str, bool, bool]] = []
    errors: list[BaseException] = []
    index = 0
    while not imported.finished.is_set():
        in_write = imported.validated.is_set()
        try:
            seconds, what = decide(engine, owner_id, pool[index % len(pool)])
            timings.append((seconds * 1000, what, in_write, not imported.finished.is_set()))
            if verbose:
                print(f"  {time.monotonic() - imported.moments['start']:6.2f} s  {what:<8} {seconds * 1000:7.1f} ms",
                      flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported
            errors.append(error)
        index += 1
        imported.finished.wait(pause)
    engine.dispose()

    if imported.error:
        print(f"{label} import FAILED: {imported.error}")
        return False
    m = imported.moments
    print(f"{label} import {rows} rows in {m['end'] - m['start']:.2f} s: locked after "
          f"{m['locked'] - m['start']:.2f} s, validated after {m['validated'] - m['start']:.2f} s, "
          f"written and committed in {m['end'] - m['validated']:.2f} s; {imported.result}")
    print(f"{label} transactions open in pg_stat_activity as the decisions began: {seen_open}")
    during = [t for t in timings if t[3]]
    if not during:
        print(f"{label} no decision finished while the import ran")
        return False
    ms = sorted(t[0] for t in during)
    writing = [t[0] for t in during if t[2]]
    validating = [t[0] for t in during if not t[2]]
    print(f"{label} {len(during)} decisions finished while the import ran "
          f"({sum(1 for t in during if t[1] == 'go')} go, {sum(1 for t in during if t[1] == 'recycle')} recycle)")
    print(f"{label} latency min {ms[0]:.1f} ms, median {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms")
    for phase, values in (("validation", validating), ("writing and commit", writing)):
        if values:
            print(f"{label}   begun during {phase:<18}: {len(values):3d}, median {statistics.median(values):.1f} ms, "
                  f"max {max(values):.1f} ms")
    under = sum(1 for value in ms if value < TARGET_MS)
    print(f"{label} {under} of {len(ms)} under {TARGET_MS} ms: {'OK' if under == len(ms) else 'TARGET MISSED'}")
    if errors:
        print(f"{label} {len(errors)} decisions failed, the first: {errors[0]!r}")
    if len(during) < decisions:
        print(f"{label} fewer than {decisions} decisions ran during the import; lower --pause")
    return under == len(ms) and not errors and len(during) >= decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=20,
                        help="Other initiatives decided in turn; at least this many decisions must run.")
    parser.add_argument("--pause", type=float, default=0.05, help="Seconds between two decisions.")
    parser.add_argument("--where", choices=["process", "thread", "both"], default="both",
                        help="Where the import runs (see above).")
    parser.add_argument("--verbose", action="store_true", help="Print every decision as it finishes.")
    args = parser.parse_args()
    results = {}
    for where in (["process", "thread"] if args.where == "both" else [args.where]):
        for _, url in databases("postgresql"):
            results[where] = run(where, url, args.rows, args.decisions, args.pause, args.verbose)
    for where, ok in results.items():
        print(f"{where:<8} import {WHERE[where]}: {'every decision under' if ok else 'NOT every decision under'} "
              f"{TARGET_MS} ms")
    # Both must hold: the database's promise (no global write lock, the process mode) and the app
    # server's (a thread beside an upload, with the interpreter tuned as the app tunes it).
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
