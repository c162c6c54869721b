"""Metric attributions: CreateMetricAttribution, DescribeMetricAttribution,
ListMetricAttributions, UpdateMetricAttribution, ListMetricAttributionMetrics,
DeleteMetricAttribution.

One job: the rules of a group's metric attribution: the group ACTIVE, one attribution per
group, 1 to 10 metrics with unique names, each expression ``SAMPLECOUNT()`` or
``SUM(<Interactions|Items>.<COLUMN>)`` over a numeric column of a dataset the group has,
an output path in S3. Updates add and remove metrics by name and
replace the output config at once (the service documents no ``latest*Update`` for this
kind). A dataset a metric sums over cannot be deleted while the attribution exists
(``datasets``). Callers: ``control.call``.

Sources: reference §1 (ARN ``metric-attribution/<name>``), §2 (MetricAttribution row: no
tags, Std statuses assumed, ListMetricAttributionMetrics answers ``metrics``), §3 (delete
order, errors: UpdateMetricAttribution may answer AlreadyExists), §9 (one per group, at
most 10 metrics); the botocore model for shapes; the expression grammar from the
developer guide's CreateMetricAttribution page ("SUM(Items.PRICE)", "SAMPLECOUNT()").
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.pagination import (
    DEFAULT_PAGE,
    decode_token,
    encode_token,
)
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import (
    InvalidInputException,
    ResourceAlreadyExistsException,
)
from personalize_reconcile.local.store import Resource

KIND = "metric-attribution"
MAX_METRICS = 10
"""Metrics per attribution (reference §9)."""

_EXPRESSION = re.compile(r"\s*(?:SAMPLECOUNT\(\s*\)|SUM\(\s*(\w+)\.(\w+)\s*\))\s*")
_DATASET_TYPES = {"INTERACTIONS": "Interactions", "ITEMS": "Items"}
_NUMERIC = {"int", "long", "float", "double"}

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeMetricAttribution", "ListMetricAttributions", "datasetGroupArn")


def _datasets(store: Any, conn: sqlite3.Connection, group: str) -> dict[str, Resource]:
    """The group's datasets that a metric may sum over, by the type an expression names
    (``Interactions``, ``Items``)."""
    out = {}
    for ds in store.select(conn, "kind='dataset' AND grp=?", (group,)):
        name = _DATASET_TYPES.get(ds.body.get("datasetType", ""))
        if name and not (ds.status or "").startswith("DELETE"):
            out[name] = ds
    return out


def _numeric_columns(store: Any, conn: sqlite3.Connection, dataset: Resource) -> set[str]:
    schema = store.get(dataset.body.get("schemaArn", ""), conn)
    try:
        fields = json.loads(schema.body["schema"])["fields"] if schema else []
    except (KeyError, TypeError, ValueError):
        return set()
    out = set()
    for f in fields:
        types = f.get("type")
        types = types if isinstance(types, list) else [types]
        if any(t in _NUMERIC for t in types if isinstance(t, str)):
            out.add(f.get("name"))
    return out


def _check_metrics(
    ctx: RequestContext, conn: sqlite3.Connection, group: str, metrics: list[dict]
) -> None:
    """Refuse metrics whose names repeat or whose expressions cannot be computed.

    Raises:
        InvalidInputException: a repeated metric name; an expression that is neither
            ``SAMPLECOUNT()`` nor ``SUM(<Interactions|Items>.<COLUMN>)``; a dataset the
            group lacks; a column that is not a numeric field of its schema.
    """
    seen: set[str] = set()
    datasets = _datasets(ctx.store, conn, group)
    for m in metrics:
        name = m["metricName"]
        if name in seen:
            raise InvalidInputException(f"Metric name {name} is given more than once.")
        seen.add(name)
        found = _EXPRESSION.fullmatch(m["expression"])
        if found is None:
            raise InvalidInputException(
                f"Metric {name}: expression {m['expression']!r} is not valid; use "
                "SAMPLECOUNT() or SUM(<Interactions|Items>.<COLUMN>), e.g. SUM(Items.PRICE)."
            )
        if found.group(1) is None:
            continue
        kind, column = found.group(1), found.group(2)
        if kind not in ("Interactions", "Items"):
            raise InvalidInputException(
                f"Metric {name}: {kind} is not a dataset type a metric can sum over; use "
                "Interactions or Items."
            )
        dataset = datasets.get(kind)
        if dataset is None:
            raise InvalidInputException(
                f"Metric {name}: dataset group {group} has no {kind} dataset."
            )
        if column not in _numeric_columns(ctx.store, conn, dataset):
            raise InvalidInputException(
                f"Metric {name}: {column} is not a numeric field (int, long, float or "
                f"double) of the {kind} dataset's schema."
            )


def _check_output(config: dict) -> None:
    """Refuse an output path that is not ``s3://`` (the input shape allows http too; the
    role ARN's form is the shape's pattern)."""
    path = (config.get("s3DataDestination") or {}).get("path")
    if path is not None and not path.startswith("s3://"):
        raise InvalidInputException(
            f"metricsOutputConfig.s3DataDestination.path {path!r} must be an s3:// location."
        )


@operation("CreateMetricAttribution")
def create_metric_attribution(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateMetricAttribution: group ACTIVE, one attribution per group, 1-10 valid
    metrics, an IAM role in the output config (reference §2, §3, §9)."""
    group = records.load_parent(ctx, conn, params["datasetGroupArn"], "dataset-group")
    existing = ctx.store.select(conn, "kind=? AND grp=?", (KIND, group.arn), 1)
    if existing:
        raise ResourceAlreadyExistsException(
            f"Dataset group {group.arn} already has metric attribution {existing[0].arn}."
        )
    metrics = params["metrics"]  # 1 to 10: the input shape's length limits
    _check_metrics(ctx, conn, group.arn, metrics)
    _check_output(params["metricsOutputConfig"])
    arn = make_arn(ctx, f"metric-attribution/{params['name']}")
    body = {
        "name": params["name"],
        "metricAttributionArn": arn,
        "datasetGroupArn": group.arn,
        "metricsOutputConfig": params["metricsOutputConfig"],
    }
    res = records.create_under(ctx, conn, group, KIND, arn, body, params)
    res.extra["metrics"] = metrics
    ctx.store.save(conn, res, touch=False)
    return {"metricAttributionArn": arn}


