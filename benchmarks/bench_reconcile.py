"""Reconciler figures on the local target (issue 5).

Prints:

1. read calls per resource for a no-op plan of the workshop manifest (target <= 1.5), and
   the write calls it made (must be 0);
2. apply wall time divided by the critical path of the local target's configured durations,
   for a manifest with 3 solutions and 3 campaigns (target <= 1.15; strictly sequential
   work would be about 2.5).

Usage: ``python benchmarks/bench_reconcile.py`` (about half a minute).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from personalize_reconcile.backends.target import open_target
from personalize_reconcile.engine import Applier, WaitPolicy, prepare
from personalize_reconcile.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[1]

# Minimum seconds per kind for the wall-time figure (set before the local target starts).
DURATIONS = {
    "dataset-group": 0.5,
    "schema": 0.0,
    "dataset": 0.5,
    "dataset-import-job": 2.0,
    "solution": 0.5,
    "solution-version": 3.0,
    "campaign": 1.0,
}
# The longest chain: group -> dataset -> import -> version -> campaign (solutions run
# beside the dataset and import).
CRITICAL = ["dataset-group", "dataset", "dataset-import-job", "solution-version", "campaign"]
POLICY = WaitPolicy.for_target("local")  # what `preconcile apply` uses


def apply_manifest(path: Path, state: Path):
    target = open_target("local", state_dir=state)
    loaded = load_manifest(path)
    prepared = prepare(loaded, target, str(path))
    result = Applier(prepared.ctx, prepared.plan, prepared.desired, prepared.kinds, POLICY).run()
    assert result.ok, result.failed
    return target, loaded


def no_op_reads(work: Path) -> None:
    shutil.copytree(ROOT / "examples", work / "ex")
    manifest = work / "ex" / "workshop.yaml"
    target, loaded = apply_manifest(manifest, work / "state-a")
    before = target.counter.calls.copy()
    prepared = prepare(loaded, target, str(manifest))
    assert not prepared.plan.has_changes
    calls = target.counter.calls - before
    reads = sum(n for op, n in calls.items() if target.counter.is_read(op))
    writes = sum(n for op, n in calls.items() if not target.counter.is_read(op))
    n = len(prepared.plan.changes)
    print(
        f"no-op plan of the workshop manifest: {reads} read calls for {n} resources = "
        f"{reads / n:.2f} reads per resource; {writes} write calls"
    )
    for op, count in sorted(calls.items()):
        print(f"    {op}: {count}")


def three_by_three(work: Path) -> None:
    shutil.copytree(ROOT / "examples", work / "ex3")
    manifest = work / "ex3" / "workshop.yaml"
    text = manifest.read_text()
    head, _, _ = text.partition("solutions:\n")
    recipes = ["aws-user-personalization-v2", "aws-popularity-count", "aws-sims"]
    body = "solutions:\n"
    for i, recipe in enumerate(recipes, 1):
        body += f"  solution-{i}:\n    recipe: {recipe}\n"
    body += "campaigns:\n"
    for i in range(1, 4):
        body += f"  campaign-{i}:\n    solution: solution-{i}\n"
    manifest.write_text(head + body)
    os.environ["PRECONCILE_LOCAL_DURATIONS"] = ",".join(f"{k}={v}" for k, v in DURATIONS.items())
    t0 = time.perf_counter()
    apply_manifest(manifest, work / "state-b")
    wall = time.perf_counter() - t0
    critical = sum(DURATIONS[k] for k in CRITICAL)
    sequential = (
        DURATIONS["dataset-group"]
        + DURATIONS["dataset"]
        + DURATIONS["dataset-import-job"]
        + 3 * (DURATIONS["solution"] + DURATIONS["solution-version"] + DURATIONS["campaign"])
    )
    print(
        f"apply of 3 solutions and 3 campaigns: wall {wall:.2f} s, critical path "
        f"{critical:.2f} s -> ratio {wall / critical:.3f} (strictly sequential: "
        f"{sequential:.1f} s, ratio {sequential / critical:.2f})"
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        no_op_reads(Path(tmp))
        three_by_three(Path(tmp))
