"""Batch inference jobs on the local target: content-addressed runs named by the
fingerprint of their input data, solution version and configuration; run when one of
those changed, never twice for the same inputs, a failed run retried under the next name;
left by destroy, which says so."""

from __future__ import annotations

import json
import re

import pytest
from edits import replaced
from engine_helpers import four_runs, plan_json

BUCKET = "personalize-data-000000000000"
ADDRESS = "batch_inference_job.nightly-recs"
JOB = """
batchInferenceJobs:
  nightly-recs:
    solution: segment-workshop-solution
    jobInput: s3://${bucket}/batch/users.jsonl
    uploadFrom: data/batch-users.jsonl
    jobOutput: s3://${bucket}/batch/out/
    numResults: 5
    roleArn: ${role}
"""
USERS = ["6876409312", "3920018245", "nobody"]


@pytest.fixture
def batch(workshop):
    (workshop.parent / "data" / "batch-users.jsonl").write_text(
        "".join(json.dumps({"userId": u}) + "\n" for u in USERS)
    )
    workshop.write_text(workshop.read_text() + JOB)
    return workshop


def _change(pc) -> dict:
    doc = plan_json(pc)
    return next(c for c in doc["resource_changes"] if c["address"] == ADDRESS)


def _apply(pc, *args: str) -> str:
    result = pc("apply", "--auto-approve", *args)
    assert result.code == 0, result.out + result.err
    return result.out


def _runs(state) -> list[str]:
    from personalize_reconcile.backends.local import local_client

    client = local_client("personalize", state_dir=state)
    jobs = client.list_batch_inference_jobs()["batchInferenceJobs"]
    return sorted(j["jobName"] for j in jobs)


def test_four_runs_and_the_output(pc, batch, state):
    doc = four_runs(pc, 8)
    change = next(c for c in doc["resource_changes"] if c["address"] == ADDRESS)
    assert change["actions"] == ["create"]
    assert change["name"] == "(known after apply)"
    assert change["reason"] == "a new solution version: it runs once apply has trained it"
    [name] = _runs(state)
    assert re.fullmatch("nightly-recs-[0-9a-f]{8}", name)
    lines = (state / "s3" / BUCKET / "batch" / "out" / "users.jsonl.out").read_text().splitlines()
    assert [json.loads(line)["input"]["userId"] for line in lines] == USERS
    assert all(len(json.loads(line)["output"]["recommendedItems"]) == 5 for line in lines)


def test_a_changed_configuration_runs_again_and_going_back_does_not(pc, batch, state):
    _apply(pc)
    [first] = _runs(state)
    batch.write_text(replaced(batch.read_text(), "numResults: 5", "numResults: 7"))
    change = _change(pc)
    assert change["actions"] == ["create"]
    assert change["reason"] == "its configuration changed (numResults)"
    assert change["name"] != first
    _apply(pc)
    assert len(_runs(state)) == 2
    batch.write_text(replaced(batch.read_text(), "numResults: 7", "numResults: 5"))
    change = _change(pc)
    assert change["actions"] == ["no-op"]
    assert change["name"] == first


def test_changed_input_data_runs_again(pc, batch, state):
    _apply(pc)
    with (batch.parent / "data" / "batch-users.jsonl").open("a") as f:
        f.write('{"userId": "someone-else"}\n')
    change = _change(pc)
    assert change["actions"] == ["create"]
    assert change["reason"] == "the input data changed"
    _apply(pc)
    assert len(_runs(state)) == 2


def test_a_failed_run_is_retried_under_the_next_name(pc, batch, state):
    # an object where the output folder should be: the job cannot write its output
    blocker = state / "s3" / BUCKET / "batch" / "out"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    failed = pc("apply", "--auto-approve")
    assert failed.code == 1
    out_uri = f"s3://{BUCKET}/batch/out/users.jsonl.out"
    reason = (
        f"Output to {out_uri} cannot be written: Cannot store {out_uri}: a parent folder of "
        "this key is already an object in the local object store"
    )
    assert f"  {ADDRESS}: {reason}\n" in failed.err
    [first] = _runs(state)
    blocker.unlink()
    change = _change(pc)
    assert change["actions"] == ["create"]
    assert change["reason"] == f"the last run of these inputs failed: {reason}; trying again"
    assert change["name"] != first
    _apply(pc)
    assert sorted(_runs(state)) == sorted([first, change["name"]])
    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out
    assert again.out.startswith("No changes.")


