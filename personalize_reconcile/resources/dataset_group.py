"""Dataset group: the container of everything else (CreateDatasetGroup; reference §2).

Nothing about a dataset group changes in place: domain, kmsKeyArn and roleArn force
replacement. Read with one ListDatasetGroups call (Describe only when the manifest sets
kmsKeyArn or roleArn, which only Describe returns; reference §2 "List vs Describe"), which
also tells how many groups the region holds (``Context.region_dataset_groups``).

Callers: the engine, through ``resources.kinds()``.
"""

from __future__ import annotations

from personalize_reconcile.resources.base import Context, Desired, Kind, Live, Policy


class DatasetGroupKind(Kind):
    """The ``dataset_group`` resource kind."""

    kind = "dataset_group"
    title = "dataset group"
    result_key = "datasetGroup"
    arn_key = "datasetGroupArn"
    holds_data = True
    policy = {"domain": Policy.REPLACE, "kmsKeyArn": Policy.REPLACE, "roleArn": Policy.REPLACE}

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        found = None
        region: list[str] = []
        for page in ctx.personalize.get_paginator("list_dataset_groups").paginate():
            for summary in page.get("datasetGroups", []):
                ctx.learn_account(summary["datasetGroupArn"])
                if summary["name"] == desired.name:
                    found = summary
                if not str(summary.get("status", "")).startswith("DELETE"):
                    region.append(summary["name"])
        ctx.region_dataset_groups = region
        if found is None:
            return None
        raw = found
        if "kmsKeyArn" in desired.fields or "roleArn" in desired.fields:
            raw = self.describe(ctx, found["datasetGroupArn"]) or found
        fields = {"domain": raw.get("domain")}
        if raw is not found:
            fields.update(kmsKeyArn=raw.get("kmsKeyArn"), roleArn=raw.get("roleArn"))
        return self.live(raw, fields)

    def create(self, ctx: Context, desired: Desired) -> str:
        args = {k: v for k, v in desired.fields.items() if v is not None}
        resp = ctx.personalize.create_dataset_group(
            name=desired.name, tags=ctx.tags_for(desired), **args
        )
        return resp["datasetGroupArn"]
