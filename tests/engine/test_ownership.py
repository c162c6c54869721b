"""Never change or delete what the manifest does not own (issue 11), through the CLI on the
local target, with leftovers made through boto3 without the ownership tag.

A resource under a manifest's name that is not the manifest's (no ownership tag; for a
schema, which takes no tags, no dataset with the tag uses it) is used as it is when it
equals the manifest (plan notes how many, and ``apply --adopt`` tags them); a schema is
simply adopted (used). When it differs, plan and apply refuse,
naming it, its ARN and the differing fields, and write nothing; ``--adopt`` (and, to
replace it, ``--allow-replace``) lets plan show and apply make the change.
"""

from __future__ import annotations

import json
import time

from edits import replaced
from engine_helpers import actions, apply_then_drop_a_campaign, plan_json, stage_manifest

from personalize_reconcile.backends.local import local_client

P = "arn:aws:personalize:us-east-1:000000000000:"
GROUP = P + "dataset-group/segment-workshop"
SCHEMA = P + "schema/segment-workshop-interactions"
SOLUTION = P + "solution/segment-workshop-solution"
OWNED = [{"tagKey": "preconcile:manifest", "tagValue": "segment-workshop"}]
SCHEMA_FOREIGN = (
    "it exists, but no dataset tagged preconcile:manifest=segment-workshop uses it (schemas "
    "carry no tags)"
)
UNTAGGED = "it exists without the tag preconcile:manifest=segment-workshop"
REFUSED = "Error: refusing to change what this manifest does not own; nothing was changed:\n"
REPLACE_HINT = (
    "  To go on, run apply with --adopt --allow-replace to replace it, or rename it in the "
    "manifest.\n"
)


def _client(state):
    return local_client("personalize", state_dir=state)


def _document(workshop) -> dict:
    return json.loads((workshop.parent / "schemas" / "interactions.avsc").read_text())


def _active_group(client, **args) -> str:
    arn = client.create_dataset_group(name="segment-workshop", **args)["datasetGroupArn"]
    deadline = time.monotonic() + 60
    while client.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] != (
        "ACTIVE"
    ):
        assert time.monotonic() < deadline, "the dataset group is not ACTIVE after 60 s"
        time.sleep(0.02)
    return arn


def _account(client) -> dict:
    """What exists, by kind: names (and, for schemas, ARN and creation time)."""
    return {
        "groups": sorted(g["name"] for g in client.list_dataset_groups()["datasetGroups"]),
        "schemas": sorted(
            (s["schemaArn"], s["creationDateTime"]) for s in client.list_schemas()["schemas"]
        ),
        "datasets": sorted(d["name"] for d in client.list_datasets()["datasets"]),
        "solutions": sorted(s["name"] for s in client.list_solutions()["solutions"]),
    }


def _change(doc: dict, address: str) -> dict:
    return next(c for c in doc["resource_changes"] if c["address"] == address)


def _no_changes_twice(pc) -> None:
    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert again.out.startswith("No changes.")
    noop = pc("apply", "--auto-approve")
    assert noop.code == 0, noop.err
    assert noop.out.startswith("No changes.")


def test_equal_leftover_schema_is_adopted_four_runs(pc, workshop, state):
    client = _client(state)
    client.create_schema(
        name="segment-workshop-interactions", schema=json.dumps(_document(workshop))
    )
    before = _account(client)["schemas"]
    reason = f"{SCHEMA_FOREIGN}; it equals the manifest, so apply adopts it (uses it)"

    doc = plan_json(pc)
    schema = _change(doc, "schema.segment-workshop-interactions")
    assert (schema["actions"], schema["reason"]) == (["no-op"], reason)
    assert (schema["adopting"], schema["requires_adopt"]) == (True, False)
    assert doc["summary"] == {"create": 6, "update": 0, "replace": 0, "delete": 0, "no-op": 1}
    shown = pc("plan")
    assert f"  = schema.segment-workshop-interactions will be adopted: {reason}\n" in shown.out
    assert "Plan: 6 to create, 0 to update, 0 to replace, 0 to delete, 1 to adopt.\n" in shown.out

    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 6 created, 0 updated, 0 replaced, 0 deleted, 1 adopted." in applied.out
    _no_changes_twice(pc)
    assert _account(client)["schemas"] == before  # used, not made again
    dataset = client.describe_dataset(datasetArn=P + "dataset/segment-workshop/INTERACTIONS")
    assert dataset["dataset"]["schemaArn"] == SCHEMA


