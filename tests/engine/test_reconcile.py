"""The reconciler end to end on the local target, through the CLI.

Four runs (plan shows the creates, apply converges, plan is empty, apply is a no-op) and
the three kinds of change a user makes most: capacity (update in place), recipe (replace
with its campaign and retraining) and data (one import, one version, one campaign update).
"""

from __future__ import annotations

import csv

from edits import replaced
from engine_helpers import OLD_DATA, actions, apply_then_drop_a_campaign, four_runs, plan_json

from personalize_reconcile.backends.local import local_client
from personalize_reconcile.local import metering

SEVEN = {
    "dataset_group.segment-workshop": "create",
    "schema.segment-workshop-interactions": "create",
    "dataset.Interactions": "create",
    "import.segment-workshop-interactions": "create",
    "solution.segment-workshop-solution": "create",
    "solution_version.segment-workshop-solution": "create",
    "campaign.segment-workshop-campaign": "create",
}


def _changes(doc):
    return {a: x for a, x in actions(doc).items() if x != "no-op"}


def test_four_runs(pc, state, monkeypatch):
    doc = plan_json(pc)
    assert doc["format_version"] == "1.0"
    assert doc["target"] == "local"
    assert actions(doc) == SEVEN
    assert doc["summary"] == {"create": 7, "update": 0, "replace": 0, "delete": 0, "no-op": 0}

    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.err
    assert "Apply complete: 7 created, 0 updated, 0 replaced, 0 deleted." in applied.out

    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert again.out.startswith("No changes.")

    log = state.parent / "calls.log"
    monkeypatch.setenv("PRECONCILE_LOCAL_CALL_LOG", str(log))
    noop = pc("apply", "--auto-approve")
    assert noop.code == 0
    assert noop.out.startswith("No changes.")
    assert "Apply complete" not in noop.out
    calls = metering.read(log)
    assert calls, "the call log recorded nothing"
    writes = [c for c in calls if not c.split(".")[1].startswith(("Describe", "List", "Get"))]
    assert writes == []  # counted at the local target

    client = local_client("personalize", state_dir=state)
    campaign = client.describe_campaign(
        campaignArn="arn:aws:personalize:us-east-1:000000000000:campaign/segment-workshop-campaign"
    )["campaign"]
    assert campaign["status"] == "ACTIVE"
    tags = client.list_tags_for_resource(resourceArn=campaign["campaignArn"])["tags"]
    assert {"tagKey": "preconcile:manifest", "tagValue": "segment-workshop"} in tags


CUSTOM = "datasetGroup:\n  name: segment-workshop\n  domain: CUSTOM\n"


def test_custom_domain_is_a_group_without_domain_four_runs(pc, cli, workshop, state):
    plain = workshop.read_text()
    workshop.write_text(replaced(plain, "datasetGroup:\n  name: segment-workshop\n", CUSTOM))
    assert cli("validate", str(workshop)).code == 0
    four_runs(pc, 7)
    client = local_client("personalize", state_dir=state)
    group = client.describe_dataset_group(
        datasetGroupArn="arn:aws:personalize:us-east-1:000000000000:dataset-group/segment-workshop"
    )["datasetGroup"]
    assert "domain" not in group
    schema = client.describe_schema(
        schemaArn="arn:aws:personalize:us-east-1:000000000000:schema/segment-workshop-interactions"
    )["schema"]
    assert "domain" not in schema
    workshop.write_text(plain)  # no domain at all: the same group, so no change either way
    assert pc("plan", "--detailed-exitcode").code == 0


def test_detailed_exitcode_reports_changes(pc):
    result = pc("plan", "--detailed-exitcode")
    assert result.code == 2
    assert "Plan: 7 to create, 0 to update, 0 to replace, 0 to delete." in result.out


