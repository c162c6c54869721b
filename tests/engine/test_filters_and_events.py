"""Filters, the event tracker and Users/Items datasets, end to end on the local target.

A manifest with Users, Items and Interactions datasets (each with an import), two filters
and an event tracker (``tests/kinds_files.py``) converges in four runs; apply and
``preconcile output`` show the tracking ID; a changed filter expression replaces the
filter, saying what that means for the campaign's callers; a compatible Users schema
change is a new schema and an UpdateDataset; a filter taken out of the manifest is
deleted and a renamed event tracker replaced; destroy deletes filters and the tracker
before the datasets (reference §3), and a second destroy changes nothing.
"""

from __future__ import annotations

import json

from edits import replaced
from engine_helpers import actions, four_runs, plan_json
from kinds_files import FILTER_CATEGORY, FILTER_PURCHASED, write_kinds

from personalize_reconcile.backends.local import local_client

ARN = "arn:aws:personalize:us-east-1:000000000000:"
GROUP = ARN + "dataset-group/kinds-shop"
TRACKER = "event_tracker.kinds-shop-events"
CATEGORY_PRICE = "INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY) AND Items.PRICE > 20"
REPLACE_REASON = (
    "filterExpression cannot change in place; the service has no UpdateFilter, so the "
    "filter is deleted and created again with the same name and ARN; until the new one is "
    "ACTIVE, GetRecommendations and GetPersonalizedRanking requests to campaign "
    "kinds-shop-campaign that pass its filterArn fail"
)


def _client(state):
    return local_client("personalize", state_dir=state)


def _tracking_id(state) -> str:
    client = _client(state)
    (tracker,) = client.list_event_trackers(datasetGroupArn=GROUP)["eventTrackers"]
    return client.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])[
        "eventTracker"
    ]["trackingId"]


def _filters(state) -> dict[str, str]:
    client = _client(state)
    out = {}
    for summary in client.list_filters(datasetGroupArn=GROUP)["Filters"]:
        described = client.describe_filter(filterArn=summary["filterArn"])["filter"]
        out[described["name"]] = described["filterExpression"]
    return out


def test_users_items_interactions_filters_and_tracker_converge_in_four_runs(pc, workshop, state):
    kinds = write_kinds(workshop)
    doc = plan_json(pc, manifest=kinds)
    assert actions(doc) == {
        "dataset_group.kinds-shop": "create",
        "schema.kinds-shop-interactions": "create",
        "schema.kinds-shop-users": "create",
        "schema.kinds-shop-items": "create",
        "dataset.Interactions": "create",
        "import.kinds-shop-interactions": "create",
        "dataset.Users": "create",
        "import.kinds-shop-users": "create",
        "dataset.Items": "create",
        "import.kinds-shop-items": "create",
        "solution.kinds-shop-solution": "create",
        "solution_version.kinds-shop-solution": "create",
        "campaign.kinds-shop-campaign": "create",
        "filter.kinds-shop-not-purchased": "create",
        "filter.kinds-shop-category": "create",
        TRACKER: "create",
    }
    applied = pc("apply", "--auto-approve", manifest=kinds)
    assert applied.code == 0, applied.out + applied.err
    tracking_id = _tracking_id(state)
    assert (
        f"{TRACKER} tracking ID: {tracking_id} (send events with it; preconcile output shows "
        "it again)\n\nApply complete: 16 created, 0 updated, 0 replaced, 0 deleted.\n"
    ) in applied.out
    assert _filters(state) == {
        "kinds-shop-not-purchased": FILTER_PURCHASED,
        "kinds-shop-category": FILTER_CATEGORY,
    }
    tags = _client(state).list_tags_for_resource(resourceArn=ARN + "filter/kinds-shop-category")
    assert sorted((t["tagKey"], t["tagValue"]) for t in tags["tags"]) == [
        ("preconcile:manifest", "kinds-shop"),
        ("team", "web"),
    ]
    again = pc("plan", "--detailed-exitcode", manifest=kinds)
    assert (again.code, again.out) == (
        0,
        f"No changes. The live resources match {kinds} (local, us-east-1).\n",
    )
    noop = pc("apply", "--auto-approve", manifest=kinds)
    assert noop.code == 0, noop.err
    assert noop.out.startswith("No changes.") and "tracking ID" not in noop.out


