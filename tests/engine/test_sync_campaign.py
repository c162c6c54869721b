"""A campaign with ``syncWithLatestSolutionVersion: true`` on a solution that auto-trains:
it deploys ``<solution>/$LATEST``, and the versions the service trains on its schedule are
expected, not drift (issue 11, 8b)."""

from __future__ import annotations

import csv
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


def _new_items_imported(client, state, workshop, tmp_path) -> None:
    """A FULL import, outside the manifest, of the workshop data with every item renamed
    ``v2-...``: only a model trained after it knows those items."""
    source = workshop.parent / "data" / "interactions.csv"
    renamed = tmp_path / "v2.csv"
    with source.open(newline="") as src, renamed.open("w", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        header = next(reader)
        writer.writerow(header)
        item = header.index("ITEM_ID")
        for row in reader:
            row[item] = "v2-" + row[item]
            writer.writerow(row)
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
