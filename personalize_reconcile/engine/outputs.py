"""What a manifest produced: the ARNs (and ids) of its live resources, for the next step
of a pipeline.

One job: turn a refreshed :class:`~personalize_reconcile.engine.Prepared` into the
versioned ``output`` document: every declared resource that exists, by address, with its
name, ARN and status, plus the fields a pipeline reads next (an event tracker's
``trackingId``, a campaign's served ``solutionVersionArn``), and the addresses that do not
exist yet; and, after an apply, the tracking ID of each event tracker it created
(:func:`new_tracking_ids`). Read-only. Caller: ``cli.py`` (``preconcile output``, and
``apply`` for the tracking IDs).
"""

from __future__ import annotations

from typing import Any

OUTPUT_FORMAT_VERSION = "1"
"""The version of the ``output --json`` document; it changes only when a field changes
meaning or goes away."""

EXTRA_FIELDS = ("trackingId", "solutionVersionArn", "datasetGroupArn", "recipeArn")
"""Describe fields copied into a resource's entry when the service returns them."""


def outputs(prepared: Any) -> dict[str, Any]:
    """The output document of a refreshed manifest.

    Args:
        prepared: a :class:`~personalize_reconcile.engine.Prepared` (refresh and plan done).

    Returns:
        ``{"format_version": "1", "manifest", "target", "region", "resources": {address:
        {"type", "name", "arn", "status", ...EXTRA_FIELDS present}}, "missing": [address,
        ...]}`` in the manifest's dependency order; stand-ins for resources the manifest
        no longer declares are left out.
    """
    plan = prepared.plan
    resources: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for change in plan.changes:
        if change.action == "delete":
            continue
        live = prepared.ctx.live.get(change.address)
        if live is None or not live.arn:
            missing.append(change.address)
            continue
        entry: dict[str, Any] = {
            "type": change.type,
            "name": live.raw.get("name") or live.raw.get("jobName") or change.name,
            "arn": live.arn,
            "status": live.status,
        }
        for key in EXTRA_FIELDS:
            if live.raw.get(key) is not None:
                entry[key] = live.raw[key]
        resources[change.address] = entry
    return {
        "format_version": OUTPUT_FORMAT_VERSION,
        "manifest": plan.manifest,
        "target": plan.target,
        "region": plan.region,
        "resources": resources,
        "missing": missing,
    }


def new_tracking_ids(prepared: Any, succeeded: list[str]) -> list[tuple[str, str]]:
    """The tracking IDs of the event trackers an apply created (or created again).

    Args:
        prepared: the :class:`~personalize_reconcile.engine.Prepared` apply ran.
        succeeded: the addresses whose step succeeded
            (:attr:`~personalize_reconcile.engine.ApplyResult.succeeded`).

    Returns:
        ``[(address, trackingId)]`` in plan order, read with DescribeEventTracker (the
        Create answer's trackingId is not kept); a tracker gone since is left out.

    Raises:
        botocore.exceptions.ClientError / BotoCoreError: the read failed.
    """
    out = []
    done = set(succeeded)
    for change in prepared.plan.changes:
        if change.type != "event_tracker" or change.address not in done:
            continue
        if change.action not in ("create", "replace"):
            continue
        arn = prepared.ctx.arns.get(change.address)
        raw = prepared.kinds["event_tracker"].describe(prepared.ctx, arn) if arn else None
        if raw is not None and raw.get("trackingId"):
            out.append((change.address, raw["trackingId"]))
    return out