def test_min_provisioned_tps_is_one_update_in_place(pc, workshop):
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(
        replaced(workshop.read_text(), "minProvisionedTPS: 1", "minProvisionedTPS: 3")
    )
    doc = plan_json(pc)
    assert _changes(doc) == {"campaign.segment-workshop-campaign": "update"}
    change = next(c for c in doc["resource_changes"] if c["actions"] == ["update"])
    assert change["changes"] == [
        {"path": "minProvisionedTPS", "before": 1, "after": 3, "forces_replacement": False}
    ]
    assert change["reason"] == (
        "minProvisionedTPS changed outside preconcile, or in the manifest since the last "
        "apply: the live value differs from what the manifest says"
    )
    assert pc("apply", "--auto-approve").code == 0
    assert pc("plan", "--detailed-exitcode").code == 0


def test_recipe_change_makes_the_new_solution_first_and_moves_the_campaign(pc, workshop):
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(
        replaced(workshop.read_text(), "recipe: aws-user-personalization-v2", "recipe: aws-sims")
    )
    doc = plan_json(pc)
    assert _changes(doc) == {
        "solution.segment-workshop-solution": "replace",
        "solution_version.segment-workshop-solution": "create",
        "campaign.segment-workshop-campaign": "update",
    }
    solution = next(c for c in doc["resource_changes"] if c["type"] == "solution")
    assert solution["actions"] == ["create", "delete"]
    assert solution["replace_paths"] == ["recipeArn"]
    assert solution["name"] == "segment-workshop-solution-" + solution["name"][-8:]
    campaign = next(c for c in doc["resource_changes"] if c["type"] == "campaign")
    assert campaign["reason"] == (
        "moves to the new solution.segment-workshop-solution once its version is trained; "
        "it keeps serving the old one until then"
    )

    refused = pc("apply", "--auto-approve")
    assert refused.code == 1
    assert (
        "Error: refusing to apply: solution.segment-workshop-solution would be replaced "
        "(recipeArn cannot change in place; the new solution is created first, and "
        "segment-workshop-solution is deleted once everything using it has moved to the "
        "new one); its data or model would be lost. Run again with --allow-replace to allow "
        "this.\n"
    ) in refused.err
    assert _changes(plan_json(pc)) == _changes(doc)  # nothing was touched

    applied = pc("apply", "--auto-approve", "--allow-replace")
    assert applied.code == 0, applied.err
    assert "Apply complete: 1 created, 1 updated, 1 replaced, 0 deleted." in applied.out
    done = [line.split()[:3] for line in applied.out.splitlines() if " done " in line]
    assert done == [  # the new solution first, the old one last
        ["replace", "done", "solution.segment-workshop-solution"],
        ["create", "done", "solution_version.segment-workshop-solution"],
        ["update", "done", "campaign.segment-workshop-campaign"],
        ["delete", "done", "solution.segment-workshop-solution"],
    ]
    assert pc("plan", "--detailed-exitcode").code == 0
    noop = pc("apply", "--auto-approve")
    assert noop.code == 0, noop.err
    assert "No changes." in noop.out


def test_new_data_is_one_import_one_version_one_campaign_update(pc, workshop, state):
    assert pc("apply", "--auto-approve").code == 0
    data = workshop.parent / "data" / "interactions.csv"
    rows = list(csv.reader(data.open()))
    with data.open("a", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow(
            [rows[1][0], rows[2][1], "Order Completed", int(rows[-1][3]) + 60]
        )
    doc = plan_json(pc)
    assert _changes(doc) == {
        "import.segment-workshop-interactions": "create",
        "solution_version.segment-workshop-solution": "create",
        "campaign.segment-workshop-campaign": "update",
    }
    version = next(c for c in doc["resource_changes"] if c["type"] == "solution_version")
    assert version["reason"] == "the data changed since the latest version" + OLD_DATA.format(
        day="2019-05-12"
    )
    campaign = next(c for c in doc["resource_changes"] if c["type"] == "campaign")
    assert [c["path"] for c in campaign["changes"]] == ["solutionVersionArn"]
    assert campaign["changes"][0]["after"] == "(known after apply)"

    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.err
    assert "Apply complete: 2 created, 1 updated, 0 replaced, 0 deleted." in applied.out
    assert pc("plan", "--detailed-exitcode").code == 0

    client = local_client("personalize", state_dir=state)
    dataset = "arn:aws:personalize:us-east-1:000000000000:dataset/segment-workshop/INTERACTIONS"
    jobs = client.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]
    assert len(jobs) == 2
    solution = "arn:aws:personalize:us-east-1:000000000000:solution/segment-workshop-solution"
    versions = client.list_solution_versions(solutionArn=solution)["solutionVersions"]
    assert len(versions) == 2
    campaign_arn = "arn:aws:personalize:us-east-1:000000000000:campaign/segment-workshop-campaign"
    serving = client.describe_campaign(campaignArn=campaign_arn)["campaign"]["solutionVersionArn"]
    newest = max(versions, key=lambda v: v["creationDateTime"])["solutionVersionArn"]
    assert serving == newest