def test_destroy_leaves_the_batch_jobs_and_says_so(pc, batch, state):
    _apply(pc)
    [name] = _runs(state)
    result = pc("destroy", "--auto-approve")
    assert result.code == 0, result.out + result.err
    assert (
        f"Kept {ADDRESS}: the service cannot delete batch jobs; its run {name} and its "
        f"output at s3://{BUCKET}/batch/out/ stay.\n" in result.out
    )
    assert "Destroy complete: 5 deleted." in result.out


def test_a_batch_segment_job_runs_once_its_segmentation_version_is_trained(pc, workshop, state):
    (workshop.parent / "data" / "batch-items.jsonl").write_text(
        '{"itemId": "green-cotton-shirt"}\n{"itemId": "x"}\n'
    )
    text = replaced(
        workshop.read_text(),
        "solutions:\n",
        "solutions:\n  affinity:\n    recipe: aws-item-affinity\n",
    )
    workshop.write_text(
        text + "\nbatchSegmentJobs:\n  segments:\n    solution: affinity\n"
        "    jobInput: s3://${bucket}/batch/items.jsonl\n"
        "    uploadFrom: data/batch-items.jsonl\n"
        "    jobOutput: s3://${bucket}/batch/segments/\n    numResults: 5\n    roleArn: ${role}\n"
    )
    doc = plan_json(pc)
    change = next(
        c for c in doc["resource_changes"] if c["address"] == "batch_segment_job.segments"
    )
    assert change["actions"] == ["create"]
    assert change["reason"] == "a new solution version: it runs once apply has trained it"
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    out = state / "s3" / BUCKET / "batch" / "segments" / "items.jsonl.out"
    first, second = [json.loads(x) for x in out.read_text().splitlines()]
    assert first["input"] == {"itemId": "green-cotton-shirt"} and first["error"] is None
    assert len(first["output"]["usersList"]) == 5
    assert second == {
        "input": {"itemId": "x"},
        "output": None,
        "error": "line 2: item 'x' was not in the data this solution version trained on",
    }
    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def test_a_saved_plan_is_stale_once_the_input_file_changed(pc, cli, batch, state, tmp_path):
    saved = tmp_path / "batch.plan"
    made = pc("plan", "--out", str(saved))
    assert made.code == 0, made.err
    with (batch.parent / "data" / "batch-users.jsonl").open("a") as f:
        f.write('{"userId": "someone-else"}\n')
    applied = cli("apply", str(saved), "--state-dir", str(state), cwd=batch.parent)
    assert applied.code == 1
    assert applied.err == (
        f"Error: the saved plan {saved} is stale: the file "
        f"{batch.parent / 'data' / 'batch-users.jsonl'} that the manifest reads changed since "
        "the plan was made; run plan again.\n"
    )


def test_a_replaced_dataset_runs_the_batch_job_again_in_the_same_apply(pc, batch, state):
    """Renaming the dataset replaces it, its imports and the versions trained on it; the
    first plan already has the batch job run on the new version, and the next plan none."""
    _apply(pc)
    batch.write_text(
        replaced(
            batch.read_text(),
            "  Interactions:\n    schema:",
            "  Interactions:\n    name: interactions-v2\n    schema:",
        )
    )
    change = _change(pc)
    assert (change["actions"], change["reason"]) == (
        ["create"],
        "a new solution version: it runs once apply has trained it",
    )
    _apply(pc, "--allow-replace")
    assert pc("plan", "--detailed-exitcode").code == 0
    assert len(_runs(state)) == 2
