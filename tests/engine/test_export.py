"""``preconcile export`` (issue 14): a manifest for a dataset group that exists, through
the CLI on the local target. The group is made by applying the workshop, then stripped of
preconcile's ownership tags through boto3, as if it had been made by hand: the exported
manifest validates, plans "No changes", and ``apply --adopt`` tags what it declares."""

from __future__ import annotations

import json
import time

from edits import replaced

from personalize_reconcile.backends.local import local_client

P = "arn:aws:personalize:us-east-1:000000000000:"
OWNED = {"tagKey": "preconcile:manifest", "tagValue": "segment-workshop"}
IMPORT_LINE = (
    "import job {job} (ACTIVE) of dataset Interactions: its data stays in the dataset; "
    "declare an import under the dataset to import again"
)
EXPECTED = """\
# Written by `preconcile export --dataset-group segment-workshop` from the local target (us-east-1).
# `preconcile plan` of this file against the same account shows no changes;
# `preconcile apply --adopt` tags what it declares as this manifest's.
#
# Not declared here (runs the service keeps, or what a manifest cannot declare;
# plan and apply leave them alone):
#   - {import_line}

version: 1
name: segment-workshop
datasetGroup:
  name: segment-workshop
schemas:
  segment-workshop-interactions:
    file: segment-workshop-interactions.avsc
datasets:
  Interactions:
    schema: segment-workshop-interactions
solutions:
  segment-workshop-solution:
    recipe: aws-user-personalization-v2
    performAutoTraining: false
    training:
      retrain: ifMissing
campaigns:
  segment-workshop-campaign:
    solution: segment-workshop-solution
    minProvisionedTPS: 2
    tags:
      team: data
"""


def _made_by_hand(pc, workshop, state):
    """Apply the workshop (campaign at 2 TPS, tagged team=data), then remove preconcile's
    ownership tag from everything; returns the boto3 client and the ARNs."""
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "    minProvisionedTPS: 1",
            "    minProvisionedTPS: 2\n    tags: {team: data}",
        )
    )
    assert pc("apply", "--auto-approve").code == 0
    client = local_client("personalize", state_dir=state)
    group = P + "dataset-group/segment-workshop"
    solution = P + "solution/segment-workshop-solution"
    arns = [
        group,
        P + "dataset/segment-workshop/INTERACTIONS",
        solution,
        P + "campaign/segment-workshop-campaign",
    ]
    arns += [
        v["solutionVersionArn"]
        for v in client.list_solution_versions(solutionArn=solution)["solutionVersions"]
    ]
    jobs = client.list_dataset_import_jobs(datasetArn=arns[1])["datasetImportJobs"]
    arns += [j["datasetImportJobArn"] for j in jobs]
    for arn in arns:
        client.untag_resource(resourceArn=arn, tagKeys=["preconcile:manifest"])
    return client, arns, jobs[0]["jobName"]


