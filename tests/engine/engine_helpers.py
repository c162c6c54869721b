"""Helpers for reconciler tests: reading JSON plans, and manifests for two stages."""

from __future__ import annotations

import json

from edits import replaced


def plan_json(pc, *args, manifest=None) -> dict:
    """Run ``plan --json`` and return the parsed document."""
    result = pc("plan", "--json", *args, manifest=manifest)
    assert result.code == 0, result.err
    return json.loads(result.out)


def actions(doc: dict) -> dict[str, str]:
    """address -> action word (create/update/replace/delete/no-op) of a JSON plan."""
    out = {}
    for c in doc["resource_changes"]:
        a = c["actions"]
        out[c["address"]] = "replace" if sorted(a) == ["create", "delete"] else a[0]
    return out


def four_runs(pc, created: int, manifest=None, *args: str, adopted: int = 0) -> dict:
    """Plan shows ``created`` creates, apply makes them (and adopts ``adopted`` existing
    resources that are not the manifest's but equal it), plan is empty, apply is a no-op;
    returns the first plan's document."""
    doc = plan_json(pc, *args, manifest=manifest)
    assert doc["summary"]["create"] == created, actions(doc)
    applied = pc("apply", "--auto-approve", *args, manifest=manifest)
    assert applied.code == 0, applied.out + applied.err
    tail = f", {adopted} adopted." if adopted else "."
    assert f"Apply complete: {created} created, 0 updated, 0 replaced, 0 deleted{tail}" in (
        applied.out
    )
    again = pc("plan", "--detailed-exitcode", *args, manifest=manifest)
    assert again.code == 0, again.out + again.err
    assert again.out.startswith("No changes.")
    noop = pc("apply", "--auto-approve", *args, manifest=manifest)
    assert noop.code == 0, noop.err
    assert noop.out.startswith("No changes.")
    assert "Apply complete" not in noop.out
    return doc


def apply_then_drop_a_campaign(pc, workshop) -> None:
    """Apply the workshop with a second campaign, ``second-campaign``, then take it out of
    the manifest again: the next plan deletes it."""
    text = workshop.read_text()
    extra = (
        "  second-campaign:\n    solution: segment-workshop-solution\n    minProvisionedTPS: 2\n"
    )
    workshop.write_text(text + extra)
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.err
    workshop.write_text(text)


def stage_manifest(workshop, stage: str):
    """A copy of the workshop for one stage: the manifest and dataset group are named by
    ``--var stage=...``; solution and campaign names are map keys, which take no variables,
    so they carry the stage literally. Schema, data and recipe are the same for both."""
    text = workshop.read_text()
    text = replaced(
        text,
        "name: segment-workshop\n\nvariables:\n",
        "name: segment-workshop-${stage}\n\nvariables:\n  stage: dev\n",
    )
    text = replaced(
        text, "datasetGroup:\n  name: segment-workshop\n", "datasetGroup:\n  name: shop-${stage}\n"
    )
    text = text.replace("segment-workshop-solution", f"shop-{stage}-solution")
    text = text.replace("segment-workshop-campaign", f"shop-{stage}-campaign")
    path = workshop.with_name(f"{stage}.yaml")
    path.write_text(text)
    return path


OLD_DATA = (
    "; note: the newest interaction in interactions.csv is from {day}, more than a year ago; "
    "a model trained on it recommends what was popular then"
)
"""The note a version's plan reason ends with when it trains on the example data, whose
newest interaction is from 2019 (``.format(day="2019-05-11")``)."""