def test_removed_campaign_is_deleted_only_with_allow_delete(pc, workshop, state):
    apply_then_drop_a_campaign(pc, workshop)
    doc = plan_json(pc)
    assert _changes(doc) == {"campaign.second-campaign": "delete"}
    change = next(c for c in doc["resource_changes"] if c["actions"] == ["delete"])
    assert change["reason"] == "no longer in the manifest"
    refused = pc("apply", "--auto-approve")
    assert refused.code == 1
    assert (
        "Error: refusing to apply: campaign.second-campaign would be deleted. Run again with "
        "--allow-delete to allow this.\n"
    ) in refused.err
    applied = pc("apply", "--auto-approve", "--allow-delete")
    assert applied.code == 0, applied.err
    assert "Apply complete: 0 created, 0 updated, 0 replaced, 1 deleted." in applied.out
    assert pc("plan", "--detailed-exitcode").code == 0


def test_resources_without_the_ownership_tag_are_left_alone(pc, workshop, state):
    assert pc("apply", "--auto-approve").code == 0
    client = local_client("personalize", state_dir=state)
    solution = "arn:aws:personalize:us-east-1:000000000000:solution/segment-workshop-solution"
    version = client.describe_solution(solutionArn=solution)["solution"]["latestSolutionVersion"]
    client.create_campaign(name="hand-made", solutionVersionArn=version["solutionVersionArn"])
    assert pc("plan", "--detailed-exitcode").code == 0


def test_tags_update_in_place(pc, workshop, state):
    text = workshop.read_text()
    marker = "    performAutoTraining: false\n"
    workshop.write_text(replaced(text, marker, marker + "    tags: {team: ml}\n"))
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(replaced(text, marker, marker + "    tags: {team: data, cost: c1}\n"))
    doc = plan_json(pc)
    assert _changes(doc) == {"solution.segment-workshop-solution": "update"}
    change = next(c for c in doc["resource_changes"] if c["actions"] == ["update"])
    assert change["changes"] == [
        {"path": "tags.cost", "before": None, "after": "c1", "forces_replacement": False},
        {"path": "tags.team", "before": "ml", "after": "data", "forces_replacement": False},
    ]
    assert pc("apply", "--auto-approve").code == 0
    assert pc("plan", "--detailed-exitcode").code == 0
    client = local_client("personalize", state_dir=state)
    solution = "arn:aws:personalize:us-east-1:000000000000:solution/segment-workshop-solution"
    tags = {
        t["tagKey"]: t["tagValue"]
        for t in client.list_tags_for_resource(resourceArn=solution)["tags"]
    }
    assert tags == {"team": "data", "cost": "c1", "preconcile:manifest": "segment-workshop"}