def _differing_schema(workshop, state):
    """A leftover schema under the manifest's name without EVENT_TYPE; returns the client
    and the refusal message."""
    client = _client(state)
    other = _document(workshop)
    other["fields"] = [f for f in other["fields"] if f["name"] != "EVENT_TYPE"]
    client.create_schema(name="segment-workshop-interactions", schema=json.dumps(other))
    message = (
        REFUSED + f"  schema.segment-workshop-interactions ({SCHEMA}): {SCHEMA_FOREIGN}; it "
        "differs from the manifest:\n"
        '    schema.fields.2.name: "TIMESTAMP" -> "EVENT_TYPE"\n'
        '    schema.fields.2.type: "long" -> "string"\n'
        '    schema.fields.3: null -> {"name": "TIMESTAMP", "type": "long"}\n' + REPLACE_HINT
    )
    return client, message


def test_differing_leftover_schema_is_refused_then_replaced_with_adopt_and_allow_replace(
    pc, workshop, state
):
    client, message = _differing_schema(workshop, state)
    before = _account(client)
    for args in (
        ("plan",),
        ("plan", "--json"),
        ("plan", "--adopt"),
        ("plan", "--allow-replace"),
        ("apply", "--auto-approve"),
        ("apply", "--auto-approve", "--adopt"),
        ("apply", "--auto-approve", "--allow-replace"),
    ):
        refused = pc(*args)
        assert (refused.code, refused.out, refused.err) == (1, "", message), args
    assert _account(client) == before  # nothing created, nothing deleted

    doc = plan_json(pc, "--adopt", "--allow-replace")
    schema = _change(doc, "schema.segment-workshop-interactions")
    assert schema["actions"] == ["delete", "create"]
    assert (schema["requires_adopt"], schema["adopting"]) == (True, False)
    assert schema["reason"] == (
        f"schema cannot change in place; {SCHEMA_FOREIGN}, so replacing it needs --adopt and "
        "--allow-replace"
    )
    assert _account(client) == before

    applied = pc("apply", "--auto-approve", "--adopt", "--allow-replace")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 6 created, 0 updated, 1 replaced, 0 deleted." in applied.out
    body = client.describe_schema(schemaArn=SCHEMA)["schema"]["schema"]
    assert json.loads(body) == _document(workshop)
    _no_changes_twice(pc)


def test_saved_plan_made_with_the_flags_is_refused_without_them(pc, cli, workshop, state, tmp_path):
    client, message = _differing_schema(workshop, state)
    before = _account(client)
    path = tmp_path / "adopt.plan"
    saved = pc("plan", "--adopt", "--allow-replace", "--out", str(path))
    assert saved.code == 0, saved.err
    for flags in ((), ("--adopt",), ("--allow-replace",)):
        refused = cli("apply", str(path), *flags)
        assert (refused.code, refused.out, refused.err) == (1, "", message), flags
    assert _account(client) == before
    applied = cli("apply", str(path), "--adopt", "--allow-replace")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 6 created, 0 updated, 1 replaced, 0 deleted." in applied.out
    _no_changes_twice(pc)


def test_equal_untagged_group_and_solution_are_used_as_they_are_and_tagged_with_adopt(pc, state):
    client = _client(state)
    group = _active_group(client)
    client.create_solution(
        name="segment-workshop-solution",
        datasetGroupArn=group,
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization-v2",
        performAutoTraining=False,
    )
    note = (
        "\nNote: 2 resources exist without the tag preconcile:manifest=segment-workshop and "
        "equal the manifest; they are used as they are, and apply --adopt tags them.\n"
    )
    doc = plan_json(pc)
    for address in ("dataset_group.segment-workshop", "solution.segment-workshop-solution"):
        change = _change(doc, address)
        assert change["actions"] == ["no-op"], address
        assert change["reason"] == f"{UNTAGGED} and equals the manifest; used as it is"
        assert (change["adopting"], change["requires_adopt"]) == (False, False)
    shown = pc("plan")
    assert "Plan: 5 to create, 0 to update, 0 to replace, 0 to delete.\n" in shown.out
    assert shown.out.endswith(note)

    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 5 created, 0 updated, 0 replaced, 0 deleted." in applied.out
    for arn in (group, SOLUTION):  # used, not tagged
        assert client.list_tags_for_resource(resourceArn=arn)["tags"] == []
    again = pc("plan", "--detailed-exitcode")
    assert (again.code, again.err) == (0, "")
    assert again.out.startswith("No changes.")
    assert again.out.endswith(note)

    doc = plan_json(pc, "--adopt")
    for address in ("dataset_group.segment-workshop", "solution.segment-workshop-solution"):
        change = _change(doc, address)
        assert change["actions"] == ["update"], address
        assert change["reason"] == f"{UNTAGGED} and equals the manifest; apply adopts it (tags it)"
        assert change["changes"] == [
            {
                "path": "tags.preconcile:manifest",
                "before": None,
                "after": "segment-workshop",
                "forces_replacement": False,
            }
        ]
        assert (change["adopting"], change["requires_adopt"]) == (True, False)
    adopted = pc("apply", "--auto-approve", "--adopt")
    assert adopted.code == 0, adopted.out + adopted.err
    assert "Apply complete: 0 created, 2 updated, 0 replaced, 0 deleted, 2 adopted." in adopted.out
    for arn in (group, SOLUTION):
        assert client.list_tags_for_resource(resourceArn=arn)["tags"] == OWNED
    _no_changes_twice(pc)
    assert "Note:" not in pc("plan").out


