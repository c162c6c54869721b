"""Solution: a recipe and its configuration (CreateSolution / UpdateSolution; reference §2, §6).

Per-field policy: UpdateSolution changes performAutoTraining, performIncrementalUpdate and
``solutionUpdateConfig`` (autoTrainingConfig, eventsConfig) in place; everything else —
recipe, performHPO, eventType, the rest of solutionConfig — forces replacement, made
new-one-first: the new solution is created under :func:`replacement_name` and trained, the
campaigns move to its version with UpdateCampaign, then the old solution is deleted
(docs/gitops.md, "Model changes without downtime").
For comparison, autoTrainingConfig and eventsConfig are lifted out of solutionConfig, and
the hyperparameters of both sides are folded into one form (``rules/hyperparameters.py``:
aliases, number spellings, the service's defaults), so only a real change replaces.

Callers: the engine, through ``resources.kinds()`` and ``engine/desired.py``.
"""

from __future__ import annotations

import re
from typing import Any

from personalize_reconcile.resources.base import (
    OWNERSHIP_TAG,
    Context,
    Desired,
    Kind,
    Live,
    Policy,
)
from personalize_reconcile.resources.fingerprint import short
from personalize_reconcile.resources.normalize import canonical
from personalize_reconcile.rules.hyperparameters import canonical_config

UPDATABLE_CONFIG = ("autoTrainingConfig", "eventsConfig")
DEFAULT_SCHEDULE = {"schedulingExpression": "rate(7 days)"}  # reference §6
IMMUTABLE = ("recipeArn", "performHPO", "eventType", "solutionConfig")
"""The fields only a new solution can change (reference §6)."""
PREFIX_MAX = 54
"""Characters of the manifest's name kept in a replacement's name (63 less ``-<8 hex>``)."""


def replacement_name(name: str, fields: dict[str, Any]) -> str:
    """The physical name of a solution that replaces another for the manifest entry
    ``name``: ``<name>-<8 hex fingerprint of the immutable fields>`` (the name cut to
    :data:`PREFIX_MAX` characters), so the old and the new solution can coexist."""
    return f"{name[:PREFIX_MAX]}-{short(canonical({k: fields.get(k) for k in IMMUTABLE}))}"


def split_config(
    performs_auto_training: bool, config: dict[str, Any] | None, recipe: str | None = None
) -> dict[str, Any]:
    """Split a solutionConfig into the compared fields ``solutionConfig`` (immutable part),
    ``autoTrainingConfig`` and ``eventsConfig`` (updatable), canonical. autoTrainingConfig
    counts only with auto-training on, and then defaults to ``rate(7 days)``. With
    ``recipe`` (short name or ARN), the hyperparameters are folded by
    :func:`~personalize_reconcile.rules.hyperparameters.canonical_config` (aliases,
    number spellings, the service's defaults), on the manifest's side and the live side
    alike, so those never plan a replacement."""
    config = dict(config or {})
    out = {k: config.pop(k, None) for k in UPDATABLE_CONFIG}
    if performs_auto_training:
        out["autoTrainingConfig"] = out["autoTrainingConfig"] or DEFAULT_SCHEDULE
    else:
        out["autoTrainingConfig"] = None
    out["solutionConfig"] = canonical_config(recipe, config)
    return canonical(out)