def test_changing_a_resource_made_elsewhere_needs_adopt(pc, state):
    assert pc("apply", "--auto-approve").code == 0
    client = local_client("personalize", state_dir=state)
    campaign = "arn:aws:personalize:us-east-1:000000000000:campaign/segment-workshop-campaign"
    version = client.describe_campaign(campaignArn=campaign)["campaign"]["solutionVersionArn"]
    client.delete_campaign(campaignArn=campaign)
    _wait_gone(client, campaign)
    client.create_campaign(
        name="segment-workshop-campaign", solutionVersionArn=version, minProvisionedTPS=5
    )
    message = (
        "Error: refusing to change what this manifest does not own; nothing was changed:\n"
        f"  campaign.segment-workshop-campaign ({campaign}): it exists without the tag "
        "preconcile:manifest=segment-workshop; it differs from the manifest:\n"
        "    minProvisionedTPS: 5 -> 1\n"
        "  To go on, run apply with --adopt to change it in place and tag it, or rename it "
        "in the manifest.\n"
    )
    for args in (("plan",), ("plan", "--json"), ("apply", "--auto-approve")):
        refused = pc(*args)
        assert (refused.code, refused.out, refused.err) == (1, "", message)
    doc = plan_json(pc, "--adopt")
    change = next(c for c in doc["resource_changes"] if c["type"] == "campaign")
    assert change["actions"] == ["update"]
    assert change["requires_adopt"] is True
    assert change["reason"] == (
        "minProvisionedTPS changed outside preconcile, or in the manifest since the last "
        "apply: the live value differs from what the manifest says; it exists without the "
        "tag preconcile:manifest=segment-workshop, so changing it needs --adopt"
    )
    assert client.describe_campaign(campaignArn=campaign)["campaign"]["minProvisionedTPS"] == 5
    assert pc("apply", "--auto-approve", "--adopt").code == 0
    tags = client.list_tags_for_resource(resourceArn=campaign)["tags"]
    assert tags == [{"tagKey": "preconcile:manifest", "tagValue": "segment-workshop"}]
    assert pc("plan", "--detailed-exitcode").code == 0


def _wait_gone(client, arn):
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            client.describe_campaign(campaignArn=arn)
        except client.exceptions.ResourceNotFoundException:
            return
        time.sleep(0.02)
    raise AssertionError(f"{arn} still exists")


ITEMS = """\
  segment-workshop-items:
    definition:
      type: record
      name: Items
      namespace: com.amazonaws.personalize.schema
      fields:
        - {name: ITEM_ID, type: string}
        - {name: CATEGORY, type: string, categorical: true}
"""


def test_compatible_items_schema_change_is_update_dataset(pc, workshop, state):
    text = workshop.read_text()
    text = replaced(text, "schemas:\n", "schemas:\n" + ITEMS)
    text = replaced(
        text, "datasets:\n", "datasets:\n  Items:\n    schema: segment-workshop-items\n"
    )
    workshop.write_text(text)
    assert pc("apply", "--auto-approve").code == 0
    grown = replaced(
        text,
        "        - {name: CATEGORY, type: string, categorical: true}\n",
        "        - {name: CATEGORY, type: string, categorical: true}\n"
        "        - {name: PRICE, type: ['null', float]}\n",
    )
    workshop.write_text(grown)
    doc = plan_json(pc)
    assert _changes(doc) == {
        "schema.segment-workshop-items": "create",
        "dataset.Items": "update",
    }
    schema = next(
        c for c in doc["resource_changes"] if c["address"] == "schema.segment-workshop-items"
    )
    assert schema["name"].startswith("segment-workshop-items-") and len(schema["name"]) == 31
    assert schema["reason"] == (
        "the schema changed and only adds nullable fields: a new schema is created and the "
        "datasets that use it switch to it (UpdateDataset)"
    )
    dataset = next(c for c in doc["resource_changes"] if c["address"] == "dataset.Items")
    assert [c["path"] for c in dataset["changes"]] == ["schemaArn"]
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.err
    assert "Apply complete: 1 created, 1 updated, 0 replaced, 0 deleted." in applied.out
    assert pc("plan", "--detailed-exitcode").code == 0
    assert pc("apply", "--auto-approve").out.startswith("No changes.")
    client = local_client("personalize", state_dir=state)
    items = "arn:aws:personalize:us-east-1:000000000000:dataset/segment-workshop/ITEMS"
    assert client.describe_dataset(datasetArn=items)["dataset"]["schemaArn"].endswith(
        "/" + schema["name"]
    )

    grown_again = replaced(
        grown,
        "        - {name: PRICE, type: ['null', float]}\n",
        "        - {name: PRICE, type: ['null', float]}\n        - {name: SIZE, type: ['null', string]}\n",
    )
    workshop.write_text(grown_again)
    assert pc("apply", "--auto-approve").code == 0
    destroyed = pc("destroy", "--auto-approve")
    assert destroyed.code == 0, destroyed.err
    assert "Destroy complete: 9 deleted." in destroyed.out
    names = [x["name"] for x in client.list_schemas()["schemas"]]
    assert [n for n in names if n.startswith("segment-workshop")] == []
    assert pc("apply", "--auto-approve").code == 0

    shrunk = replaced(
        text,
        "        - {name: CATEGORY, type: string, categorical: true}\n",
        "        - {name: GENRE, type: string, categorical: true}\n",
    )
    workshop.write_text(shrunk)
    refused = pc("plan")
    assert refused.code == 1
    assert (
        "  schema segment-workshop-items: field CATEGORY: removed; an Items schema may only "
        "gain nullable fields, every existing field unchanged\n"
    ) in refused.err