@operation("UpdateMetricAttribution")
def update_metric_attribution(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """UpdateMetricAttribution: removes ``removeMetrics`` (names it has), adds
    ``addMetrics`` (names it does not have: ResourceAlreadyExistsException), keeps at most
    10, and replaces ``metricsOutputConfig`` when given; the attribution must be ACTIVE."""
    res = records.require_active(
        records.load(ctx, conn, params.get("metricAttributionArn", ""), KIND)
    )
    metrics = {m["metricName"]: m for m in res.extra.get("metrics", [])}
    for name in params.get("removeMetrics") or []:
        if name not in metrics:
            raise InvalidInputException(f"Metric attribution {res.arn} has no metric named {name}.")
        del metrics[name]
    added = params.get("addMetrics") or []
    for m in added:
        if m["metricName"] in metrics:
            raise ResourceAlreadyExistsException(
                f"Metric attribution {res.arn} already has a metric named {m['metricName']}."
            )
    _check_metrics(ctx, conn, res.grp or "", added)
    merged = list(metrics.values()) + list(added)
    if not merged or len(merged) > MAX_METRICS:
        raise InvalidInputException(
            f"A metric attribution has 1 to {MAX_METRICS} metrics; this update leaves "
            f"{len(merged)}."
        )
    if params.get("metricsOutputConfig"):
        _check_output(params["metricsOutputConfig"])
        res.body["metricsOutputConfig"] = params["metricsOutputConfig"]
    res.extra["metrics"] = merged
    ctx.store.save(conn, res)
    return {"metricAttributionArn": res.arn}


@operation("ListMetricAttributionMetrics", read_only=True)
def list_metric_attribution_metrics(
    ctx: RequestContext, conn: sqlite3.Connection, params: dict
) -> dict:
    """ListMetricAttributionMetrics: the attribution's metrics (eventType, metricName,
    expression), in the order they were added, a page at a time. The model leaves
    ``metricAttributionArn`` optional; without it there is nothing to list
    (InvalidInputException)."""
    arn = params.get("metricAttributionArn", "")
    start = 0
    if params.get("nextToken"):
        start = decode_token(params["nextToken"], "ListMetricAttributionMetrics", arn)
    if not arn:
        raise InvalidInputException("metricAttributionArn is required: name the attribution.")
    metrics = records.load(ctx, conn, arn, KIND).extra.get("metrics", [])
    limit = params.get("maxResults") or DEFAULT_PAGE
    out: dict[str, Any] = {"metrics": metrics[start : start + limit]}
    if start + limit < len(metrics):
        out["nextToken"] = encode_token("ListMetricAttributionMetrics", arn, start + limit)
    return out


@operation("DeleteMetricAttribution")
def delete_metric_attribution(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DeleteMetricAttribution (no dependents, reference §3)."""
    records.delete(ctx, conn, records.load(ctx, conn, params["metricAttributionArn"], KIND))
    return {}


def sums_over(store: Any, conn: sqlite3.Connection, dataset: Resource) -> list[Resource]:
    """The metric attributions of ``dataset``'s group with a metric that sums over it
    (they block its delete, reference §3)."""
    name = _DATASET_TYPES.get(dataset.body.get("datasetType", ""))
    if name is None:
        return []
    users = []
    for res in store.select(conn, "kind=? AND grp=?", (KIND, dataset.grp)):
        for m in res.extra.get("metrics", []):
            found = _EXPRESSION.fullmatch(m.get("expression", ""))
            if found and found.group(1) == name:
                users.append(res)
                break
    return users
