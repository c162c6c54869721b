"""Event trackers: CreateEventTracker, DescribeEventTracker, ListEventTrackers,
DeleteEventTracker.

One job: the rules of a group's event tracker: the group ACTIVE, one tracker per group,
a fresh ``trackingId`` (shown too by the group's Interactions dataset, ``datasets``).
Events sent with the trackingId are recorded by the personalize-events API
(``personalize_reconcile.local.events``). Callers: ``control.call``.

Sources: reference §1 (ARN ``event-tracker/<id>``), §3 (prerequisites), §9 (one per group).
"""

from __future__ import annotations

import sqlite3
import uuid

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import ResourceAlreadyExistsException

KIND = "event-tracker"

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeEventTracker", "ListEventTrackers", "datasetGroupArn")


@operation("CreateEventTracker")
def create_event_tracker(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateEventTracker: group ACTIVE, one tracker per group (reference §3, §9)."""
    group = records.load_parent(ctx, conn, params["datasetGroupArn"], "dataset-group")
    existing = ctx.store.select(conn, "kind='event-tracker' AND grp=?", (group.arn,), 1)
    if existing:
        raise ResourceAlreadyExistsException(
            f"Dataset group {group.arn} already has event tracker {existing[0].arn}."
        )
    tracker_id = uuid.uuid4().hex[:8]
    arn = make_arn(ctx, f"event-tracker/{tracker_id}")
    tracking_id = str(uuid.uuid4())
    body = {
        "name": params["name"],
        "eventTrackerArn": arn,
        "accountId": ctx.account,
        "trackingId": tracking_id,
        "datasetGroupArn": group.arn,
    }
    records.create_under(ctx, conn, group, KIND, arn, body, params)
    return {"eventTrackerArn": arn, "trackingId": tracking_id}


@operation("DeleteEventTracker")
def delete_event_tracker(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DeleteEventTracker (no dependents; the interaction data stays)."""
    records.delete(ctx, conn, records.load(ctx, conn, params["eventTrackerArn"], KIND))
    return {}