def test_auto_training_is_update_solution(pc, workshop):
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "    performAutoTraining: false\n",
            "    performAutoTraining: true\n    autoTrainingConfig: {schedulingExpression: rate(3 days)}\n",
        )
    )
    doc = plan_json(pc)
    assert _changes(doc) == {"solution.segment-workshop-solution": "update"}
    change = next(c for c in doc["resource_changes"] if c["actions"] == ["update"])
    assert change["changes"] == [
        {
            "path": "autoTrainingConfig",
            "before": None,
            "after": {"schedulingExpression": "rate(3 days)"},
            "forces_replacement": False,
        },
        {
            "path": "performAutoTraining",
            "before": False,
            "after": True,
            "forces_replacement": False,
        },
    ]
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.err
    assert "Apply complete: 0 created, 1 updated, 0 replaced, 0 deleted." in applied.out
    assert pc("plan", "--detailed-exitcode").code == 0


def _milliseconds_at_line_6(text: str) -> tuple[str, str]:
    """The data with line 6's TIMESTAMP in epoch milliseconds, and that TIMESTAMP."""
    lines = text.splitlines(keepends=True)
    user, item, event, ts = lines[5].rstrip("\n").split(",")
    lines[5] = f"{user},{item},{event},{ts}000\n"
    return "".join(lines), ts


def test_bad_data_to_upload_is_refused_by_plan_with_the_row_and_column(pc, workshop, state):
    data = workshop.parent / "data" / "interactions.csv"
    good = data.read_text()
    bad, ts = _milliseconds_at_line_6(good)
    data.write_text(bad)
    refused = (
        "Error: the data to import would fail its import; nothing was changed:\n"
        "  import.segment-workshop-interactions: Input CSV data/interactions.csv, line 6, "
        f"column TIMESTAMP: {ts}000 looks like epoch milliseconds"
    )
    for command in (("plan",), ("apply", "--auto-approve")):
        result = pc(*command)
        assert (result.code, result.out) == (1, "")
        assert result.err.startswith(refused)
        assert result.err.endswith("\n  Fix the file (uploadFrom) and plan again.\n")
    assert (
        not (state / "state.db").exists()
        or local_client("personalize", state_dir=state).list_dataset_groups()["datasetGroups"] == []
    )
    data.write_text(good)
    fixed = pc("apply", "--auto-approve")
    assert fixed.code == 0, fixed.err
    assert "Apply complete: 7 created, 0 updated, 0 replaced, 0 deleted." in fixed.out


def test_bad_data_in_s3_fails_its_import_with_the_row_and_column_then_converges(
    pc, workshop, state
):
    """Data already at dataLocation (no uploadFrom) is read by the import job alone."""
    workshop.write_text(replaced(workshop.read_text(), "        uploadFrom: ${data}", "       "))
    good = (workshop.parent / "data" / "interactions.csv").read_text()
    stored = state / "s3" / "personalize-data-000000000000" / "transformed" / "interactions.csv"
    stored.parent.mkdir(parents=True)
    bad, ts = _milliseconds_at_line_6(good)
    stored.write_text(bad)
    failed = pc("apply", "--auto-approve")
    assert failed.code == 1
    reason = (
        "Input CSV s3://personalize-data-000000000000/transformed/interactions.csv, line 6, "
        f"column TIMESTAMP: {ts}000 looks like epoch milliseconds"
    )
    assert f"  import.segment-workshop-interactions: {reason}" in failed.err
    assert (
        "Apply failed: 4 created, 0 updated, 0 replaced, 0 deleted; 1 failed, 2 not started."
        in failed.err
    )
    stored.write_text(good)
    fixed = pc("apply", "--auto-approve")
    assert fixed.code == 0, fixed.err
    assert "Apply complete: 3 created, 0 updated, 0 replaced, 0 deleted." in fixed.out
    assert pc("plan", "--detailed-exitcode").code == 0