def test_differing_untagged_group_is_refused_then_replaced_with_both_flags(pc, state):
    client = _client(state)
    _active_group(client, domain="ECOMMERCE")
    before = _account(client)
    message = (
        REFUSED + f"  dataset_group.segment-workshop ({GROUP}): {UNTAGGED}; it differs from "
        "the manifest:\n"
        '    domain: "ECOMMERCE" -> null\n' + REPLACE_HINT
    )
    for args in (("plan",), ("plan", "--adopt"), ("apply", "--auto-approve", "--adopt")):
        refused = pc(*args)
        assert (refused.code, refused.out, refused.err) == (1, "", message), args
    assert _account(client) == before
    applied = pc("apply", "--auto-approve", "--adopt", "--allow-replace")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 6 created, 0 updated, 1 replaced, 0 deleted." in applied.out
    assert "domain" not in client.describe_dataset_group(datasetGroupArn=GROUP)["datasetGroup"]
    assert client.list_tags_for_resource(resourceArn=GROUP)["tags"] == OWNED
    _no_changes_twice(pc)


def test_a_group_of_another_manifest_is_not_taken_over_without_adopt(pc, state):
    client = _client(state)
    _active_group(client, tags=[{"tagKey": "preconcile:manifest", "tagValue": "other"}])
    refused = pc("plan")
    assert (refused.code, refused.out, refused.err) == (
        1,
        "",
        REFUSED + f"  dataset_group.segment-workshop ({GROUP}): it carries the tag "
        "preconcile:manifest=other of another manifest; it differs from the manifest:\n"
        '    tags.preconcile:manifest: "other" -> "segment-workshop"\n'
        "  To go on, run apply with --adopt to change it in place and tag it, or rename it in "
        "the manifest.\n",
    )
    group = _change(plan_json(pc, "--adopt"), "dataset_group.segment-workshop")
    assert (group["actions"], group["requires_adopt"]) == (["update"], True)
    assert pc("apply", "--auto-approve", "--adopt").code == 0
    assert client.list_tags_for_resource(resourceArn=GROUP)["tags"] == OWNED


def test_destroy_names_a_group_it_keeps_because_another_manifest_or_nobody_owns_it(
    pc, cli, workshop, state
):
    assert pc("apply", "--auto-approve").code == 0
    renamed = workshop.with_name("renamed.yaml")
    renamed.write_text(
        replaced(workshop.read_text(), "\nname: segment-workshop\n", "\nname: renamed-workshop\n")
    )
    kept_schema = (
        "Kept schema segment-workshop-interactions: dataset group segment-workshop still uses it.\n"
    )
    nothing = (
        f"Nothing to destroy: no resource of {renamed} (tagged "
        "preconcile:manifest=renamed-workshop) exists on the local target (us-east-1).\n"
    )

    def destroyed() -> str:
        result = pc("destroy", "--auto-approve", manifest=renamed)
        assert (result.code, result.err) == (0, "")
        assert result.out.startswith(nothing) and result.out.endswith(kept_schema)
        return result.out[len(nothing) : -len(kept_schema)]

    assert destroyed() == (
        "Kept dataset_group.segment-workshop: it carries the tag "
        "preconcile:manifest=segment-workshop of another manifest (this manifest's name is "
        "renamed-workshop), and destroy deletes only what carries this manifest's tag. To "
        "delete it, run destroy with the manifest named segment-workshop, or set "
        "`name: segment-workshop` in this one.\n"
    )
    client = _client(state)
    client.untag_resource(resourceArn=GROUP, tagKeys=["preconcile:manifest"])
    assert destroyed() == (
        "Kept dataset_group.segment-workshop: it exists without the tag "
        "preconcile:manifest=renamed-workshop, so nothing shows it is this manifest's, and "
        "destroy deletes only what carries the tag. If it is this manifest's, tag it with "
        "apply --adopt, then run destroy again.\n"
    )
    assert _account(client)["groups"] == ["segment-workshop"]
    assert sorted(_account(client)["solutions"]) == ["segment-workshop-solution"]


