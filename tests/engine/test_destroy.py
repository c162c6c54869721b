"""``destroy`` finishes, through the CLI on the local target: what the service requires
gone before a dataset or the group can be deleted (filters, event trackers) goes first
(without the ownership tag, only with ``--adopt``; else it is kept, with what it blocks),
a schema another dataset group still uses is kept with a note, and a second ``destroy``
changes nothing and exits 0 (reference §3)."""

from __future__ import annotations

import os
import time

import pytest
from engine_helpers import stage_manifest
from test_resume import HOLD, _cmd, _fast_forward, _poll, _start_until

from personalize_reconcile.backends.local import local_client

P = "arn:aws:personalize:us-east-1:000000000000:"
GROUP = P + "dataset-group/segment-workshop"
OWNED = [{"tagKey": "preconcile:manifest", "tagValue": "segment-workshop"}]


def _nothing(result, manifest, name: str = "segment-workshop") -> str:
    assert result.code == 0, result.out + result.err
    return (
        f"Nothing to destroy: no resource of {manifest} (tagged preconcile:manifest={name}) "
        "exists on the local target (us-east-1).\n"
    )


UNTAGGED_GROUP = (
    "Kept dataset_group.segment-workshop: it exists without the tag "
    "preconcile:manifest=segment-workshop, so nothing shows it is this manifest's, and destroy "
    "deletes only what carries the tag. If it is this manifest's, tag it with apply --adopt, "
    "then run destroy again.\n"
)


def _apply_in_someone_elses_group(pc, state):
    """Apply, then take the ownership tag off the dataset group: the group is someone
    else's (apply would adopt, and tag, an equal group made elsewhere)."""
    assert pc("apply", "--auto-approve").code == 0
    client = local_client("personalize", state_dir=state)
    client.untag_resource(resourceArn=GROUP, tagKeys=["preconcile:manifest"])
    return client


def _filters_and_tracker_made_elsewhere(client) -> None:
    client.create_filter(
        name="no-purchased",
        datasetGroupArn=GROUP,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
    )
    client.create_filter(
        name="tagged-filter",
        datasetGroupArn=GROUP,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("View")',
        tags=OWNED,
    )
    client.create_event_tracker(name="site-events", datasetGroupArn=GROUP)


def test_destroy_keeps_untagged_filters_and_event_trackers_and_what_they_block(pc, workshop, state):
    assert pc("apply", "--auto-approve").code == 0
    client = local_client("personalize", state_dir=state)
    _filters_and_tracker_made_elsewhere(client)
    hint = (
        "Delete them, tag them preconcile:manifest=segment-workshop, or run destroy with "
        "--adopt to delete them too."
    )
    notes = (
        "Kept dataset.Interactions: the service deletes it only once these are gone, and "
        "this manifest does not manage them: event tracker site-events, filter no-purchased. "
        f"{hint}\n"
        "Kept dataset_group.segment-workshop: the service deletes it only once these are "
        "gone, and this manifest does not manage them: event tracker site-events, filter "
        f"no-purchased. {hint}\n"
        "Kept schema segment-workshop-interactions: dataset group segment-workshop still "
        "uses it.\n"
    )
    destroyed = pc("destroy", "--auto-approve")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    lines = [line.strip() for line in destroyed.out.splitlines() if "will be deleted" in line]
    assert lines == [
        "- campaign.segment-workshop-campaign will be deleted: managed by this manifest",
        "- filter.tagged-filter will be deleted: managed by this manifest",
        "- solution.segment-workshop-solution will be deleted: managed by this manifest",
    ]
    assert "Plan: 0 to create, 0 to update, 0 to replace, 3 to delete.\n" + notes in destroyed.out
    assert "Destroy complete: 3 deleted." in destroyed.out
    assert [f["name"] for f in client.list_filters()["Filters"]] == ["no-purchased"]
    assert [t["name"] for t in client.list_event_trackers()["eventTrackers"]] == ["site-events"]
    assert [d["name"] for d in client.list_datasets()["datasets"]] == [
        "segment-workshop-interactions"
    ]
    again = pc("destroy", "--auto-approve")
    assert again.out == _nothing(again, workshop) + notes