def test_export_plans_no_changes_and_apply_adopt_tags_it(cli, pc, workshop, state, tmp_path):
    client, arns, job = _made_by_hand(pc, workshop, state)
    target = tmp_path / "adopted" / "shop.yaml"
    exported = cli(
        "export",
        "--dataset-group",
        "segment-workshop",
        "-o",
        str(target),
        "--state-dir",
        str(state),
    )
    assert exported.code == 0, exported.err
    assert exported.out == (
        f"Wrote {target} (dataset group segment-workshop: 1 schema, 1 dataset, 1 solution, "
        f"1 campaign). Next: preconcile plan {target}, then preconcile apply {target} --adopt "
        "to tag it all as the manifest's.\n"
    )
    assert exported.err == f"Not declared: {IMPORT_LINE.format(job=job)}.\n"
    assert target.read_text() == EXPECTED.format(import_line=IMPORT_LINE.format(job=job))
    schema = json.loads((target.parent / "segment-workshop-interactions.avsc").read_text())
    original = json.loads((workshop.parent / "schemas" / "interactions.avsc").read_text())
    assert schema == original

    valid = cli("validate", str(target))
    assert valid.code == 0, valid.err
    note = (
        "\nNote: 4 resources exist without the tag preconcile:manifest=segment-workshop and "
        "equal the manifest; they are used as they are, and apply --adopt tags them.\n"
    )
    planned = cli("plan", str(target), "--state-dir", str(state), "--detailed-exitcode")
    assert (planned.code, planned.err) == (0, "")
    assert planned.out == (
        f"No changes. The live resources match {target} (local, us-east-1).\n" + note
    )
    adopted = cli("apply", str(target), "--state-dir", str(state), "--auto-approve", "--adopt")
    assert adopted.code == 0, adopted.out + adopted.err
    assert "Apply complete: 0 created, 4 updated, 0 replaced, 0 deleted, 5 adopted." in adopted.out
    for arn in arns[:4]:
        assert OWNED in client.list_tags_for_resource(resourceArn=arn)["tags"], arn
    again = cli("plan", str(target), "--state-dir", str(state), "--detailed-exitcode")
    assert (again.code, again.err) == (0, "")
    assert again.out == f"No changes. The live resources match {target} (local, us-east-1).\n"


def test_export_of_a_managed_group_takes_the_manifest_name_from_its_tag(cli, pc, state, tmp_path):
    assert pc("apply", "--auto-approve").code == 0
    target = tmp_path / "again.yaml"
    args = ("--dataset-group", "segment-workshop", "-o", str(target), "--state-dir", str(state))
    assert cli("export", *args).code == 0
    assert "\nname: segment-workshop\n" in target.read_text()
    planned = cli("plan", str(target), "--state-dir", str(state), "--detailed-exitcode")
    assert (planned.code, planned.err) == (0, "")
    assert planned.out == f"No changes. The live resources match {target} (local, us-east-1).\n"


def test_export_refuses_to_overwrite_without_force(cli, pc, state, tmp_path):
    assert pc("apply", "--auto-approve").code == 0
    target = tmp_path / "shop.yaml"
    target.write_text("keep me\n")
    args = ("--dataset-group", "segment-workshop", "-o", str(target), "--state-dir", str(state))
    refused = cli("export", *args)
    assert (refused.code, refused.out) == (1, "")
    assert refused.err == (
        f"Error: {target} already exists; nothing was written. Choose another file with -o, "
        "or pass --force to overwrite.\n"
    )
    assert target.read_text() == "keep me\n"
    assert not (tmp_path / "segment-workshop-interactions.avsc").exists()
    forced = cli("export", *args, "--force")
    assert forced.code == 0, forced.err
    assert target.read_text().startswith("# Written by `preconcile export")


def test_export_of_a_group_that_does_not_exist(cli, pc, state, tmp_path):
    assert pc("apply", "--auto-approve").code == 0
    args = ("--dataset-group", "shop", "-o", str(tmp_path / "x.yaml"), "--state-dir", str(state))
    refused = cli("export", *args)
    assert (refused.code, refused.out) == (1, "")
    assert refused.err == (
        "Error: no dataset group named shop exists on the local target (us-east-1); the "
        "dataset groups there: segment-workshop\n"
    )
    assert not (tmp_path / "x.yaml").exists()