def test_an_untagged_solution_in_the_group_is_never_deleted_as_undeclared(pc, workshop, state):
    apply_then_drop_a_campaign(pc, workshop)  # the dropped one is ours: deleted
    client = _client(state)
    client.create_solution(
        name="someone-elses",
        datasetGroupArn=GROUP,
        recipeArn="arn:aws:personalize:::recipe/aws-popularity-count",
    )
    doc = plan_json(pc)
    assert {a: x for a, x in actions(doc).items() if x != "no-op"} == {
        "campaign.second-campaign": "delete"
    }
    assert pc("apply", "--auto-approve", "--allow-delete").code == 0
    _no_changes_twice(pc)
    assert "someone-elses" in _account(client)["solutions"]


def test_destroy_keeps_a_declared_schema_no_dataset_of_the_manifest_uses(pc, workshop, state):
    client = _client(state)
    client.create_schema(
        name="segment-workshop-interactions", schema=json.dumps(_document(workshop))
    )
    kept = (
        "Kept schema segment-workshop-interactions: no dataset tagged "
        "preconcile:manifest=segment-workshop uses it, and schemas carry no tags, so it may "
        f"not be this manifest's. If it is, delete it ({SCHEMA}), or run destroy with --adopt.\n"
    )
    destroyed = pc("destroy", "--auto-approve")
    assert (destroyed.code, destroyed.err) == (0, "")
    assert destroyed.out == (
        f"Nothing to destroy: no resource of {workshop} (tagged "
        "preconcile:manifest=segment-workshop) exists on the local target (us-east-1).\n" + kept
    )
    assert [s["name"] for s in client.list_schemas()["schemas"]] == [
        "segment-workshop-interactions"
    ]
    adopted = pc("destroy", "--auto-approve", "--adopt")
    assert adopted.code == 0, adopted.out + adopted.err
    assert (
        "- schema.segment-workshop-interactions will be deleted: no dataset tagged "
        "preconcile:manifest=segment-workshop uses it; deleted because of --adopt\n"
    ) in adopted.out
    assert "Destroy complete: 1 deleted." in adopted.out
    assert client.list_schemas()["schemas"] == []


def test_a_schema_another_group_uses_is_never_replaced(pc, workshop, state):
    dev, prod = stage_manifest(workshop, "dev"), stage_manifest(workshop, "prod")
    assert pc("apply", "--auto-approve", "--var", "stage=dev", manifest=dev).code == 0
    other = _document(workshop)
    other["fields"] = [f for f in other["fields"] if f["name"] != "EVENT_TYPE"]
    (workshop.parent / "schemas" / "prod.avsc").write_text(json.dumps(other))
    prod.write_text(replaced(prod.read_text(), "schemas/interactions.avsc", "schemas/prod.avsc"))
    client = _client(state)
    before = _account(client)
    message = (
        REFUSED + f"  schema.segment-workshop-interactions ({SCHEMA}): it exists, but no "
        "dataset tagged preconcile:manifest=segment-workshop-prod uses it (schemas carry no "
        "tags); it differs from the manifest:\n"
        '    schema.fields.2.name: "EVENT_TYPE" -> "TIMESTAMP"\n'
        '    schema.fields.2.type: "string" -> "long"\n'
        '    schema.fields.3: {"name": "TIMESTAMP", "type": "long"} -> null\n'
        "  To go on, rename it in the manifest: dataset group shop-dev uses it, and the "
        "service deletes no schema a dataset uses.\n"
    )
    for args in (
        ("plan",),
        ("plan", "--adopt", "--allow-replace"),
        ("apply", "--auto-approve", "--adopt", "--allow-replace"),
    ):
        refused = pc(*args, "--var", "stage=prod", manifest=prod)
        assert (refused.code, refused.out, refused.err) == (1, "", message), args
    assert _account(client) == before


def test_a_plan_saved_with_adopt_tags_only_when_applied_with_adopt(pc, cli, state, tmp_path):
    client = _client(state)
    group = _active_group(client)
    path = tmp_path / "adopt.plan"
    assert pc("plan", "--adopt", "--out", str(path)).code == 0
    refused = cli("apply", str(path))
    assert (refused.code, refused.out) == (1, "")
    assert refused.err == (
        f"Error: the saved plan {path} tags resources this manifest does not own (it was "
        "made with plan --adopt): dataset_group.segment-workshop; nothing was changed. Apply "
        f"it with --adopt: preconcile apply {path} --adopt\n"
    )
    assert client.list_tags_for_resource(resourceArn=group)["tags"] == []
    applied = cli("apply", str(path), "--adopt")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 6 created, 1 updated, 0 replaced, 0 deleted, 1 adopted." in applied.out
    assert client.list_tags_for_resource(resourceArn=group)["tags"] == OWNED
