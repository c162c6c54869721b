"""A recipe change without downtime: the new solution is made and trained first, the
campaign moves to its version with UpdateCampaign, and only then is the old solution
deleted. The campaign answers GetRecommendations throughout: a poller asks it while the
apply runs in a subprocess (training held with ``PRECONCILE_LOCAL_DURATIONS`` and ended with
``local fast-forward``), and the local target's call log shows the order."""

from __future__ import annotations

import os
import subprocess
from itertools import pairwise

import pytest
from edits import replaced
from engine_helpers import plan_json
from test_resume import CAMPAIGN, HOLD, _cmd, _fast_forward, _poll

from personalize_reconcile.backends.local import local_client
from personalize_reconcile.local import metering

WRITES = ("Create", "Update", "Delete", "Tag", "Untag", "Stop")
RECOMMEND = "personalize-runtime.GetRecommendations"
STEPS = ("CreateSolution", "CreateSolutionVersion", "UpdateCampaign", "DeleteSolution")
"""The apply's writes, in order: the new solution and its version, the campaign moved to
it, the old solution deleted."""


def _writes(calls: list[str]) -> list[str]:
    return [c for c in calls if c.split(".")[1].startswith(WRITES)]


@pytest.mark.slow
def test_recipe_change_keeps_the_campaign_serving(pc, workshop, state, tmp_path, monkeypatch):
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "recipe: aws-user-personalization-v2",
            "recipe: aws-user-personalization",
        )
    )
    log = tmp_path / "calls.log"
    monkeypatch.setenv(metering.ENV, str(log))  # the poller's calls go to the same log
    env = dict(
        os.environ,
        PYTHONUNBUFFERED="1",
        # every step of the apply is held until the test has asked the campaign
        PRECONCILE_LOCAL_DURATIONS=f"solution={HOLD},solution-version={HOLD},campaign={HOLD}",
        PRECONCILE_POLL_INTERVAL="0.05",
    )
    runtime = local_client("personalize-runtime", state_dir=state)
    control = local_client("personalize", state_dir=state)

    answers = []

    def recommend() -> None:
        items = runtime.get_recommendations(campaignArn=CAMPAIGN, userId="6876409312")
        answers.append(len(items["itemList"]))

    recommend()
    cmd = _cmd("apply", workshop, state, "--auto-approve", "--allow-replace")
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    try:
        for step in STEPS:

            def started(step=step) -> bool:
                recommend()
                return f"personalize.{step}" in metering.read(log)

            _poll(started, f"apply's {step}")
            recommend()  # the campaign answers while this step is held
            if step == "CreateSolutionVersion":
                new = next(
                    s
                    for s in control.list_solutions()["solutions"]
                    if s["name"] != "segment-workshop-solution"
                )
                version = control.list_solution_versions(solutionArn=new["solutionArn"])[
                    "solutionVersions"
                ][0]
                assert version["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS")
            if step == "UpdateCampaign":  # the old version serves until the update is ACTIVE
                campaign = control.describe_campaign(campaignArn=CAMPAIGN)["campaign"]
                assert campaign["latestCampaignUpdate"]["status"] != "ACTIVE"
                assert campaign["solutionVersionArn"] != version["solutionVersionArn"]
            _fast_forward(state, env, tmp_path)

        def finished() -> bool:
            recommend()
            return proc.poll() is not None

        _poll(finished, "done applying")
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    recommend()
    assert "Apply complete: 1 created, 1 updated, 1 replaced, 0 deleted." in out

    calls = metering.read(log)
    writes = _writes(calls)
    assert writes == [f"personalize.{step}" for step in STEPS]
    # every step of the apply had the campaign answering after it, and none failed
    # (a failed GetRecommendations would have raised in recommend())
    for write in writes:
        assert RECOMMEND in calls[calls.index(write) + 1 :], write
    for before, after in pairwise(writes):  # served between every two steps
        assert RECOMMEND in calls[calls.index(before) : calls.index(after)], (before, after)
    assert all(n > 0 for n in answers)
    campaign = control.describe_campaign(campaignArn=CAMPAIGN)["campaign"]
    assert campaign["solutionVersionArn"] == version["solutionVersionArn"]
    assert [s["name"] for s in control.list_solutions()["solutions"]] == [new["name"]]

    assert pc("plan", "--detailed-exitcode").code == 0
    again = pc("apply", "--auto-approve")
    assert again.code == 0, again.err
    assert "No changes." in again.out


def test_back_and_forth_and_a_leftover_solution(pc, workshop, state):
    """Changing the recipe back names the next solution by its own fingerprint; an earlier
    solution of the entry left by an interrupted apply is planned for deletion."""
    v2 = workshop.read_text()
    v1 = replaced(v2, "recipe: aws-user-personalization-v2", "recipe: aws-user-personalization")
    assert pc("apply", "--auto-approve").code == 0
    names = []
    for text in (v1, v2):
        workshop.write_text(text)
        doc = plan_json(pc)
        solution = next(c for c in doc["resource_changes"] if c["type"] == "solution")
        assert solution["actions"] == ["create", "delete"]
        names.append(solution["name"])
        applied = pc("apply", "--auto-approve", "--allow-replace")
        assert applied.code == 0, applied.err
        assert pc("plan", "--detailed-exitcode").code == 0
    assert names[0] != names[1]
    assert [n.rsplit("-", 1)[0] for n in names] == ["segment-workshop-solution"] * 2
    control = local_client("personalize", state_dir=state)
    assert [s["name"] for s in control.list_solutions()["solutions"]] == [names[1]]

    group = control.list_dataset_groups()["datasetGroups"][0]["datasetGroupArn"]
    control.create_solution(  # as if an apply had stopped before deleting the old one
        name="segment-workshop-solution",
        datasetGroupArn=group,
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization-v2",
        tags=[{"tagKey": "preconcile:manifest", "tagValue": "segment-workshop"}],
    )
    plan = pc("plan")
    assert (
        "    - solution.segment-workshop-solution#segment-workshop-solution "
        "(segment-workshop-solution) will be deleted: left by an earlier replacement of "
        "solution.segment-workshop-solution\n"
    ) in plan.out
    assert pc("apply", "--auto-approve", "--allow-delete").code == 0
    assert pc("plan", "--detailed-exitcode").code == 0
    destroyed = pc("destroy", "--auto-approve")
    assert destroyed.code == 0, destroyed.err
    assert control.list_solutions()["solutions"] == []


def test_renaming_a_solution_moves_the_campaign_before_the_old_one_is_deleted(pc, workshop, state):
    """The old solution, no longer declared, is deleted only once the campaign serves the
    new one's version: the service refuses to delete a solution a campaign still uses."""
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(
        workshop.read_text().replace("segment-workshop-solution", "segment-workshop-solution-b")
    )
    plan = pc("plan")
    assert "Plan: 2 to create, 1 to update, 0 to replace, 1 to delete." in plan.out
    applied = pc("apply", "--auto-approve", "--allow-delete")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 2 created, 1 updated, 0 replaced, 1 deleted." in applied.out
    control = local_client("personalize", state_dir=state)
    assert [s["name"] for s in control.list_solutions()["solutions"]] == [
        "segment-workshop-solution-b"
    ]
    campaign = control.describe_campaign(campaignArn=CAMPAIGN)["campaign"]
    assert "solution/segment-workshop-solution-b/" in campaign["solutionVersionArn"]
    assert pc("plan", "--detailed-exitcode").code == 0
