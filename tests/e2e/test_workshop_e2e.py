"""The workshop end to end on the real workshop data, as a user runs it: the CLI in a
subprocess, in a fresh folder (state in the default ``.preconcile/`` there).

apply -> plan shows no changes -> recommend for a known and a made-up user -> destroy ->
plan shows everything to create again.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from edits import replaced
from workshop_data import WORKSHOP_CSV

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = REPO_ROOT / "examples" / "workshop.yaml"


def preconcile(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "personalize_reconcile", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_workshop_apply_recommend_destroy(tmp_path):
    data = ["--var", f"data={WORKSHOP_CSV}"]
    applied = preconcile("apply", str(MANIFEST), "--auto-approve", *data, cwd=tmp_path)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 7 created, 0 updated, 0 replaced, 0 deleted." in applied.stdout
    assert (tmp_path / ".preconcile").is_dir()

    plan = preconcile("plan", str(MANIFEST), "--detailed-exitcode", *data, cwd=tmp_path)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert plan.stdout.startswith("No changes.")

    rows = list(csv.DictReader(WORKSHOP_CSV.open()))
    items = {r["ITEM_ID"] for r in rows}
    known_user = rows[0]["USER_ID"]
    known = preconcile(
        "recommend",
        "--campaign",
        "segment-workshop-campaign",
        "--user-id",
        known_user,
        "--json",
        cwd=tmp_path,
    )
    assert known.returncode == 0, known.stderr
    known_items = [i["itemId"] for i in json.loads(known.stdout)["itemList"]]
    assert len(known_items) == 25 and len(set(known_items)) == 25
    assert set(known_items) <= items

    made_up = preconcile(
        "recommend",
        "--campaign",
        "segment-workshop-campaign",
        "--user-id",
        "made-up-user-42",
        "--json",
        cwd=tmp_path,
    )
    assert made_up.returncode == 0, made_up.stderr
    popular = [i["itemId"] for i in json.loads(made_up.stdout)["itemList"]]
    assert len(popular) == 25 and set(popular) <= items
    counts: dict[str, set[str]] = {}
    for r in rows:
        counts.setdefault(r["ITEM_ID"], set()).add(r["USER_ID"])
    top5 = sorted(counts, key=lambda i: -len(counts[i]))[:5]
    assert len(set(popular[:10]) & set(top5)) >= 3  # a cold user gets popular items

    table = preconcile(
        "recommend",
        "--campaign",
        "segment-workshop-campaign",
        "--user-id",
        known_user,
        "--num-results",
        "3",
        cwd=tmp_path,
    )
    assert table.returncode == 0
    assert known_items[0] in table.stdout

    destroyed = preconcile("destroy", str(MANIFEST), "--auto-approve", *data, cwd=tmp_path)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert "Destroy complete: 5 deleted." in destroyed.stdout

    again = preconcile("plan", str(MANIFEST), "--json", *data, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["summary"]["create"] == 7


def test_recommend_errors(tmp_path):
    unknown = preconcile("recommend", "--campaign", "nope", "--user-id", "u1", cwd=tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr == (
        "Error: there is no campaign named 'nope' on the local target (us-east-1); "
        "campaigns there: none\n"
    )
    both = preconcile(
        "recommend", "--campaign", "c", "--user-id", "u", "--item-id", "i", cwd=tmp_path
    )
    assert both.returncode == 1
    assert both.stderr == (
        "Error: give exactly one of --user-id (a user's recommendations) or --item-id (items "
        "related to an item)\n"
    )
    many = preconcile(
        "recommend", "--campaign", "c", "--user-id", "u", "--num-results", "501", cwd=tmp_path
    )
    assert many.returncode == 1
    assert many.stderr == "Error: --num-results must be between 1 and 500, not 501\n"


def test_recommend_from_a_campaign_that_is_not_active_yet(tmp_path):
    from personalize_reconcile.backends.local import local_client

    state = tmp_path / ".preconcile"
    applied = preconcile("apply", str(MANIFEST), "--auto-approve", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    slow = local_client("personalize", state_dir=state, durations={"campaign": 60})
    solution = "arn:aws:personalize:us-east-1:000000000000:solution/segment-workshop-solution"
    version = slow.describe_solution(solutionArn=solution)["solution"]["latestSolutionVersion"]
    slow.create_campaign(name="warming-up", solutionVersionArn=version["solutionVersionArn"])
    result = preconcile("recommend", "--campaign", "warming-up", "--user-id", "u1", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr in (
        f"Error: campaign 'warming-up' is {status}, not ACTIVE; run apply and wait for it to "
        "finish\n"
        for status in ("CREATE PENDING", "CREATE IN_PROGRESS")
    )


def test_recommend_names_the_option_a_related_items_campaign_needs(tmp_path, repo_root):
    import shutil

    shutil.copytree(repo_root / "examples", tmp_path / "ex")
    manifest = tmp_path / "ex" / "workshop.yaml"
    manifest.write_text(
        replaced(
            manifest.read_text(),
            "campaigns:\n",
            "  sims:\n    recipe: aws-sims\ncampaigns:\n  sims-campaign:\n    solution: sims\n",
        )
    )
    assert preconcile("apply", str(manifest), "--auto-approve", cwd=tmp_path).returncode == 0
    result = preconcile(
        "recommend", "--campaign", "sims-campaign", "--user-id", "6876409312", cwd=tmp_path
    )
    assert result.returncode == 1
    assert result.stderr == (
        "Error: the campaign refused the request: itemId is required for a campaign that uses "
        "aws-sims. Use --item-id: this campaign recommends items related to an item.\n"
    )
    related = preconcile(
        "recommend",
        "--campaign",
        "sims-campaign",
        "--item-id",
        "green-cotton-shirt",
        "--json",
        cwd=tmp_path,
    )
    assert related.returncode == 0, related.stderr
    items = json.loads(related.stdout)["itemList"]
    assert len(items) == 25 and all("score" not in i for i in items)
