"""A campaign with ``syncWithLatestSolutionVersion: true`` on a solution that auto-trains:
it deploys ``<solution>/$LATEST``, and the versions the service trains on its schedule are
expected, not drift (issue 11, 8b)."""

from __future__ import annotations

import csv
import random
import time

from edits import replaced
from engine_helpers import four_runs, plan_json

from personalize_reconcile.backends.local import local_client
from personalize_reconcile.local.objectstore import LocalObjectStore

SOLUTION = "arn:aws:personalize:us-east-1:000000000000:solution/segment-workshop-solution"
CAMPAIGN = "arn:aws:personalize:us-east-1:000000000000:campaign/segment-workshop-campaign"
DATASET = "arn:aws:personalize:us-east-1:000000000000:dataset/segment-workshop/INTERACTIONS"
ROLE = "arn:aws:iam::000000000000:role/service-role/PersonalizeExecutionRole"


def auto_training(workshop) -> None:
    """The workshop's solution trains automatically, once a day."""
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "    performAutoTraining: false\n",
            "    performAutoTraining: true\n    autoTrainingConfig:\n"
            "      schedulingExpression: rate(1 day)\n",
        )
    )


def sync_campaign(workshop) -> None:
    """The workshop's campaign follows its solution's newest version."""
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "    minProvisionedTPS: 1\n",
            "    minProvisionedTPS: 1\n    campaignConfig:\n"
            "      syncWithLatestSolutionVersion: true\n",
        )
    )


def sync_manifest(workshop) -> None:
    """The workshop with an auto-training solution and a campaign that follows it."""
    auto_training(workshop)
    sync_campaign(workshop)


def _settled(client, arn: str) -> dict:
    deadline = time.monotonic() + 120
    while True:
        v = client.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]
        if v["status"] in ("ACTIVE", "CREATE FAILED"):
            return v
        assert time.monotonic() < deadline, f"{arn} still {v['status']}"
        time.sleep(0.05)


def _new_items_imported(client, state, workshop, tmp_path, shuffle: bool = False) -> None:
    """A FULL import, outside the manifest, of the workshop data with every item renamed
    ``v2-...``: only a model trained after it knows those items. With ``shuffle`` the items
    are also shuffled across the rows (seeded): a model trained on it ranks worse."""
    source = workshop.parent / "data" / "interactions.csv"
    renamed = tmp_path / "v2.csv"
    with source.open(newline="") as src:
        rows = list(csv.reader(src))
    header, body = rows[0], rows[1:]
    item = header.index("ITEM_ID")
    items = ["v2-" + row[item] for row in body]
    if shuffle:
        random.Random(7).shuffle(items)
    for row, value in zip(body, items, strict=True):
        row[item] = value
    with renamed.open("w", newline="") as dst:
        csv.writer(dst).writerows([header, *body])
    location = "s3://personalize-data-000000000000/outside/v2.csv"
    LocalObjectStore(state).put(location, renamed)
    job = client.create_dataset_import_job(
        jobName="outside-v2",
        datasetArn=DATASET,
        roleArn=ROLE,
        dataSource={"dataLocation": location},
    )["datasetImportJobArn"]
    deadline = time.monotonic() + 120
    while (
        status := client.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"][
            "status"
        ]
    ) != "ACTIVE":
        assert status != "CREATE FAILED" and time.monotonic() < deadline, status
        time.sleep(0.05)


def test_sync_campaign_follows_scheduled_training_without_drift(pc, cli, workshop, state, tmp_path):
    sync_manifest(workshop)
    doc = four_runs(pc, 7)
    campaign = next(
        c for c in doc["resource_changes"] if c["address"] == "campaign.segment-workshop-campaign"
    )
    assert campaign["actions"] == ["create"]

    client = local_client("personalize", state_dir=state)
    runtime = local_client("personalize-runtime", state_dir=state)
    described = client.describe_campaign(campaignArn=CAMPAIGN)["campaign"]
    assert described["solutionVersionArn"] == SOLUTION + "/$LATEST"
    assert described["campaignConfig"]["syncWithLatestSolutionVersion"] is True

    def served() -> list[str]:
        items = runtime.get_recommendations(campaignArn=CAMPAIGN, userId="someone")["itemList"]
        return [i["itemId"] for i in items]

    assert served() and not any(i.startswith("v2-") for i in served())
    _new_items_imported(client, state, workshop, tmp_path)

    # the first run, an hour after ACTIVE, is skipped (apply trained a version by hand);
    # the next one, a day later, trains
    for step in ("first", "scheduled"):
        done = cli("local", "fast-forward", "--state-dir", str(state), SOLUTION)
        assert done.code == 0, done.err
        assert done.out.startswith(f"autotrain {step} of {SOLUTION}: due now"), done.out
    [automatic] = [
        v
        for v in client.list_solution_versions(solutionArn=SOLUTION)["solutionVersions"]
        if v["trainingType"] == "AUTOMATIC"
    ]
    assert _settled(client, automatic["solutionVersionArn"])["status"] == "ACTIVE"

    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert again.out.startswith("No changes.")
    assert client.describe_campaign(campaignArn=CAMPAIGN)["campaign"]["solutionVersionArn"] == (
        SOLUTION + "/$LATEST"
    )
    assert all(i.startswith("v2-") for i in served())


