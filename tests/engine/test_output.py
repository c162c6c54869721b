"""``preconcile output``: the ARNs of what a manifest made, as a table or a versioned JSON
document, read-only; a manifest with nothing applied yet is an error that says what to do."""

from __future__ import annotations

import json
import time

CAMPAIGN = "arn:aws:personalize:us-east-1:000000000000:campaign/segment-workshop-campaign"


def test_before_apply_it_says_to_apply_first(pc, workshop):
    result = pc("output")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"Error: nothing that {workshop} declares exists on the local target (us-east-1) yet; "
        f"run preconcile apply {workshop} first\n"
    )


def test_after_apply_every_resource_with_its_arn(pc, workshop, state):
    assert pc("apply", "--auto-approve").code == 0
    before = sorted(p.name for p in state.iterdir())
    result = pc("output", "--json")
    assert (result.code, result.err) == (0, "")
    doc = json.loads(result.out)
    assert (doc["format_version"], doc["target"], doc["missing"]) == ("1", "local", [])
    assert list(doc["resources"]) == [
        "dataset_group.segment-workshop",
        "schema.segment-workshop-interactions",
        "dataset.Interactions",
        "import.segment-workshop-interactions",
        "solution.segment-workshop-solution",
        "solution_version.segment-workshop-solution",
        "campaign.segment-workshop-campaign",
    ]
    campaign = doc["resources"]["campaign.segment-workshop-campaign"]
    version = doc["resources"]["solution_version.segment-workshop-solution"]
    assert campaign["arn"] == CAMPAIGN and campaign["status"] == "ACTIVE"
    assert campaign["solutionVersionArn"] == version["arn"]
    table = pc("output")
    assert table.code == 0
    line = next(x for x in table.out.splitlines() if x.startswith("campaign."))
    assert line.split() == ["campaign.segment-workshop-campaign", "ACTIVE", CAMPAIGN]
    assert sorted(p.name for p in state.iterdir()) == before


def test_a_partly_applied_manifest_names_what_is_missing(pc, workshop, state):
    from botocore.exceptions import ClientError

    from personalize_reconcile.backends.local import local_client

    assert pc("apply", "--auto-approve").code == 0
    client = local_client("personalize", state_dir=state)
    client.delete_campaign(campaignArn=CAMPAIGN)
    for _ in range(1200):  # at most 60 s: the local delete settles in the next job step
        try:
            client.describe_campaign(campaignArn=CAMPAIGN)
        except ClientError:
            break
        time.sleep(0.05)
    result = pc("output", "--json")
    assert result.code == 0
    assert json.loads(result.out)["missing"] == ["campaign.segment-workshop-campaign"]
    assert result.err == (
        f"1 of the resources {workshop} declares do not exist yet: "
        f"campaign.segment-workshop-campaign; run preconcile apply {workshop}\n"
    )