def test_destroy_adopt_deletes_the_groups_filters_and_event_tracker_first(pc, workshop, state):
    assert pc("apply", "--auto-approve").code == 0
    client = local_client("personalize", state_dir=state)
    _filters_and_tracker_made_elsewhere(client)

    destroyed = pc("destroy", "--auto-approve", "--adopt")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    why = (
        "in dataset group segment-workshop, which this manifest manages and deletes; the "
        "group's {} and the group cannot be deleted while it exists"
    )
    lines = [line.strip() for line in destroyed.out.splitlines() if "will be deleted" in line]
    assert lines == [
        "- campaign.segment-workshop-campaign will be deleted: managed by this manifest",
        f"- filter.no-purchased will be deleted: {why.format('datasets')}",
        "- filter.tagged-filter will be deleted: managed by this manifest",
        "- event_tracker.site-events will be deleted: " + why.format("Interactions dataset"),
        "- solution.segment-workshop-solution will be deleted: managed by this manifest",
        "- dataset.Interactions (segment-workshop-interactions) will be deleted: managed by "
        "this manifest",
        "- schema.segment-workshop-interactions will be deleted: managed by this manifest",
        "- dataset_group.segment-workshop will be deleted: managed by this manifest",
    ]
    assert "Plan: 0 to create, 0 to update, 0 to replace, 8 to delete." in destroyed.out
    assert "Destroy complete: 8 deleted." in destroyed.out
    assert client.list_dataset_groups()["datasetGroups"] == []
    assert client.list_filters()["Filters"] == []
    assert client.list_event_trackers()["eventTrackers"] == []

    again = pc("destroy", "--auto-approve")
    assert again.out == _nothing(again, workshop)


def test_destroy_keeps_what_a_filter_it_does_not_manage_blocks(pc, workshop, state):
    client = _apply_in_someone_elses_group(pc, state)
    theirs = client.create_filter(
        name="theirs",
        datasetGroupArn=GROUP,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
    )["filterArn"]
    client.create_filter(
        name="ours",
        datasetGroupArn=GROUP,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("View")',
        tags=OWNED,
    )
    notes = (
        UNTAGGED_GROUP + "Kept dataset.Interactions: the service deletes it only once these are "
        "gone, and this manifest does not manage them: filter theirs. Delete them, or tag them "
        "preconcile:manifest=segment-workshop, and run destroy again.\n"
        "Kept schema segment-workshop-interactions: dataset group segment-workshop still "
        "uses it.\n"
    )
    destroyed = pc("destroy", "--auto-approve")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    lines = [line.strip() for line in destroyed.out.splitlines() if "will be deleted" in line]
    assert lines == [
        "- campaign.segment-workshop-campaign will be deleted: managed by this manifest",
        "- filter.ours will be deleted: managed by this manifest",
        "- solution.segment-workshop-solution will be deleted: managed by this manifest",
    ]
    assert "Plan: 0 to create, 0 to update, 0 to replace, 3 to delete.\n" + notes in destroyed.out
    assert "Destroy complete: 3 deleted." in destroyed.out
    assert [f["name"] for f in client.list_filters()["Filters"]] == ["theirs"]

    again = pc("destroy", "--auto-approve")
    assert again.out == _nothing(again, workshop) + notes

    client.delete_filter(filterArn=theirs)
    deadline = time.monotonic() + 60
    while client.list_filters()["Filters"]:  # the delete finishes on a worker
        assert time.monotonic() < deadline, "the filter is still there after 60 s"
        time.sleep(0.05)
    last = pc("destroy", "--auto-approve")
    assert last.code == 0, last.out + last.err
    assert "Destroy complete: 2 deleted." in last.out
    assert [g["name"] for g in client.list_dataset_groups()["datasetGroups"]] == [
        "segment-workshop"
    ]
    assert client.list_datasets()["datasets"] == []


