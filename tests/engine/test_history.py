"""Accounts that already have history: more than one solution, or more than one dataset
group, trained on the same data with the same recipe, through the CLI on the local target.

A solution version's ARN is ``<solution arn>/<generated id>`` (reference §1): its name is
unique only within its solution, so versions named alike in two solutions never clash;
each solution's version is found and waited for under that solution.
"""

from __future__ import annotations

from edits import replaced
from engine_helpers import OLD_DATA, four_runs, plan_json, stage_manifest

from personalize_reconcile.backends.local import local_client
from personalize_reconcile.local import seams

P = "arn:aws:personalize:us-east-1:000000000000:"
TWIN = """  segment-workshop-twin:
    recipe: aws-user-personalization-v2
    performAutoTraining: false
"""
TWIN_CAMPAIGN = """  segment-workshop-twin-campaign:
    solution: segment-workshop-twin
    minProvisionedTPS: 1
"""


def _versions(client, solution: str) -> list[dict]:
    summaries = client.list_solution_versions(solutionArn=P + f"solution/{solution}")
    return [
        client.describe_solution_version(solutionVersionArn=s["solutionVersionArn"])[
            "solutionVersion"
        ]
        for s in summaries["solutionVersions"]
    ]


def test_two_solutions_alike_each_train_and_serve_their_own_version(pc, workshop, state):
    text = workshop.read_text()
    text = replaced(text, "\ncampaigns:\n", "\n" + TWIN + "\ncampaigns:\n")
    workshop.write_text(text + TWIN_CAMPAIGN)
    doc = four_runs(pc, 10)
    versions = {
        c["address"]: c["reason"]
        for c in doc["resource_changes"]
        if c["type"] == "solution_version"
    }
    assert versions == {
        "solution_version.segment-workshop-solution": "the solution has no version yet"
        + OLD_DATA.format(day="2019-05-11"),
        "solution_version.segment-workshop-twin": "the solution has no version yet"
        + OLD_DATA.format(day="2019-05-11"),
    }
    client = local_client("personalize", state_dir=state)
    mine, twin = (
        _versions(client, "segment-workshop-solution"),
        _versions(client, "segment-workshop-twin"),
    )
    assert len(mine) == len(twin) == 1
    assert mine[0]["name"] == twin[0]["name"]  # same data, same configuration
    assert mine[0]["solutionVersionArn"] != twin[0]["solutionVersionArn"]
    campaign = client.describe_campaign(campaignArn=P + "campaign/segment-workshop-twin-campaign")
    assert campaign["campaign"]["solutionVersionArn"] == twin[0]["solutionVersionArn"]


def test_one_manifest_for_two_dataset_groups_in_one_account(pc, workshop, state):
    dev, prod = stage_manifest(workshop, "dev"), stage_manifest(workshop, "prod")
    four_runs(pc, 7, dev, "--var", "stage=dev")
    doc = four_runs(pc, 6, prod, "--var", "stage=prod", adopted=1)
    shared = next(c for c in doc["resource_changes"] if c["type"] == "schema")
    assert (shared["actions"], shared["adopting"]) == (["no-op"], True)  # dev's, used
    assert pc("plan", "--detailed-exitcode", "--var", "stage=dev", manifest=dev).code == 0
    client = local_client("personalize", state_dir=state)
    for stage in ("dev", "prod"):
        (version,) = _versions(client, f"shop-{stage}-solution")
        assert version["status"] == "ACTIVE"
        campaign = client.describe_campaign(campaignArn=P + f"campaign/shop-{stage}-campaign")
        assert campaign["campaign"]["solutionVersionArn"] == version["solutionVersionArn"]


def test_a_failed_training_is_retried_under_a_fresh_name(pc, state):
    """The same data and configuration again after a failed training: the failed version
    keeps its name in the solution, so the retry is named ``<name>-2``; once it is ACTIVE
    the plan is empty."""

    def failing(job):
        raise seams.TrainingFailed("planted: the training cluster went away")

    seams.register_trainer(failing)
    try:
        failed = pc("apply", "--auto-approve")
    finally:
        seams.register_trainer(None)
    assert failed.code == 1
    assert (
        "  solution_version.segment-workshop-solution: planted: the training cluster went away\n"
    ) in failed.err
    doc = plan_json(pc)
    retry = next(c for c in doc["resource_changes"] if c["type"] == "solution_version")
    assert retry["actions"] == ["create"]
    assert retry["reason"] == (
        "the last training failed: planted: the training cluster went away"
        + OLD_DATA.format(day="2019-05-11")
    )
    retried = pc("apply", "--auto-approve")
    assert retried.code == 0, retried.out + retried.err
    assert "Apply complete: 2 created, 0 updated, 0 replaced, 0 deleted." in retried.out
    assert pc("plan", "--detailed-exitcode").code == 0
    client = local_client("personalize", state_dir=state)
    versions = _versions(client, "segment-workshop-solution")
    assert sorted((v["status"], v["name"][19:]) for v in versions) == [
        ("ACTIVE", "-2"),
        ("CREATE FAILED", ""),
    ]


def test_a_failed_version_that_is_no_longer_the_latest_does_not_block_a_retry(pc, state):
    """A version of the manifest's data and configuration failed, then someone trained
    another version by hand: the manifest's name is taken in the solution by the failed
    version, so apply creates the next attempt under the solution; then the plan is
    empty."""

    def failing(job):
        raise seams.TrainingFailed("planted: the training cluster went away")

    seams.register_trainer(failing)
    try:
        assert pc("apply", "--auto-approve").code == 1
    finally:
        seams.register_trainer(None)
    client = local_client("personalize", state_dir=state)
    by_hand = client.create_solution_version(solutionArn=P + "solution/segment-workshop-solution")[
        "solutionVersionArn"
    ]
    doc = plan_json(pc)
    retry = next(c for c in doc["resource_changes"] if c["type"] == "solution_version")
    assert retry["reason"] == (
        "the latest version (unnamed) was not trained by this manifest"
        + OLD_DATA.format(day="2019-05-11")
    )
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert pc("plan", "--detailed-exitcode").code == 0
    versions = _versions(client, "segment-workshop-solution")
    named = {v["solutionVersionArn"]: (v["status"], v.get("name")) for v in versions}
    failed = named.pop(next(a for a, (st, _) in named.items() if st == "CREATE FAILED"))
    retried = named.pop(next(a for a, (_, n) in named.items() if n and n.endswith("-2")))
    assert retried == ("ACTIVE", failed[1] + "-2")
    assert list(named) == [by_hand]
