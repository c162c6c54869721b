"""Dataset groups: CreateDatasetGroup, DescribeDatasetGroup, ListDatasetGroups,
DeleteDatasetGroup.

One job: the rules of the container every other kind (but schemas) lives in: at most
:data:`DATASET_GROUPS_PER_REGION`, ``roleArn`` only with ``kmsKeyArn``, and a delete only
once its trackers, solutions, recommenders, filters and datasets are gone. Dataset groups show only
DELETE PENDING while deleting (``lifecycle``). Callers: ``control.call``.

Sources: reference §1 (ARN), §2 (fields), §3 (delete preconditions), §9 (quota).
"""

from __future__ import annotations

import sqlite3

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import InvalidInputException, LimitExceededException
from personalize_reconcile.local.statuses import DELETING
from personalize_reconcile.rules import limits

KIND = "dataset-group"
DATASET_GROUPS_PER_REGION = limits.DATASET_GROUPS_PER_REGION.default
"""Reference §9, the documented default quota (the local target's quotas are not raised)."""

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeDatasetGroup", "ListDatasetGroups")


@operation("CreateDatasetGroup")
def create_dataset_group(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateDatasetGroup (reference §2): roleArn only together with kmsKeyArn."""
    if params.get("roleArn") and not params.get("kmsKeyArn"):
        raise InvalidInputException("roleArn can only be specified together with kmsKeyArn.")
    name = params["name"]
    arn = make_arn(ctx, f"dataset-group/{name}")
    if (
        records.count(
            conn,
            "kind='dataset-group' AND account=? AND region=? AND status NOT IN (?, ?)",
            (ctx.account, ctx.region, *DELETING),
        )
        >= DATASET_GROUPS_PER_REGION
        and ctx.store.get(arn, conn) is None
    ):
        raise LimitExceededException(
            f"You have reached the limit of {DATASET_GROUPS_PER_REGION} "
            "dataset groups in this region."
        )
    body = {"name": name, "datasetGroupArn": arn}
    for key in ("roleArn", "kmsKeyArn", "domain"):
        if params.get(key):
            body[key] = params[key]
    records.create(ctx, conn, kind=KIND, arn=arn, name=name, body=body, tags=params.get("tags"))
    out = {"datasetGroupArn": arn}
    if params.get("domain"):
        out["domain"] = params["domain"]
    return out


@operation("DeleteDatasetGroup")
def delete_dataset_group(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DeleteDatasetGroup: trackers, solutions, recommenders, filters and datasets must be
    gone (reference §3)."""
    res = records.load(ctx, conn, params["datasetGroupArn"], KIND)
    records.check_deletable(res)
    records.refuse_if_used(
        res,
        ctx.store.select(
            conn,
            "grp=? AND kind IN ('event-tracker','solution','recommender','filter','dataset')",
            (res.arn,),
            1,
        ),
    )
    records.delete(ctx, conn, res)
    return {}