def test_destroy_keeps_a_schema_another_dataset_group_uses(pc, workshop, state):
    dev, prod = stage_manifest(workshop, "dev"), stage_manifest(workshop, "prod")
    assert pc("apply", "--auto-approve", "--var", "stage=dev", manifest=dev).code == 0
    assert pc("apply", "--auto-approve", "--var", "stage=prod", manifest=prod).code == 0
    kept = "Kept schema segment-workshop-interactions: dataset group shop-prod still uses it.\n"

    destroyed = pc("destroy", "--auto-approve", "--var", "stage=dev", manifest=dev)
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert "schema.segment-workshop-interactions" not in destroyed.out
    assert "Plan: 0 to create, 0 to update, 0 to replace, 4 to delete.\n" + kept in destroyed.out
    assert "Destroy complete: 4 deleted." in destroyed.out

    again = pc("destroy", "--auto-approve", "--var", "stage=dev", manifest=dev)
    assert again.out == _nothing(again, dev, "segment-workshop-dev") + kept

    assert pc("plan", "--detailed-exitcode", "--var", "stage=prod", manifest=prod).code == 0
    last = pc("destroy", "--auto-approve", "--var", "stage=prod", manifest=prod)
    assert last.code == 0, last.out + last.err
    assert "- schema.segment-workshop-interactions will be deleted" in last.out
    assert "Destroy complete: 5 deleted." in last.out
    client = local_client("personalize", state_dir=state)
    assert client.list_schemas()["schemas"] == []


def test_an_event_tracker_it_does_not_manage_keeps_only_the_interactions_dataset(
    pc, workshop, state
):
    client = _apply_in_someone_elses_group(pc, state)
    client.create_event_tracker(name="site-events", datasetGroupArn=GROUP)
    destroyed = pc("destroy", "--auto-approve")
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert (
        "Plan: 0 to create, 0 to update, 0 to replace, 2 to delete.\n"
        + UNTAGGED_GROUP
        + "Kept dataset.Interactions: the service deletes it only once these are gone, and "
        "this manifest does not manage them: event tracker site-events. Delete them, or tag "
        "them preconcile:manifest=segment-workshop, and run destroy again.\n"
        "Kept schema segment-workshop-interactions: dataset group segment-workshop still "
        "uses it.\n"
    ) in destroyed.out
    assert "Destroy complete: 2 deleted." in destroyed.out
    assert [t["name"] for t in client.list_event_trackers()["eventTrackers"]] == ["site-events"]


@pytest.mark.slow
def test_destroy_waits_out_the_filter_delete_before_the_dataset(pc, workshop, state, tmp_path):
    assert pc("apply", "--auto-approve").code == 0
    client = local_client("personalize", state_dir=state)
    arn = client.create_filter(
        name="no-purchased",
        datasetGroupArn=GROUP,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
        tags=OWNED,
    )["filterArn"]
    # the filter's delete is held for HOLD seconds, then ended with local fast-forward
    env = dict(os.environ, PYTHONUNBUFFERED="1", PRECONCILE_LOCAL_DURATIONS=f"filter={HOLD}")
    proc, seen = _start_until(
        _cmd("destroy", workshop, state, "--auto-approve"), env, tmp_path, "started  filter."
    )
    _poll(
        lambda: client.describe_filter(filterArn=arn)["filter"]["status"] == "DELETE PENDING",
        "deleting the filter",
    )
    dataset = client.describe_dataset(datasetArn=P + "dataset/segment-workshop/INTERACTIONS")
    assert dataset["dataset"]["status"] == "ACTIVE"  # not asked to go while the filter exists
    _fast_forward(state, env, tmp_path, arn)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, "".join(seen) + out + err
    text = "".join(seen) + out
    assert text.index("done     filter.no-purchased") < text.index("started  dataset.Interactions")
    assert "Destroy complete: 6 deleted." in out
    assert client.list_dataset_groups()["datasetGroups"] == []
