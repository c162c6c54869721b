"""Datasets: CreateDataset, DescribeDataset, ListDatasets, UpdateDataset, DeleteDataset.

One job: the rules of a group's datasets: one per type, a schema that fits the type and
the group's domain, schema updates (Items and Users only, fields kept, new ones nullable)
and what a delete waits for. A dataset's Describe shape carries the group's event
tracker's ``trackingId`` (Interactions datasets). Its stored rows are removed by the
status machine when the delete finishes (``lifecycle``). Callers: ``control.call``.

Sources: reference §1 (ARN ``dataset/<group name>/<TYPE>``), §2 (fields,
``latestDatasetUpdate``), §3 (prerequisites, delete preconditions), §4 (schemas,
UpdateDataset).
"""

from __future__ import annotations

import json
import sqlite3

from personalize_reconcile.local.control import metric_attributions, records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import describer, operation
from personalize_reconcile.local.control.schemas import check_fits
from personalize_reconcile.local.exceptions import InvalidInputException
from personalize_reconcile.local.statuses import ACTIVE, CREATE_STOPPING, CREATING
from personalize_reconcile.local.store import Resource, Store
from personalize_reconcile.rules import avro

KIND = "dataset"

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeDataset", "ListDatasets", "datasetGroupArn")


@describer(KIND)
def _tracking_id(res: Resource, out: dict, conn: sqlite3.Connection | None, store: Store) -> None:
    if res.body.get("datasetType") == "INTERACTIONS":
        trackers = store.select(conn, "kind='event-tracker' AND grp=?", (res.grp,), 1)
        if trackers:
            out["trackingId"] = trackers[0].body["trackingId"]


@operation("CreateDataset")
def create_dataset(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateDataset: group ACTIVE, one dataset per type, schema fits the type and the
    group's domain (reference §2-§4)."""
    group = records.load_parent(ctx, conn, params["datasetGroupArn"], "dataset-group")
    canonical = avro.canonical_dataset_type(params["datasetType"])
    if canonical is None:
        raise InvalidInputException(
            f"Invalid datasetType {params['datasetType']!r}; valid types: "
            + ", ".join(avro.DATASET_TYPES)
            + "."
        )
    dtype = canonical.upper()
    schema = records.load(ctx, conn, params["schemaArn"], "schema")
    domain = group.body.get("domain")
    if domain and canonical in ("Actions", "Action_Interactions"):
        raise InvalidInputException(
            f"A domain dataset group cannot have a dataset of type {canonical}."
        )
    if schema.body.get("domain") != domain:
        raise InvalidInputException(
            f"Schema {schema.arn} has domain {schema.body.get('domain') or 'none'} but "
            f"dataset group {group.arn} has domain {domain or 'none'}."
        )
    check_fits(schema, canonical, domain)
    arn = make_arn(ctx, f"dataset/{group.name}/{dtype}")
    body = {
        "name": params["name"],
        "datasetArn": arn,
        "datasetGroupArn": group.arn,
        "datasetType": dtype,
        "schemaArn": schema.arn,
    }
    records.create_under(ctx, conn, group, KIND, arn, body, params)
    return {"datasetArn": arn}


@operation("UpdateDataset")
def update_dataset(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """UpdateDataset: Items and Users only; the new schema keeps every field and only
    adds nullable ones (reference §4)."""
    ds = records.require_active(records.load(ctx, conn, params["datasetArn"], KIND))
    if ds.body["datasetType"] not in ("ITEMS", "USERS"):
        raise InvalidInputException(
            f"Only Items and Users datasets can be updated; {ds.arn} is of type "
            f"{ds.body['datasetType']}."
        )
    records.no_update_running(ds)
    new = records.load(ctx, conn, params["schemaArn"], "schema")
    group = ctx.store.get(ds.grp, conn) if ds.grp else None
    domain = group.body.get("domain") if group else None
    check_fits(new, ds.body["datasetType"], domain)
    old = ctx.store.get(ds.body["schemaArn"], conn)
    if old is not None:
        _check_compatible(old, new)
    records.start_update(ctx, conn, ds, {"schemaArn": new.arn})
    return {"datasetArn": ds.arn}


def _check_compatible(old: Resource, new: Resource) -> None:
    old_fields = {f.name: f for f in avro.parse_fields(json.loads(old.body["schema"]))}
    new_fields = {f.name: f for f in avro.parse_fields(json.loads(new.body["schema"]))}
    for name, field in old_fields.items():
        if name not in new_fields:
            raise InvalidInputException(
                f"The new schema must keep every field of {old.arn}; it lacks {name}."
            )
        if new_fields[name] != field:
            raise InvalidInputException(
                f"The new schema changes field {name}; existing fields must keep "
                "their type and attributes."
            )
    for name, field in new_fields.items():
        if name not in old_fields and not field.nullable:
            raise InvalidInputException(f"Field {name} is new, so it must allow null.")


@operation("DeleteDataset")
def delete_dataset(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DeleteDataset (reference §3): no filters in the group, no metric attribution that
    sums over it, no event tracker (for Interactions), no import or training running (of a
    solution version or a recommender), no campaign creating or ACTIVE."""
    ds = records.load(ctx, conn, params["datasetArn"], KIND)
    records.check_deletable(ds)
    grp = ds.grp
    store = ctx.store
    records.refuse_if_used(ds, store.select(conn, "kind='filter' AND grp=?", (grp,), 1))
    records.refuse_if_used(ds, metric_attributions.sums_over(store, conn, ds))
    if ds.body["datasetType"] == "INTERACTIONS":
        records.refuse_if_used(ds, store.select(conn, "kind='event-tracker' AND grp=?", (grp,), 1))
    records.refuse_if_used(
        ds,
        store.select(
            conn,
            "kind='dataset-import-job' AND parent=? AND status IN (?,?)",
            (ds.arn, *CREATING),
            1,
        ),
    )
    records.refuse_if_used(
        ds,
        store.select(
            conn,
            "kind='solution-version' AND grp=? AND status IN (?,?,?)",
            (grp, *CREATING, CREATE_STOPPING),
            1,
        ),
    )
    records.refuse_if_used(
        ds,
        store.select(
            conn, "kind='campaign' AND grp=? AND status IN (?,?,?)", (grp, *CREATING, ACTIVE), 1
        ),
    )
    records.refuse_if_used(
        ds,
        store.select(conn, "kind='recommender' AND grp=? AND status IN (?,?)", (grp, *CREATING), 1),
    )
    records.delete(ctx, conn, ds)
    return {}
