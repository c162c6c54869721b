"""Metric attribution: what each event type is worth, reported to CloudWatch and S3
(CreateMetricAttribution, UpdateMetricAttribution, DeleteMetricAttribution; reference §2).

Field policies: ``metrics`` and ``metricsOutputConfig`` update in place through
UpdateMetricAttribution: the metrics are compared by name, and the update removes the
names the manifest dropped or changed (``removeMetrics``) and adds the ones it added or
changed (``addMetrics``), with the whole output config when it differs. The metrics are
read with ListMetricAttributionMetrics (Describe does not carry them, reference §2) and
compared as ``{metricName: {eventType, expression}}``, so their order does not matter and a
plan shows each changed metric at its own path. A metric attribution carries no tags
(reference §2): it is this manifest's when its dataset group is (``owned_with_group``).

Callers: the engine, through ``resources.kinds()``.
"""

from __future__ import annotations

from typing import Any

from personalize_reconcile.resources.base import Context, Desired, Kind, Live, Policy
from personalize_reconcile.resources.normalize import canonical


def metrics_by_name(metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """``[{eventType, metricName, expression}]`` as ``{metricName: {eventType,
    expression}}`` (canonical), the form plans compare."""
    return canonical(
        {
            m["metricName"]: {"eventType": m.get("eventType"), "expression": m.get("expression")}
            for m in metrics
        }
    )


class MetricAttributionKind(Kind):
    """The ``metric_attribution`` resource kind."""

    kind = "metric_attribution"
    title = "metric attribution"
    result_key = "metricAttribution"
    arn_key = "metricAttributionArn"
    taggable = False
    owned_with_group = True
    managed = True
    group_list = ("list_metric_attributions", "metricAttributions")
    blocks_dataset_types = ("Interactions", "Items")  # the datasets a metric sums over
    policy = {
        "metrics": Policy.UPDATE,
        "metricsOutputConfig": Policy.UPDATE,
    }

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        arn = ctx.arn(f"metric-attribution/{desired.name}")
        if arn is None:
            return None
        raw = self.describe(ctx, arn)
        if raw is None:
            return None
        metrics: list[dict[str, Any]] = []
        pages = ctx.personalize.get_paginator("list_metric_attribution_metrics").paginate(
            metricAttributionArn=arn
        )
        for page in pages:
            metrics.extend(page.get("metrics", []))
        fields = {
            "metrics": metrics_by_name(metrics),
            "metricsOutputConfig": raw.get("metricsOutputConfig") or {},
        }
        return self.live(raw, fields)

    def create(self, ctx: Context, desired: Desired) -> str:
        return ctx.personalize.create_metric_attribution(
            name=desired.name,
            datasetGroupArn=ctx.arns[desired.extra["group_address"]],
            metrics=desired.extra["metrics"],
            metricsOutputConfig=desired.extra["output"],
        )["metricAttributionArn"]

    def update(self, ctx: Context, desired: Desired, live: Live) -> None:
        """One UpdateMetricAttribution: ``removeMetrics`` the live names the manifest
        dropped or changed, ``addMetrics`` the manifest's metrics that are new or changed,
        and ``metricsOutputConfig`` (whole) when it differs."""
        wanted = desired.fields.get("metrics", {})
        have = live.fields.get("metrics", {})
        args: dict[str, Any] = {"metricAttributionArn": live.arn}
        remove = sorted(n for n in have if wanted.get(n) != have[n])
        add = [
            m
            for m in desired.extra["metrics"]
            if have.get(m["metricName"]) != wanted.get(m["metricName"])
        ]
        if remove:
            args["removeMetrics"] = remove
        if add:
            args["addMetrics"] = add
        if desired.fields.get("metricsOutputConfig") != live.fields.get("metricsOutputConfig"):
            args["metricsOutputConfig"] = desired.extra["output"]
        ctx.personalize.update_metric_attribution(**args)
