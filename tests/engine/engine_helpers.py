"""Helpers for reading JSON plans in reconciler tests."""

from __future__ import annotations

import json


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
        out[c["address"]] = "replace" if a == ["delete", "create"] else a[0]
    return out


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
