"""Saved plans through the CLI: ``plan FILE --out PLAN`` writes one, ``apply PLAN`` applies
exactly it and refuses it, saying what moved, when the manifest, a file it reads or the
live state changed since (Terraform's stale plan)."""

from __future__ import annotations

import json
import stat

import pytest
from edits import replaced
from engine_helpers import apply_then_drop_a_campaign

from personalize_reconcile import __version__
from personalize_reconcile.backends.local import local_client
from personalize_reconcile.local import metering

CAMPAIGN = "arn:aws:personalize:us-east-1:000000000000:campaign/segment-workshop-campaign"
STALE = "Error: the saved plan {plan} is stale: {what}; run plan again.\n"


@pytest.fixture
def saved(pc, tmp_path):
    """``saved(*args, name="plan.out") -> Path``: run ``plan -o`` and return the file."""

    def make(*args, name="plan.out"):
        path = tmp_path / name
        result = pc("plan", "-o", str(path), *args)
        assert result.code in (0, 2), result.err
        return path

    return make


def test_plan_out_then_apply_plan_four_runs(pc, cli, saved, tmp_path, monkeypatch):
    path = tmp_path / "first.plan"
    first = pc("plan", "--out", str(path), "--detailed-exitcode")
    assert first.code == 2, first.err
    assert "Plan: 7 to create, 0 to update, 0 to replace, 0 to delete." in first.out
    assert first.out.endswith(
        f"\nSaved the plan to {path}. To apply exactly this plan: preconcile apply {path}\n"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["preconcile_plan"] == 1
    assert doc["plan"]["summary"]["create"] == 7

    applied = cli("apply", str(path))  # no --auto-approve: a saved plan is not asked about
    assert applied.code == 0, applied.err
    assert "Apply complete: 7 created, 0 updated, 0 replaced, 0 deleted." in applied.out

    empty = tmp_path / "empty.plan"
    again = pc("plan", f"-out={empty}", "--detailed-exitcode")  # Terraform's spelling
    assert again.code == 0, again.out + again.err
    assert again.out.startswith("No changes.")

    log = tmp_path / "calls.log"
    monkeypatch.setenv("PRECONCILE_LOCAL_CALL_LOG", str(log))
    noop = cli("apply", str(empty))
    assert noop.code == 0, noop.err
    assert noop.out.startswith("No changes.")
    assert "Apply complete" not in noop.out
    writes = [c for c in metering.read(log) if not c.split(".")[1].startswith(("Describe", "List"))]
    assert writes == []


def test_applied_plan_is_stale_when_applied_again(cli, saved):
    path = saved()
    assert cli("apply", str(path)).code == 0
    again = cli("apply", str(path))
    assert again.code == 1
    moved = "; ".join(
        f"{address} exists now (ACTIVE)"
        for address in (
            "dataset_group.segment-workshop",
            "schema.segment-workshop-interactions",
            "dataset.Interactions",
            "import.segment-workshop-interactions",
            "solution.segment-workshop-solution",
            "solution_version.segment-workshop-solution",
            "campaign.segment-workshop-campaign",
        )
    )
    what = f"the live state changed since the plan was made: {moved}"
    assert again.err == STALE.format(plan=path, what=what)
    assert again.out == ""


def test_stale_when_the_manifest_changed(pc, cli, workshop, tmp_path):
    path = tmp_path / "plan.json"
    made = pc("plan", "--json", "--out", str(path))
    assert made.code == 0, made.err
    assert json.loads(made.out)["summary"]["create"] == 7  # stdout stays one JSON document
    assert f"Saved the plan to {path}." in made.err
    text = workshop.read_text()
    line = 1 + next(i for i, t in enumerate(text.splitlines()) if "minProvisionedTPS: 1" in t)
    workshop.write_text(replaced(text, "minProvisionedTPS: 1", "minProvisionedTPS: 3"))
    refused = cli("apply", str(path))
    assert refused.code == 1
    what = (
        f"the manifest {workshop} changed since the plan was made "
        f"(line {line}: `minProvisionedTPS: 1` is now `minProvisionedTPS: 3`)"
    )
    assert refused.err == STALE.format(plan=path, what=what)


def test_stale_when_a_file_the_manifest_reads_changed(cli, saved, workshop):
    path = saved()
    data = workshop.parent / "data" / "interactions.csv"
    data.write_text(data.read_text() + data.read_text().splitlines()[-1] + "\n")
    refused = cli("apply", str(path))
    assert refused.code == 1
    what = f"the file {data} that the manifest reads changed since the plan was made"
    assert refused.err == STALE.format(plan=path, what=what)


def test_stale_when_the_live_state_changed(pc, cli, saved, state):
    assert pc("apply", "--auto-approve").code == 0
    path = saved()
    client = local_client("personalize", state_dir=state)
    client.update_campaign(campaignArn=CAMPAIGN, minProvisionedTPS=3)
    refused = cli("apply", str(path))
    assert refused.code == 1
    what = (
        "the live state changed since the plan was made: "
        "campaign.segment-workshop-campaign minProvisionedTPS 1 -> 3"
    )
    assert refused.err == STALE.format(plan=path, what=what)


def test_saved_plan_is_gated_by_the_flags_given_to_apply(pc, cli, saved, workshop):
    apply_then_drop_a_campaign(pc, workshop)
    path = saved()
    refused = cli("apply", str(path))
    assert refused.code == 1
    assert refused.err == (
        "Error: refusing to apply: campaign.second-campaign would be deleted. Run again with "
        "--allow-delete to allow this.\n"
    )
    applied = cli("apply", str(path), "--allow-delete")  # refusing moved nothing
    assert applied.code == 0, applied.err
    assert "Apply complete: 0 created, 0 updated, 0 replaced, 1 deleted." in applied.out


def _future(path):
    doc = json.loads(path.read_text())
    doc["preconcile_plan"] = 2
    path.write_text(json.dumps(doc))


NOT_PLANS = {
    "garbage": (
        lambda path: path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff"),
        "{plan} is neither a manifest nor a saved plan: it is not UTF-8 text (byte 0); give a "
        "manifest (YAML) or a plan file saved by `preconcile plan MANIFEST --out PLAN`.",
    ),
    "damaged": (
        lambda path: path.write_text("".join(path.read_text().splitlines(True)[:2])),
        "{plan} is a damaged saved plan (Expecting property name enclosed in double quotes: "
        "line 3 column 1 (char 26)); save it again with `preconcile plan MANIFEST --out PLAN`.",
    ),
    "future format version": (
        _future,
        f"{{plan}} is a saved plan of format version 2, which this preconcile ({__version__}) "
        f"cannot read (it reads version 1); apply it with the preconcile that made it "
        f"({__version__}), or run plan again.",
    ),
    "plan --json document": (
        lambda path: path.write_text(json.dumps(json.loads(path.read_text())["plan"])),
        "{plan} is the JSON plan that `plan --json` prints, not a saved plan; save a plan for "
        "apply with `preconcile plan MANIFEST --out PLAN`.",
    ),
    "deeply nested JSON": (
        lambda path: path.write_text(
            '{"preconcile_plan": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
        ),
        "{plan} is a damaged saved plan (its JSON nests deeper than Python can read); save it "
        "again with `preconcile plan MANIFEST --out PLAN`.",
    ),
    "format version as text": (
        lambda path: _edit(path, lambda doc: doc.update(preconcile_plan="1")),
        "{plan} is a damaged saved plan (its format version is '1', not a whole number); save "
        "it again with `preconcile plan MANIFEST --out PLAN`.",
    ),
    "format version true": (
        lambda path: _edit(path, lambda doc: doc.update(preconcile_plan=True)),
        "{plan} is a damaged saved plan (its format version is True, not a whole number); save "
        "it again with `preconcile plan MANIFEST --out PLAN`.",
    ),
    "manifest is a list": (
        lambda path: _edit(path, lambda doc: doc.update(manifest=[])),
        "{plan} is a damaged saved plan ([] where a mapping belongs); save it again with "
        "`preconcile plan MANIFEST --out PLAN`.",
    ),
    "huge value where a mapping belongs": (
        lambda path: _edit(path, lambda doc: doc.update(files=["a" * 100_000])),
        "{plan} is a damaged saved plan (['" + "a" * 58 + "… (100,004 characters) where a "
        "mapping belongs); save it again with `preconcile plan MANIFEST --out PLAN`.",
    ),
    "resource changes not a list": (
        lambda path: _edit(path, lambda doc: doc["plan"].update(resource_changes=5)),
        "{plan} is a damaged saved plan (5 where a list belongs); save it again with "
        "`preconcile plan MANIFEST --out PLAN`.",
    ),
}


def _edit(path, change):
    """Rewrite the plan file at ``path`` with ``change(doc)`` applied to its JSON."""
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize("case", NOT_PLANS)
def test_files_that_are_not_usable_plans(cli, saved, case):
    spoil, message = NOT_PLANS[case]
    path = saved()
    spoil(path)
    refused = cli("apply", str(path))
    assert refused.code == 1
    assert refused.err == f"Error: {message.format(plan=path)}\n"


def test_plan_made_for_another_state_dir_or_target(cli, saved, state, tmp_path):
    path = saved()
    other = tmp_path / "other"
    cases = [
        (["--state-dir", str(other)], {}, "the state dir", "--state-dir", other),
        (["--target", "aws"], {}, "the target", "--target", "aws"),
        (["--region", "eu-west-1"], {}, "the region", "--region", "eu-west-1"),
        ([], {"PRECONCILE_STATE_DIR": str(other)}, "the state dir", "PRECONCILE_STATE_DIR", other),
    ]
    planned = {"the state dir": state.resolve(), "the target": "local", "the region": "us-east-1"}
    for args, env, what, how, now in cases:
        refused = cli("apply", str(path), *args, env=env)
        assert refused.code == 1, args
        assert refused.err == (
            f"Error: the saved plan {path} was made for {what} {planned[what]}, but {how} says "
            f"{now}; apply it without {how} (the plan's {what[4:]} is used), or run plan "
            f"again for {now}.\n"
        )
    assert not other.exists()
    with_var = cli("apply", str(path), "--var", "bucket=b")
    assert with_var.err == (
        f"Error: --var cannot be used with a saved plan: {path} applies the variables it was "
        "made with; run plan again to change them.\n"
    )


def test_only_apply_takes_a_saved_plan(cli, saved):
    path = saved()
    for command in ("plan", "destroy"):
        refused = cli(command, str(path))
        assert refused.code == 1
        assert refused.err == (
            f"Error: {path} is a saved plan, not a manifest; only apply takes a saved plan: "
            f"preconcile apply {path}\n"
        )


def test_plan_out_to_a_folder_or_the_manifest_is_refused_before_planning(pc, workshop, tmp_path):
    folder = pc("plan", "--out", str(tmp_path))
    assert (folder.code, folder.out) == (1, "")
    assert folder.err == (
        f"Error: --out {tmp_path} is a folder; give the plan a file name, such as "
        f"{tmp_path / 'workshop.plan'}\n"
    )
    itself = pc("plan", "--out", str(workshop))
    assert itself.err == (
        f"Error: --out {workshop} is the manifest itself; save the plan to another file\n"
    )


def test_the_saved_plan_hint_carries_the_flags_apply_will_need(pc, cli, workshop, tmp_path):
    apply_then_drop_a_campaign(pc, workshop)  # a second campaign, then taken out again
    path = tmp_path / "drop.plan"
    planned = pc("plan", "--out", str(path))
    assert planned.out.endswith(
        "Apply needs --allow-delete for this plan (see the changes above).\n"
        f"\nSaved the plan to {path}. To apply exactly this plan: preconcile apply {path} "
        "--allow-delete\n"
    )
    applied = cli("apply", str(path), "--allow-delete")
    assert applied.code == 0, applied.out + applied.err