def test_output_shows_the_tracking_id(pc, workshop, state):
    kinds = write_kinds(workshop)
    assert pc("apply", "--auto-approve", manifest=kinds).code == 0
    tracking_id = _tracking_id(state)
    table = pc("output", manifest=kinds)
    assert table.code == 0, table.err
    lines = {line.split()[0]: line.split()[1:] for line in table.out.splitlines()}
    assert lines[f"{TRACKER}.trackingId"] == [tracking_id]
    assert lines[TRACKER][0] == "ACTIVE"
    assert lines["filter.kinds-shop-category"] == ["ACTIVE", ARN + "filter/kinds-shop-category"]
    doc = json.loads(pc("output", "--json", manifest=kinds).out)
    assert doc["resources"][TRACKER]["trackingId"] == tracking_id
    assert doc["resources"][TRACKER]["type"] == "event_tracker"


def test_a_changed_filter_expression_replaces_the_filter(pc, workshop, state):
    kinds = write_kinds(workshop)
    assert pc("apply", "--auto-approve", manifest=kinds).code == 0
    kinds.write_text(
        replaced(
            kinds.read_text(), f"expression: {FILTER_CATEGORY}\n", f"expression: {CATEGORY_PRICE}\n"
        )
    )
    doc = plan_json(pc, manifest=kinds)
    changed = [c for c in doc["resource_changes"] if c["actions"] != ["no-op"]]
    assert changed == [
        {
            "address": "filter.kinds-shop-category",
            "type": "filter",
            "name": "kinds-shop-category",
            "actions": ["delete", "create"],
            "reason": REPLACE_REASON,
            "changes": [
                {
                    "path": "filterExpression",
                    "before": FILTER_CATEGORY,
                    "after": CATEGORY_PRICE,
                    "forces_replacement": True,
                }
            ],
            "replace_paths": ["filterExpression"],
            "requires_adopt": False,
            "adopting": False,
        }
    ]
    human = pc("plan", manifest=kinds)
    assert f"  -/+ filter.kinds-shop-category will be replaced: {REPLACE_REASON}\n" in human.out
    applied = pc("apply", "--auto-approve", manifest=kinds)
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 0 created, 0 updated, 1 replaced, 0 deleted.\n" in applied.out
    assert _filters(state)["kinds-shop-category"] == CATEGORY_PRICE
    # and the four runs again, from the changed manifest
    kinds.write_text(
        replaced(
            kinds.read_text(), f"expression: {CATEGORY_PRICE}\n", f"expression: {FILTER_CATEGORY}\n"
        )
    )
    doc = plan_json(pc, manifest=kinds)
    assert doc["summary"]["replace"] == 1
    applied = pc("apply", "--auto-approve", manifest=kinds)
    assert "Apply complete: 0 created, 0 updated, 1 replaced, 0 deleted.\n" in applied.out
    assert pc("plan", "--detailed-exitcode", manifest=kinds).code == 0
    assert pc("apply", "--auto-approve", manifest=kinds).out.startswith("No changes.")


def test_a_filter_without_campaigns_says_only_that_requests_fail(pc, workshop, state):
    kinds = write_kinds(workshop)
    text = replaced(
        kinds.read_text(),
        "campaigns:\n  kinds-shop-campaign:\n    solution: kinds-shop-solution\n",
        "",
    )
    kinds.write_text(text)
    four_runs(pc, 15, kinds)
    kinds.write_text(
        replaced(text, f"expression: {FILTER_CATEGORY}\n", f"expression: {CATEGORY_PRICE}\n")
    )
    doc = plan_json(pc, manifest=kinds)
    (change,) = [c for c in doc["resource_changes"] if c["actions"] != ["no-op"]]
    assert change["reason"] == (
        "filterExpression cannot change in place; the service has no UpdateFilter, so the "
        "filter is deleted and created again with the same name and ARN; until the new one "
        "is ACTIVE, GetRecommendations and GetPersonalizedRanking requests that pass its "
        "filterArn fail"
    )


