"""Metric attribution values: what the local target computes from the events recorded
with PutEvents, written to the attribution's output path.

One job: for each metric of a dataset group's metric attribution, compute its value over
every event of the metric's ``eventType`` recorded with PutEvents (the Interactions
dataset's records put one by one), and write it as JSON to
``<metricsOutputConfig.s3DataDestination.path>/metrics/<metricName>.json``:

    {"metricName": "...", "eventType": "...", "expression": "...",
     "eventCount": <events of that type>, "value": <number>}

``SAMPLECOUNT()`` counts those events; ``SUM(Interactions.<COLUMN>)`` sums the column
over them (nulls count 0); ``SUM(Items.<COLUMN>)`` sums the column of each event's item
in the Items dataset (items without a record, or with a null, count 0). The service
reports these values to CloudWatch per event attribution source, and to S3 for imported
data too; the local target writes totals over recorded events only, and does not split
them by ``metricAttribution.eventAttributionSource``. Caller: ``events`` (after each
PutEvents that records events into a group with a metric attribution).

Source: the developer guide's "Measuring the impact of recommendations" (metric
expressions SAMPLECOUNT() and SUM(DatasetType.COLUMN)); reference §2.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from personalize_reconcile.local.datastore import DatasetStore
from personalize_reconcile.local.objectstore import ObjectStore

_SUM = re.compile(r"\s*SUM\(\s*(\w+)\.(\w+)\s*\)\s*")


def metrics_uri(path: str, metric_name: str) -> str:
    """Where a metric's value is written: ``<path>/metrics/<metricName>.json``."""
    return f"{path.rstrip('/')}/metrics/{metric_name}.json"


def _numbers(column: np.ndarray | None, nulls: np.ndarray | None, n: int) -> np.ndarray:
    if column is None:
        return np.zeros(n)
    values = np.asarray(column, dtype=np.float64)
    if nulls is not None:
        values = np.where(nulls, 0.0, values)
    return np.nan_to_num(values, nan=0.0)


def compute(
    data: DatasetStore, metrics: list[dict], interactions_arn: str, items_arn: str | None
) -> list[dict[str, Any]]:
    """The value of each metric over the events recorded into ``interactions_arn``.

    Args:
        data: the state dir's dataset store.
        metrics: the attribution's metrics (``eventType``, ``metricName``, ``expression``).
        interactions_arn: the group's Interactions dataset.
        items_arn: the group's Items dataset, or ``None``.

    Returns:
        One dict per metric, in order, as written by :func:`publish`.
    """
    events = data.load(interactions_arn, source="PUT")
    n = events.num_rows
    types = events.columns.get("EVENT_TYPE")
    items_table = None
    out = []
    for metric in metrics:
        mask = (
            np.array([t == metric["eventType"] for t in types], dtype=bool)
            if types is not None
            else np.zeros(n, dtype=bool)
        )
        value = float(mask.sum())
        found = _SUM.fullmatch(metric["expression"])
        if found is not None:
            kind, column = found.group(1), found.group(2)
            if kind == "Interactions":
                values = _numbers(events.columns.get(column), events.nulls.get(column), n)
                value = float(values[mask].sum())
            else:
                if items_table is None:
                    items_table = data.load(items_arn) if items_arn else None
                lookup: dict[str, float] = {}
                if items_table is not None and column in items_table.columns:
                    numbers = _numbers(
                        items_table.columns[column],
                        items_table.nulls.get(column),
                        items_table.num_rows,
                    )
                    lookup = dict(
                        zip(items_table.columns["ITEM_ID"].tolist(), numbers.tolist(), strict=True)
                    )
                ids = events.columns.get("ITEM_ID")
                value = float(
                    sum(lookup.get(ids[i], 0.0) for i in np.flatnonzero(mask))
                    if ids is not None
                    else 0.0
                )
        out.append(
            {
                "metricName": metric["metricName"],
                "eventType": metric["eventType"],
                "expression": metric["expression"],
                "eventCount": int(mask.sum()),
                "value": value if math.isfinite(value) else 0.0,
            }
        )
    return out


def publish(store: ObjectStore, path: str, values: list[dict[str, Any]]) -> None:
    """Write each computed metric to :func:`metrics_uri` (replacing the earlier value).

    Raises:
        personalize_reconcile.local.objectstore.ObjectStoreError: the object cannot be
            written (a bad bucket name in the path).
    """
    for value in values:
        store.put(metrics_uri(path, value["metricName"]), json.dumps(value, indent=2).encode())
