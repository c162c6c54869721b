"""Which manifest fields ``ignoreChanges`` may name, per resource kind, and the API fields
plan then leaves alone.

One job: the table of fields that can drift without replacing the resource: those the
service changes in place (reference §2, "Mutable after create": UpdateSolution's
performAutoTraining, performIncrementalUpdate and autoTrainingConfig; UpdateCampaign's
minProvisionedTPS and campaignConfig) and the tags (TagResource / UntagResource) of every
taggable kind. A field that only a replacement can change is not in the table: a change
to it outside preconcile is impossible, and a change in the manifest must not be hidden.

Callers: ``manifest/checks.py`` (validate: the names, with a did-you-mean) and
``engine/desired.py`` (the API fields the planner skips).
"""

from __future__ import annotations

IGNORABLE: dict[str, dict[str, tuple[str, ...]]] = {
    "dataset_group": {"tags": ("tags",)},
    "dataset": {"tags": ("tags",)},
    "solution": {
        # the schedule counts only while auto-training is on (reference §6): ignoring one
        # ignores both
        "performAutoTraining": ("performAutoTraining", "autoTrainingConfig"),
        "performIncrementalUpdate": ("performIncrementalUpdate",),
        "autoTrainingConfig": ("autoTrainingConfig",),
        "tags": ("tags",),
    },
    "campaign": {
        "minProvisionedTPS": ("minProvisionedTPS",),
        "campaignConfig": ("campaignConfig",),
        "tags": ("tags",),
    },
}
"""kind -> manifest field name -> the compared API fields it covers."""

REPLACING: dict[str, tuple[str, ...]] = {
    "dataset_group": ("name", "domain", "kmsKeyArn", "roleArn"),
    "dataset": ("name", "schema", "imports"),
    "solution": ("recipe", "performHPO", "eventType", "solutionConfig", "training"),
    "campaign": ("solution", "rollout"),
}
"""kind -> the other fields a manifest declares for it: only a replacement changes them,
or they are references and policies rather than fields the service changes in place, so
``ignoreChanges`` refuses them."""


def api_fields(kind: str, names: list[str]) -> list[str]:
    """The compared API fields (``tags`` for the tags) of the manifest field ``names``
    of a resource of ``kind``; unknown names are skipped (validate refuses them)."""
    table = IGNORABLE.get(kind, {})
    return [f for n in names for f in table.get(n, ())]