def test_plan_shows_the_latest_alias(pc, workshop):
    sync_manifest(workshop)
    doc = plan_json(pc)
    campaign = next(
        c for c in doc["resource_changes"] if c["address"] == "campaign.segment-workshop-campaign"
    )
    assert (campaign["actions"], campaign["reason"]) == (["create"], "does not exist")


def test_changing_a_campaign_to_sync_updates_it_in_place(pc, workshop):
    auto_training(workshop)
    assert pc("apply", "--auto-approve").code == 0
    assert plan_json(pc)["has_changes"] is False
    sync_campaign(workshop)
    doc = plan_json(pc)
    [change] = [c for c in doc["resource_changes"] if c["actions"] != ["no-op"]]
    assert change["address"] == "campaign.segment-workshop-campaign"
    assert change["actions"] == ["update"]
    paths = {c["path"]: c["after"] for c in change["changes"]}
    assert paths == {
        "campaignConfig": {"syncWithLatestSolutionVersion": True},
        "solutionVersionArn": SOLUTION + "/$LATEST",
    }
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 0 created, 1 updated, 0 replaced, 0 deleted." in applied.out
    assert pc("plan", "--detailed-exitcode").code == 0


def test_a_sync_campaign_reports_an_automatic_version_that_misses_its_gate(
    pc, cli, workshop, state, tmp_path
):
    sync_manifest(workshop)
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "      syncWithLatestSolutionVersion: true\n",
            "      syncWithLatestSolutionVersion: true\n    rollout:\n"
            "      maxRegression: {normalized_discounted_cumulative_gain_at_10: 0.02}\n",
        )
    )
    four_runs(pc, 7)  # one version: nothing to compare it with yet
    client = local_client("personalize", state_dir=state)
    [manual] = client.list_solution_versions(solutionArn=SOLUTION)["solutionVersions"]
    _new_items_imported(client, state, workshop, tmp_path, shuffle=True)
    for _ in ("first", "scheduled"):
        assert cli("local", "fast-forward", "--state-dir", str(state), SOLUTION).code == 0
    [automatic] = [
        v
        for v in client.list_solution_versions(solutionArn=SOLUTION)["solutionVersions"]
        if v["trainingType"] == "AUTOMATIC"
    ]
    arn = automatic["solutionVersionArn"]
    assert _settled(client, arn)["status"] == "ACTIVE"

    ndcg = "normalized_discounted_cumulative_gain_at_10"
    old = client.get_solution_metrics(solutionVersionArn=manual["solutionVersionArn"])
    new = client.get_solution_metrics(solutionVersionArn=arn)
    before, after = old["metrics"][ndcg], new["metrics"][ndcg]
    assert before - after > 0.02
    warning = (
        f"Warning: campaign.segment-workshop-campaign: serves {arn} (trained by the "
        f"service's auto-training), which misses its rollout gate: {ndcg} {after:.3f} is "
        f"{before - after:.3f} below the previous version's {before:.3f} (allowed 0.02); "
        "with syncWithLatestSolutionVersion the service deploys every new version itself, "
        "so the gate can only report this.\n"
    )
    plan = pc("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert plan.out.startswith("No changes.")
    assert plan.err == warning

    applied = pc("apply", "--auto-approve")
    assert applied.code == 1
    assert applied.out.startswith("No changes.")
    assert applied.err == warning + (
        "Error: a campaign serves a version that misses its rollout gate (see the warning "
        "above), and apply cannot hold back a campaign that follows $LATEST. To deploy only "
        "versions that pass, remove syncWithLatestSolutionVersion from it; to accept the "
        "version, pass --skip-rollout-gates.\n"
    )
    accepted = pc("apply", "--auto-approve", "--skip-rollout-gates")
    assert (accepted.code, accepted.err) == (0, warning)