def test_compatible_users_schema_change_is_a_new_schema_and_update_dataset(pc, workshop, state):
    kinds = write_kinds(workshop)
    assert pc("apply", "--auto-approve", manifest=kinds).code == 0
    avsc = workshop.parent / "schemas" / "users.avsc"
    avsc.write_text(
        replaced(
            avsc.read_text(),
            '"categorical": true}\n',
            '"categorical": true},\n    {"name": "AGE", "type": ["null", "int"]}\n',
        )
    )
    doc = plan_json(pc, manifest=kinds)
    changed = {a: x for a, x in actions(doc).items() if x != "no-op"}
    assert changed == {"schema.kinds-shop-users": "create", "dataset.Users": "update"}
    (schema,) = [c for c in doc["resource_changes"] if c["address"] == "schema.kinds-shop-users"]
    assert schema["reason"] == (
        "the schema changed and only adds nullable fields: a new schema is created and the "
        "datasets that use it switch to it (UpdateDataset)"
    )
    applied = pc("apply", "--auto-approve", manifest=kinds)
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 1 created, 1 updated, 0 replaced, 0 deleted.\n" in applied.out
    dataset = _client(state).describe_dataset(datasetArn=ARN + "dataset/kinds-shop/USERS")
    assert dataset["dataset"]["schemaArn"] == ARN + f"schema/{schema['name']}"
    assert pc("plan", "--detailed-exitcode", manifest=kinds).code == 0
    assert pc("apply", "--auto-approve", manifest=kinds).out.startswith("No changes.")


def test_new_items_data_is_imported_once_and_trains_a_new_version(pc, workshop, state):
    kinds = write_kinds(workshop)
    assert pc("apply", "--auto-approve", manifest=kinds).code == 0
    items = workshop.parent / "data" / "items.csv"
    items.write_text(items.read_text().replace(",shirts,", ",tops,"))
    doc = plan_json(pc, manifest=kinds)
    changed = {a: x for a, x in actions(doc).items() if x != "no-op"}
    assert changed == {
        "import.kinds-shop-items": "create",
        "solution_version.kinds-shop-solution": "create",
        "campaign.kinds-shop-campaign": "update",
    }
    applied = pc("apply", "--auto-approve", manifest=kinds)
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 2 created, 1 updated, 0 replaced, 0 deleted.\n" in applied.out
    assert pc("plan", "--detailed-exitcode", manifest=kinds).code == 0


def test_a_dropped_filter_is_deleted_and_a_renamed_tracker_replaced(pc, workshop, state):
    kinds = write_kinds(workshop)
    assert pc("apply", "--auto-approve", manifest=kinds).code == 0
    old_id = _tracking_id(state)
    text = replaced(
        kinds.read_text(),
        f"  kinds-shop-not-purchased:\n    expression: '{FILTER_PURCHASED}'\n",
        "",
    )
    kinds.write_text(replaced(text, "  name: kinds-shop-events\n", "  name: kinds-shop-live\n"))
    planned = pc("plan", manifest=kinds)
    assert planned.code == 0, planned.err
    assert (
        "  -/+ event_tracker.kinds-shop-live will be replaced: name cannot change in place; "
        "the new event tracker gets a new tracking ID: PutEvents calls with the old one fail "
        "once it is deleted (preconcile output shows the new one)\n"
        '      ~ name: "kinds-shop-events" -> "kinds-shop-live" # forces replacement\n'
        "    - filter.kinds-shop-not-purchased will be deleted: no longer in the manifest\n"
    ) in planned.out
    refused = pc("apply", "--auto-approve", manifest=kinds)
    assert refused.code == 1
    assert refused.err == (
        "Error: refusing to apply: filter.kinds-shop-not-purchased would be deleted. Run "
        "again with --allow-delete to allow this.\n"
    )
    applied = pc("apply", "--auto-approve", "--allow-delete", manifest=kinds)
    assert applied.code == 0, applied.out + applied.err
    new_id = _tracking_id(state)
    assert new_id != old_id
    assert f"event_tracker.kinds-shop-live tracking ID: {new_id} (send" in applied.out
    assert "Apply complete: 0 created, 0 updated, 1 replaced, 1 deleted.\n" in applied.out
    assert list(_filters(state)) == ["kinds-shop-category"]
    assert pc("plan", "--detailed-exitcode", manifest=kinds).code == 0


