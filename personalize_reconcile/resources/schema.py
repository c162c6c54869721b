"""Schema: an Avro schema (CreateSchema; reference §2, §4).

Schemas have no status, no tags and never change: a different body or domain forces
replacement, which in turn replaces the datasets that use it (they must go first:
reference §3). Read with DescribeSchema on the ARN derived from the name, or with
ListSchemas while the account id is not yet known.
"""

from __future__ import annotations

import json

from personalize_reconcile.resources.base import Context, Desired, Kind, Live, Policy, State
from personalize_reconcile.resources.normalize import canonical, parse_json


class SchemaKind(Kind):
    """The ``schema`` resource kind."""

    kind = "schema"
    title = "schema"
    result_key = "schema"
    arn_key = "schemaArn"
    taggable = False
    policy = {"schema": Policy.REPLACE, "domain": Policy.REPLACE}

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        arn = ctx.arn(f"schema/{desired.name}")
        if arn is None:
            for page in ctx.personalize.get_paginator("list_schemas").paginate():
                for summary in page.get("schemas", []):
                    ctx.learn_account(summary["schemaArn"])
                    if summary["name"] == desired.name:
                        arn = summary["schemaArn"]
            if arn is None:
                return None
        raw = self.describe(ctx, arn)
        if raw is None:
            return None
        fields = canonical({"schema": parse_json(raw.get("schema")), "domain": raw.get("domain")})
        return Live(raw["schemaArn"], "ACTIVE", fields, raw)

    def state(self, raw):
        return (State.GONE if raw is None else State.READY), None

    def create(self, ctx: Context, desired: Desired) -> str:
        args = {"name": desired.name, "schema": json.dumps(desired.extra["document"])}
        if desired.fields.get("domain"):
            args["domain"] = desired.fields["domain"]
        return ctx.personalize.create_schema(**args)["schemaArn"]
