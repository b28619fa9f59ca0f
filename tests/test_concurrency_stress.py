"""Nothing lost when people work at once: a small run of the stress benchmark (bench/stress.py).

Eight people make mixed writes at once (checklist ticks, grid corrections, small file imports,
calculation saves and gate decisions) on four initiatives, so that they collide. Every outcome is the
product's own (a success, a conflict or a refusal with reasons), never a raw error; the audit trail
holds every successful write as a true chain of old and new values, the stored values and versions
are the last ones, and every hash chain verifies. The choices of each person are seeded; only the
interleaving differs from run to run, and nothing may depend on it.
"""

from __future__ import annotations

from bench.stress import KINDS, run_stress

THREADS = 8
WRITES = 30
INITIATIVES = 4


def test_mixed_writes_at_once_lose_nothing(engine):
    report = run_stress(engine, threads=THREADS, writes=WRITES, initiatives=INITIATIVES, seed=7)
    tally = report.tally
    assert report.tally.raw_examples == []
    assert report.raw_errors == 0
    assert report.lost == []
    # A grid row typed into a cell shown empty never replaces a value stored meanwhile.
    assert report.tally.blind_overwrites == 0
    assert report.chain.ok, report.chain
    outcomes = sum(sum(counter.values()) for counter in (tally.success, tally.conflict, tally.refused, tally.raw))
    assert outcomes == THREADS * WRITES
    # Every kind of write got through at least once, so each check above had something to check.
    assert all(tally.success[kind] > 0 for kind in KINDS), tally.success