def test_export_of_a_group_made_through_boto3_declares_what_it_has(cli, workshop, state, tmp_path):
    client = local_client("personalize", state_dir=state)
    group = client.create_dataset_group(name="shop", tags=[{"tagKey": "env", "tagValue": "dev"}])[
        "datasetGroupArn"
    ]
    _settle(client.describe_dataset_group, datasetGroupArn=group)
    schema = (workshop.parent / "schemas" / "interactions.avsc").read_text()
    schema_arn = client.create_schema(name="shop-interactions", schema=schema)["schemaArn"]
    client.create_dataset(
        name="shop-events",
        datasetGroupArn=group,
        datasetType="INTERACTIONS",
        schemaArn=schema_arn,
    )
    client.create_event_tracker(name="site-events", datasetGroupArn=group)
    solution = client.create_solution(
        name="shop-solution",
        datasetGroupArn=group,
        recipeArn="arn:aws:personalize:::recipe/aws-sims",
        performAutoTraining=False,
    )["solutionArn"]
    _settle(client.describe_solution, solutionArn=solution)
    target = tmp_path / "shop.yaml"
    exported = cli(
        "export", "--dataset-group", "shop", "-o", str(target), "--state-dir", str(state)
    )
    assert exported.code == 0, exported.err
    assert exported.err == (
        "Warning: solution shop-solution has no ACTIVE version trained by hand yet, so apply "
        "trains one.\n"
    )
    text = target.read_text()
    assert text.endswith(
        "\nversion: 1\n"
        "name: shop\n"
        "datasetGroup:\n  name: shop\n  tags:\n    env: dev\n"
        "schemas:\n  shop-interactions:\n    file: shop-interactions.avsc\n"
        "datasets:\n  Interactions:\n    name: shop-events\n    schema: shop-interactions\n"
        "solutions:\n  shop-solution:\n    recipe: aws-sims\n    performAutoTraining: false\n"
        "    training:\n      retrain: ifMissing\n"
        "eventTracker:\n  name: site-events\n"
    )
    assert (
        "# The first plan will still change:\n"
        "#   - solution shop-solution has no ACTIVE version trained by hand yet, so apply "
        "trains one\n"
    ) in text
    assert cli("validate", str(target)).code == 0
    doc = json.loads(cli("plan", str(target), "--json", "--state-dir", str(state)).out)
    changed = {c["address"]: c["actions"] for c in doc["resource_changes"]}
    assert changed == {
        "dataset_group.shop": ["no-op"],
        "schema.shop-interactions": ["no-op"],
        "dataset.Interactions": ["no-op"],
        "solution.shop-solution": ["no-op"],
        "solution_version.shop-solution": ["create"],
        "event_tracker.site-events": ["no-op"],
    }


def _settle(describe, **arg):
    """Wait until the resource ``describe(**arg)`` reads is ACTIVE (local settles in ms)."""
    key = next(iter(arg)).removesuffix("Arn")  # datasetGroupArn -> datasetGroup
    deadline = time.monotonic() + 60
    while describe(**arg)[key]["status"] != "ACTIVE":
        assert time.monotonic() < deadline, f"{arg} is not ACTIVE after 60 s"
        time.sleep(0.02)


def test_the_retail_example_exported_plans_no_changes(cli, repo_root, tmp_path):
    """Filters, the event tracker and the batch job's group: every kind a manifest declares
    is exported; the batch job, a run the service keeps, is named as not declared."""
    import shutil

    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    state = str(tmp_path / "st")
    applied = cli("apply", "examples/retail.yaml", "--auto-approve", "--state-dir", state,
                  cwd=tmp_path)  # fmt: skip
    assert applied.code == 0, applied.out + applied.err
    exported = cli("export", "--dataset-group", "retail", "-o", "out/retail.yaml",
                   "--state-dir", state, cwd=tmp_path)  # fmt: skip
    assert exported.code == 0, exported.err
    assert exported.out.startswith(
        "Wrote out/retail.yaml (dataset group retail: 3 schemas, 3 datasets, 2 solutions, "
        "2 campaigns, 2 filters, 1 event tracker)."
    )
    assert "Not declared: batch inference job retail-nightly-" in exported.err
    planned = cli("plan", "out/retail.yaml", "--detailed-exitcode", "--state-dir", state,
                  cwd=tmp_path)  # fmt: skip
    assert (planned.code, planned.out) == (
        0,
        "No changes. The live resources match out/retail.yaml (local, us-east-1).\n",
    )
