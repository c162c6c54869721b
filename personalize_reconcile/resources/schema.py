"""Schema: an Avro schema (CreateSchema; reference §2, §4).

Schemas have no status, no tags and never change: a different body or domain forces
replacement, which in turn replaces the datasets that use it (they must go first:
reference §3) when those are replaced anyway; a change that would cost an existing
dataset its data is refused before planning (``engine/desired.py``). Read with
DescribeSchema on the ARN derived from the name, or with ListSchemas while the account id
is not yet known.

Callers: the engine, through ``resources.kinds()``.
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
        # A dataset that switched to an evolved schema (``<name>-<fingerprint>``, see
        # personalize_reconcile.engine.refresh) names it in its schemaArn: read that one.
        for address in desired.extra.get("used_by", ()):
            dataset = ctx.live.get(address)
            used = (dataset.raw.get("schemaArn") or "") if dataset else ""
            used_name = used.rsplit("/", 1)[-1]
            if used_name.startswith(desired.name + "-"):
                raw = self.describe(ctx, used)
                if raw is not None:
                    desired.name = used_name
                    return self._live(raw)
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
        return None if raw is None else self._live(raw)

    def _live(self, raw: dict) -> Live:
        fields = canonical({"schema": parse_json(raw.get("schema")), "domain": raw.get("domain")})
        return Live(raw["schemaArn"], "ACTIVE", fields, raw)

    def state(self, raw):
        return (State.GONE if raw is None else State.READY), None

    def create(self, ctx: Context, desired: Desired) -> str:
        args = {"name": desired.name, "schema": json.dumps(desired.extra["document"])}
        if desired.fields.get("domain"):
            args["domain"] = desired.fields["domain"]
        return ctx.personalize.create_schema(**args)["schemaArn"]
