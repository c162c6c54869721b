"""Schemas: CreateSchema, DescribeSchema, ListSchemas, DeleteSchema, and whether a schema
fits a dataset.

One job: the Avro rules of reference §4 as the control plane applies them (the rules
themselves are ``personalize_reconcile.rules.avro``). Schemas have no status and no tags,
are usable at once and are deleted at once, and only when no dataset uses them (nor an
update of one waits for them). Callers: ``control.call``; ``datasets`` (:func:`check_fits`).

Sources: reference §1 (ARN), §3 (delete preconditions), §4 (schemas), §9 (quota).
"""

from __future__ import annotations

import json
import sqlite3

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import InvalidInputException, LimitExceededException
from personalize_reconcile.local.statuses import ACTIVE
from personalize_reconcile.local.store import Resource
from personalize_reconcile.rules import avro, limits
from personalize_reconcile.rules.problems import Problem, dotted

KIND = "schema"
SCHEMAS_PER_REGION = limits.SCHEMAS_PER_REGION.default
"""Reference §9, the documented default quota (shared with ``validate``: ``rules/limits.py``)."""

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeSchema", "ListSchemas")


def schema_message(problems: list[Problem], prefix: bool = True) -> str:
    """The problems of a schema as one message: ``Invalid schema: <problem> (at <path>);
    ...`` (without ``Invalid schema:`` when ``prefix`` is false)."""
    parts = []
    for p in problems:
        where = dotted(p.path)
        parts.append(f"{p.message}" + (f" (at {where})" if where else ""))
    text = "; ".join(parts) + "."
    return ("Invalid schema: " + text) if prefix else text


def check_fits(schema: Resource, dataset_type: str, domain: str | None) -> None:
    """Refuse a schema that does not fit a dataset of ``dataset_type`` in a group of
    ``domain`` (``None``: custom), reference §4.

    Raises:
        InvalidInputException: with every problem ``rules.avro.schema_problems`` finds.
    """
    doc = json.loads(schema.body["schema"])
    problems = avro.schema_problems(doc, avro.canonical_dataset_type(dataset_type), domain)
    if problems:
        raise InvalidInputException(
            f"Schema {schema.arn} does not fit a dataset of type {dataset_type}: "
            + schema_message(problems, prefix=False)
        )


def _not_json(constant: str) -> None:
    """Python's json reads NaN, Infinity and -Infinity; JSON (and the service) does not."""
    raise ValueError(f"{constant} is not a JSON value")


@operation("CreateSchema")
def create_schema(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateSchema: the Avro document must pass ``rules.avro.schema_problems``
    (reference §4). Schemas have no status and are usable at once."""
    name = params["name"]
    arn = make_arn(ctx, f"schema/{name}")
    try:
        doc = json.loads(params["schema"], parse_constant=_not_json)
    except ValueError as exc:
        raise InvalidInputException(f"The schema is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidInputException("The schema is not valid JSON: it nests too deeply.") from None
    problems = avro.schema_problems(doc)
    if problems:
        raise InvalidInputException(schema_message(problems))
    if (
        records.count(conn, "kind='schema' AND account=? AND region=?", (ctx.account, ctx.region))
        >= SCHEMAS_PER_REGION
    ):
        raise LimitExceededException(
            f"You have reached the limit of {SCHEMAS_PER_REGION} schemas in this region."
        )
    body = {"name": name, "schemaArn": arn, "schema": params["schema"]}
    if params.get("domain"):
        body["domain"] = params["domain"]
    records.create(ctx, conn, kind=KIND, arn=arn, name=name, body=body, status=None)
    return {"schemaArn": arn}


@operation("DeleteSchema")
def delete_schema(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DeleteSchema: no dataset in any group may use it (reference §3). Immediate."""
    res = records.load(ctx, conn, params["schemaArn"], KIND)
    for ds in ctx.store.select(
        conn, "kind='dataset' AND account=? AND region=?", (ctx.account, ctx.region)
    ):
        pending = ds.body.get("latestDatasetUpdate", {})
        if ds.body.get("schemaArn") == res.arn or (
            pending.get("schemaArn") == res.arn and pending.get("status") != ACTIVE
        ):
            records.refuse_if_used(res, [ds])
    ctx.store.remove(conn, res.arn)
    return {}