def test_destroy_deletes_filters_and_tracker_before_the_datasets(pc, workshop, state):
    kinds = write_kinds(workshop)
    assert pc("apply", "--auto-approve", manifest=kinds).code == 0
    destroyed = pc("destroy", "--auto-approve", manifest=kinds)
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert (
        "    - campaign.kinds-shop-campaign will be deleted: managed by this manifest\n"
        "    - filter.kinds-shop-category will be deleted: managed by this manifest\n"
        "    - filter.kinds-shop-not-purchased will be deleted: managed by this manifest\n"
        "    - event_tracker.kinds-shop-events will be deleted: managed by this manifest\n"
        "    - solution.kinds-shop-solution will be deleted: managed by this manifest\n"
    ) in destroyed.out
    lines = destroyed.out.splitlines()
    done = [
        i
        for i, x in enumerate(lines)
        if x.startswith("delete  done") and ("filter." in x or "event_tracker." in x)
    ]
    first_dataset = min(i for i, x in enumerate(lines) if x.startswith("delete  started  dataset."))
    assert len(done) == 3 and max(done) < first_dataset
    assert "Destroy complete: 12 deleted.\n" in destroyed.out
    client = _client(state)
    assert client.list_filters()["Filters"] == []
    assert client.list_event_trackers()["eventTrackers"] == []
    again = pc("destroy", "--auto-approve", manifest=kinds)
    assert (again.code, again.out) == (
        0,
        f"Nothing to destroy: no resource of {kinds} (tagged preconcile:manifest=kinds-shop) "
        "exists on the local target (us-east-1).\n",
    )


def test_filters_not_tagged_by_the_manifest(pc, workshop, state):
    """A declared filter without the ownership tag is adopted when equal and refused when
    different; an undeclared one is left alone by apply."""
    kinds = write_kinds(workshop)
    assert pc("apply", "--auto-approve", manifest=kinds).code == 0
    client = _client(state)
    arn = ARN + "filter/kinds-shop-category"
    client.untag_resource(resourceArn=arn, tagKeys=["preconcile:manifest"])
    client.create_filter(
        name="theirs",
        datasetGroupArn=GROUP,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Product Added")',
    )
    used = plan_json(pc, manifest=kinds)  # equal: used as it is until --adopt
    assert [c["address"] for c in used["resource_changes"] if c["actions"] != ["no-op"]] == []
    doc = plan_json(pc, "--adopt", manifest=kinds)
    changed = [c for c in doc["resource_changes"] if c["actions"] != ["no-op"]]
    assert [(c["address"], c["actions"], c["adopting"], c["reason"]) for c in changed] == [
        (
            "filter.kinds-shop-category",
            ["update"],
            True,
            "it exists without the tag preconcile:manifest=kinds-shop and equals the "
            "manifest; apply adopts it (tags it)",
        )
    ]
    text = kinds.read_text()
    kinds.write_text(
        replaced(text, f"expression: {FILTER_CATEGORY}\n", f"expression: {CATEGORY_PRICE}\n")
    )
    refused = pc("plan", manifest=kinds)
    assert (refused.code, refused.out) == (1, "")
    assert refused.err == (
        "Error: refusing to change what this manifest does not own; nothing was changed:\n"
        f"  filter.kinds-shop-category ({arn}): it exists without the tag "
        "preconcile:manifest=kinds-shop; it differs from the manifest:\n"
        f'    filterExpression: "{FILTER_CATEGORY}" -> "{CATEGORY_PRICE}"\n'
        "  To go on, run apply with --adopt --allow-replace to replace it, or rename it in the "
        "manifest.\n"
    )
    kinds.write_text(text)
    applied = pc("apply", "--auto-approve", "--adopt", manifest=kinds)
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 0 created, 1 updated, 0 replaced, 0 deleted, 1 adopted.\n" in (
        applied.out
    )
    assert pc("plan", "--detailed-exitcode", manifest=kinds).code == 0
    assert sorted(_filters(state)) == ["kinds-shop-category", "kinds-shop-not-purchased", "theirs"]