class SolutionKind(Kind):
    """The ``solution`` resource kind."""

    kind = "solution"
    title = "solution"
    result_key = "solution"
    arn_key = "solutionArn"
    holds_data = True
    create_before_delete = True
    policy = {
        "recipeArn": Policy.REPLACE,
        "performHPO": Policy.REPLACE,
        "eventType": Policy.REPLACE,
        "solutionConfig": Policy.REPLACE,
        "performAutoTraining": Policy.UPDATE,
        "performIncrementalUpdate": Policy.UPDATE,
        "autoTrainingConfig": Policy.UPDATE,
        "eventsConfig": Policy.UPDATE,
    }

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        """The live solution of the manifest entry, under its own name, its replacement
        name (:func:`replacement_name`) or, after several replacements, an earlier
        replacement's name; ``desired.name`` becomes the name a create would use: the
        live one's when it has the wanted immutable fields, else the replacement name."""
        raw = self._find(ctx, desired)
        if raw is None:
            return None
        if raw.get("datasetGroupArn") != ctx.arns.get(desired.extra["group_address"]):
            raw = dict(raw, foreign=True)
        live_config = dict(raw.get("solutionConfig") or {})
        # Every key the live solutionConfig sets counts, declared or not, so removing a
        # setting from the manifest is seen (and, solutionConfig being immutable, replaces
        # the solution).
        immutable = {k: v for k, v in live_config.items() if k not in UPDATABLE_CONFIG}
        immutable.update({k: live_config[k] for k in UPDATABLE_CONFIG if k in live_config})
        fields = {
            "recipeArn": raw.get("recipeArn"),
            "performHPO": bool(raw.get("performHPO", False)),
            "eventType": raw.get("eventType"),
            "performAutoTraining": bool(raw.get("performAutoTraining", False)),
            "performIncrementalUpdate": raw.get("performIncrementalUpdate")
            if "performIncrementalUpdate" in desired.fields
            else None,
        }
        fields.update(split_config(fields["performAutoTraining"], immutable, fields["recipeArn"]))
        update = raw.get("latestSolutionUpdate")
        pending = bool(update) and update.get("status") not in ("ACTIVE", "CREATE FAILED")
        if pending:  # compare with what is being applied, so it is not sent twice
            fields["performAutoTraining"] = bool(update.get("performAutoTraining"))
            cfg = update.get("solutionUpdateConfig") or {}
            for k in UPDATABLE_CONFIG:
                fields[k] = (
                    canonical(cfg.get(k))
                    if fields["performAutoTraining"] or k != "autoTrainingConfig"
                    else None
                )
        live = self.live(raw, fields, pending)
        if replacement_name(self._entry(desired), live.fields) == desired.extra["replacement"]:
            desired.name = raw["name"]
        else:
            desired.name = desired.extra["replacement"]
        return live

    @staticmethod
    def _entry(desired: Desired) -> str:
        return desired.address.split(".", 1)[1]

    def _find(self, ctx: Context, desired: Desired) -> dict[str, Any] | None:
        entry = self._entry(desired)
        for name in (desired.extra["replacement"], entry):
            arn = ctx.arn(f"solution/{name}")
            if arn is None:
                return None
            # Read even when the group does not exist yet: solution names are unique per
            # account and region, so one in another group blocks this one (reference §1).
            raw = self.describe(ctx, arn)
            if raw is not None:
                return raw
        group = ctx.arns.get(desired.extra["group_address"])
        if group is None:
            return None
        earlier = re.compile(re.escape(entry[:PREFIX_MAX]) + "-[0-9a-f]{8}")
        found = [
            s
            for page in ctx.personalize.get_paginator("list_solutions").paginate(
                datasetGroupArn=group
            )
            for s in page.get("solutions", [])
            if earlier.fullmatch(s["name"]) and not s.get("status", "").startswith("DELETE")
        ]
        for summary in sorted(found, key=lambda s: s.get("creationDateTime", 0), reverse=True):
            if ctx.read_tags(summary["solutionArn"]).get(OWNERSHIP_TAG) == ctx.manifest_name:
                return self.describe(ctx, summary["solutionArn"])
        return None

    def latest_update(self, raw):
        return raw.get("latestSolutionUpdate")

    def _config(self, desired: Desired) -> dict[str, Any]:
        config = dict(desired.fields.get("solutionConfig") or {})
        for k in UPDATABLE_CONFIG:
            if desired.fields.get(k):
                config[k] = desired.fields[k]
        return config

    def create(self, ctx: Context, desired: Desired) -> str:
        f = desired.fields
        args: dict[str, Any] = {
            "name": desired.name,
            "datasetGroupArn": ctx.arns[desired.extra["group_address"]],
            "recipeArn": f["recipeArn"],
            "performHPO": bool(f.get("performHPO", False)),
            "performAutoTraining": bool(f.get("performAutoTraining", False)),
            "tags": ctx.tags_for(desired),
        }
        if f.get("performIncrementalUpdate") is not None:
            args["performIncrementalUpdate"] = f["performIncrementalUpdate"]
        if f.get("eventType"):
            args["eventType"] = f["eventType"]
        config = self._config(desired)
        if config:
            args["solutionConfig"] = config
        return ctx.personalize.create_solution(**args)["solutionArn"]

    def update(self, ctx: Context, desired: Desired, live: Live) -> None:
        """UpdateSolution with the manifest's values, leaving out the fields the manifest
        lists under ``ignoreChanges`` (their live values stay)."""
        f = desired.fields
        ignored = desired.extra.get("ignore_changes", ())
        update_config = {k: f[k] for k in UPDATABLE_CONFIG if f.get(k) and k not in ignored}
        args: dict[str, Any] = {"solutionArn": live.arn}
        if "performAutoTraining" not in ignored:
            args["performAutoTraining"] = bool(f.get("performAutoTraining", False))
        if f.get("performIncrementalUpdate") is not None and (
            "performIncrementalUpdate" not in ignored
        ):
            args["performIncrementalUpdate"] = f["performIncrementalUpdate"]
        if update_config:
            args["solutionUpdateConfig"] = update_config
        ctx.personalize.update_solution(**args)
