"""examples/retail.yaml end to end as a user runs it (the CLI in a subprocess, in a copy
of examples/): Users, Items and Interactions data, two filters, an event tracker, two
solutions with a campaign each and a batch job; four runs, then the planted patterns
found by the trained models, the batch output, the tracking ID, and destroy."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = Path(".preconcile/s3/personalize-data-000000000000/retail/batch/out/users.jsonl.out")


def preconcile(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "personalize_reconcile", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def top(cwd, *args: str) -> list[str]:
    asked = preconcile("recommend", *args, "--num-results", "10", "--json", cwd=cwd)
    assert asked.returncode == 0, asked.stderr
    return [i["itemId"] for i in json.loads(asked.stdout)["itemList"]]


@pytest.mark.slow
def test_retail_example_four_runs_recommend_batch_and_destroy(tmp_path):
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples")
    manifest = "examples/retail.yaml"
    planned = preconcile("plan", manifest, "--detailed-exitcode", cwd=tmp_path)
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert "Plan: 20 to create, 0 to update, 0 to replace, 0 to delete." in planned.stdout
    applied = preconcile("apply", manifest, "--auto-approve", cwd=tmp_path)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 20 created, 0 updated, 0 replaced, 0 deleted." in applied.stdout
    again = preconcile("plan", manifest, "--detailed-exitcode", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout == (
        f"No changes. The live resources match {manifest} (local, us-east-1).\n"
    )
    noop = preconcile("apply", manifest, "--auto-approve", cwd=tmp_path)
    assert noop.returncode == 0 and "20 created" not in noop.stdout

    # user000 favours shoes (s*), user001 bags (b*), user002 hats (h*)
    for user, prefix in (("user000", "s"), ("user001", "b"), ("user002", "h")):
        items = top(tmp_path, "--campaign", "retail-for-you", "--user-id", user)
        assert sum(i.startswith(prefix) for i in items) >= 6, (user, items)
    similar = top(tmp_path, "--campaign", "retail-similar", "--item-id", "s01")
    assert sum(i.startswith("s") for i in similar) >= 6, similar

    lines = [json.loads(x) for x in (tmp_path / OUT).read_text().splitlines()]
    assert [x["input"]["userId"] for x in lines] == [f"user{u:03d}" for u in range(0, 300, 30)]
    assert all(x["error"] is None and len(x["output"]["recommendedItems"]) == 10 for x in lines)

    shown = preconcile("output", manifest, "--json", cwd=tmp_path)
    tracker = json.loads(shown.stdout)["resources"]["event_tracker.retail-events"]
    assert tracker["trackingId"] in applied.stdout

    destroyed = preconcile("destroy", manifest, "--auto-approve", cwd=tmp_path)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert "Kept batch_inference_job.retail-nightly" in destroyed.stdout + destroyed.stderr
