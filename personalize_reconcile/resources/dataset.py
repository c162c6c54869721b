"""Dataset: one typed dataset of the group (CreateDataset; reference §2).

Its ARN is derived from the dataset group's name and the upper-case type (reference §1).
The name forces replacement. The schema changes in place (UpdateDataset) on Items and
Users datasets, the only types the service allows it for (reference §4); on the others a
new schema forces replacement, which loses the dataset's data. A schema the service would
not let an existing dataset change to is refused before planning
(:func:`personalize_reconcile.engine.desired.refused_schema_changes`).

Callers: the engine, through ``resources.kinds()`` and ``engine/desired.py``.
"""

from __future__ import annotations

from personalize_reconcile.resources.base import Context, Desired, Kind, Live, Policy
from personalize_reconcile.resources.normalize import canonical
from personalize_reconcile.rules.avro import UPDATABLE_TYPES


class DatasetKind(Kind):
    """The ``dataset`` resource kind."""

    kind = "dataset"
    title = "dataset"
    result_key = "dataset"
    arn_key = "datasetArn"
    holds_data = True
    policy = {"name": Policy.REPLACE, "schemaArn": Policy.REPLACE}

    @staticmethod
    def arn_part(group_name: str, dataset_type: str) -> str:
        """``dataset/<group>/<TYPE>`` (reference §1)."""
        return f"dataset/{group_name}/{dataset_type.upper()}"

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        group = desired.extra["group_address"]
        if group not in ctx.arns:
            return None
        arn = ctx.arn(self.arn_part(desired.extra["group_name"], desired.extra["dataset_type"]))
        raw = self.describe(ctx, arn) if arn else None
        if raw is None:
            return None
        fields = canonical({"name": raw.get("name"), "schemaArn": raw.get("schemaArn")})
        return self.live(raw, fields)

    def latest_update(self, raw):
        return raw.get("latestDatasetUpdate")

    def policy_for(self, desired: Desired) -> dict[str, Policy]:
        if desired.extra.get("dataset_type") in UPDATABLE_TYPES:
            return {**self.policy, "schemaArn": Policy.UPDATE}
        return self.policy

    def update(self, ctx: Context, desired: Desired, live: Live) -> None:
        ctx.personalize.update_dataset(
            datasetArn=live.arn, schemaArn=ctx.resolve(desired.fields["schemaArn"])
        )

    def create(self, ctx: Context, desired: Desired) -> str:
        resp = ctx.personalize.create_dataset(
            name=desired.name,
            datasetGroupArn=ctx.arns[desired.extra["group_address"]],
            datasetType=desired.extra["dataset_type"],
            schemaArn=ctx.resolve(desired.fields["schemaArn"]),
            tags=ctx.tags_for(desired),
        )
        return resp["datasetArn"]