def test_new_data_location_is_imported_again(pc, workshop):
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(replaced(workshop.read_text(), "/transformed/", "/v2/"))
    doc = plan_json(pc)
    assert _changes(doc) == {
        "import.segment-workshop-interactions": "create",
        "solution_version.segment-workshop-solution": "create",
        "campaign.segment-workshop-campaign": "update",
    }


def test_names_taken_in_another_dataset_group_are_a_clear_error(pc, workshop):
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "datasetGroup:\n  name: segment-workshop\n",
            "datasetGroup:\n  name: segment-workshop-2\n",
        )
    )
    result = pc("plan")
    assert result.code == 1
    assert result.err == (
        "Error: solution.segment-workshop-solution: the name segment-workshop-solution is "
        "already used by a solution in dataset group segment-workshop. Names are unique per "
        "account and region: rename these in the manifest, or destroy the resources that "
        "hold the names first.\n"
    )


def test_removing_settings_from_the_manifest_is_a_change(pc, workshop):
    text = workshop.read_text()
    marker = "    performAutoTraining: false\n"
    workshop.write_text(
        replaced(
            replaced(
                text,
                marker,
                marker + "    solutionConfig:\n      algorithmHyperParameters:\n"
                '        hidden_dimension: "16"\n',
            ),
            "    minProvisionedTPS: 1\n",
            "    minProvisionedTPS: 1\n    campaignConfig:\n"
            "      enableMetadataWithRecommendations: false\n      rankingInfluence: "
            "{POPULARITY: 0.5}\n",
        )
    )
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(text)
    doc = plan_json(pc)
    assert _changes(doc) == {
        "solution.segment-workshop-solution": "replace",
        "solution_version.segment-workshop-solution": "create",
        "campaign.segment-workshop-campaign": "update",
    }
    solution = next(c for c in doc["resource_changes"] if c["type"] == "solution")
    assert solution["changes"] == [
        {
            "path": "solutionConfig",
            "before": {"algorithmHyperParameters": {"hidden_dimension": "16"}},
            "after": None,
            "forces_replacement": True,
        }
    ]
    campaign = next(c for c in doc["resource_changes"] if c["type"] == "campaign")
    assert {
        "path": "campaignConfig",
        "before": {"rankingInfluence": {"POPULARITY": 0.5}},
        "after": None,
        "forces_replacement": False,
    } in campaign["changes"]


def test_dropping_upload_from_keeps_the_same_import(pc, workshop):
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "        uploadFrom: ${data}          # uploaded first, only when its content differs\n",
            "",
        )
    )
    assert pc("plan", "--detailed-exitcode").code == 0


def test_a_small_items_import_is_accepted(pc, workshop, state):
    items = workshop.parent / "data" / "items.csv"
    items.write_text("ITEM_ID,CATEGORY\n" + "".join(f"item-{i},c{i % 3}\n" for i in range(40)))
    text = replaced(workshop.read_text(), "schemas:\n", "schemas:\n" + ITEMS)
    text = replaced(
        text,
        "datasets:\n",
        "datasets:\n  Items:\n    schema: segment-workshop-items\n    imports:\n"
        "      - name: items\n        dataLocation: s3://${bucket}/items.csv\n"
        "        uploadFrom: data/items.csv\n",
    )
    workshop.write_text(text)
    result = pc("apply", "--auto-approve")
    assert result.code == 0, result.err
    assert "Apply complete: 10 created, 0 updated, 0 replaced, 0 deleted." in result.out
