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
