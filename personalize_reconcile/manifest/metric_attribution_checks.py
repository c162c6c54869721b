"""Checks of the manifest's ``metricAttributions:`` section.

One job: what the service would refuse about a metric attribution, found before any API
call (reference §2, §9): its name, 1 to 10 metrics with unique names (botocore's
``MetricAttributes`` shape), each expression ``SAMPLECOUNT()`` or
``SUM(<Interactions|Items>.<COLUMN>)`` over a numeric field of the schema of a declared
dataset (:mod:`personalize_reconcile.rules.attribution`), and the output config (an IAM
role ARN, an ``s3://`` path). The count quota (one per group) is checked with the others by
:meth:`Checker.check_quotas`.

Called by :meth:`personalize_reconcile.manifest.checks.Checker.run`.
"""

from __future__ import annotations

from typing import Any

from personalize_reconcile.rules import attribution, avro
from personalize_reconcile.rules.problems import shown


def check_metric_attributions(checker: Any, dataset_types: dict[str, str]) -> None:
    """Add a diagnostic to ``checker`` for every problem of ``metricAttributions:``.

    Args:
        checker: the :class:`~personalize_reconcile.manifest.checks.Checker` collecting
            diagnostics.
        dataset_types: ``{dataset type: schema name}`` of the sound declared datasets.

    Messages (each at the value's ``file:line``): ``11 metrics; a metric attribution has 1
    to 10``; ``metric name 'x' is already used by
    metrics[0]``; ``expression 'SUM(Items)' is neither SAMPLECOUNT() nor
    SUM(<Interactions|Items>.<COLUMN>)``; ``SUM over Users: a metric sums over Interactions
    or Items``; ``the manifest declares no Items dataset``; ``PRICE is not a field of the
    Items schema shop-items``; ``COLOR is a string field of the Items schema shop-items;
    SUM needs a numeric one (int, long, float or double)``; ``path 'x' is not an s3://
    location``.
    """
    for name, spec in checker.section("metricAttributions").items():
        path = ("metricAttributions", name)
        checker.name(path, name, key=True)
        if not isinstance(spec, dict):
            continue
        metrics = spec.get("metrics")
        if isinstance(metrics, list):
            if not 1 <= len(metrics) <= attribution.MAX_METRICS:
                checker.add(
                    path + ("metrics",),
                    f"{len(metrics)} metrics; a metric attribution has 1 to "
                    f"{attribution.MAX_METRICS}",
                    "keep between 1 and 10 metrics",
                )
            seen: dict[str, int] = {}
            for i, metric in enumerate(metrics):
                if isinstance(metric, dict):
                    _check_metric(checker, path + ("metrics", i), metric, seen, dataset_types)
        output = spec.get("metricsOutputConfig")
        if isinstance(output, dict):
            at = path + ("metricsOutputConfig",)
            role = output.get("roleArn")
            if isinstance(role, str) and not checker.literal_reference(at + ("roleArn",), role):
                checker.api_value(
                    at + ("roleArn",),
                    "CreateDatasetImportJob",
                    "roleArn",
                    role,
                    "use arn:aws:iam::<12-digit account>:role/<name>",
                )
            dest = output.get("s3DataDestination")
            where = dest.get("path") if isinstance(dest, dict) else None
            if isinstance(where, str) and (not where.startswith("s3://") or len(where) <= 5):
                checker.add(
                    at + ("s3DataDestination", "path"),
                    f"path {shown(where)} is not an s3:// location",
                    "write s3://bucket/prefix/",
                )


def _check_metric(
    checker: Any, path: tuple, metric: dict, seen: dict[str, int], dataset_types: dict
) -> None:
    name = metric.get("metricName")
    if isinstance(name, str):
        if name in seen:
            checker.add(
                path + ("metricName",),
                f"metric name {shown(name)} is already used by metrics[{seen[name]}]",
                "give each metric its own name",
            )
        seen.setdefault(name, path[-1])
    expression = metric.get("expression")
    if not isinstance(expression, str):
        return
    at = path + ("expression",)
    try:
        dataset, column = attribution.parse_expression(expression)
    except ValueError as e:
        checker.add(at, str(e), "for example SAMPLECOUNT() or SUM(Items.PRICE)")
        return
    if not dataset:
        return
    if dataset not in attribution.SUMMABLE:
        checker.add(
            at,
            f"SUM over {dataset}: a metric sums over Interactions or Items",
            f"write SUM(Interactions.{column}) or SUM(Items.{column})",
        )
        return
    schema_name = dataset_types.get(dataset)
    if schema_name is None:
        checker.add(
            at,
            f"the manifest declares no {dataset} dataset for {shown(expression)} to sum over",
            f"add datasets.{dataset}, or sum over another dataset",
        )
        return
    doc = checker.schema_docs.get(schema_name)
    if doc is None:
        return
    try:
        fields = {f.name: f for f in avro.parse_fields(doc.data)}
    except ValueError:
        return  # the schema's own problems are reported where it is
    field = fields.get(column)
    if field is None:
        checker.add(
            at,
            f"{column} is not a field of the {dataset} schema {schema_name}",
            "fields there: " + ", ".join(fields),
        )
    elif field.type not in attribution.NUMERIC_TYPES:
        checker.add(
            at,
            f"{column} is a {field.type} field of the {dataset} schema {schema_name}; SUM "
            "needs a numeric one (int, long, float or double)",
            "sum a numeric field, or count events with SAMPLECOUNT()",
        )
