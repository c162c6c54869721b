"""Service quotas and numeric limits a manifest can break that the botocore model does not
declare, each with its source in ``shared/reference/personalize-api.md``.

The model's own limits (string lengths, list sizes, ``min``/``max``, patterns, the range
of its integer types) are checked by :mod:`personalize_reconcile.rules.shapes`; what is
here comes from the Developer Guide: resource-count quotas (§9), import sizes (§5) and
the ranges of numbers the model carries as strings (§6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from personalize_reconcile.rules.problems import shown


@dataclass(frozen=True)
class Quota:
    """A quota on how many resources of one kind a dataset group (or region) may hold.

    Attributes:
        key: the manifest key under ``quotas:`` that declares a raised value, or ``""``
            when the quota cannot be raised.
        section: the manifest section whose entries count against it.
        title: the quota's name as the reference and Service Quotas give it.
        default: the value unless raised.
    """

    key: str
    section: str
    title: str
    default: int


SOLUTIONS_PER_GROUP = Quota(
    "solutionsPerDatasetGroup", "solutions", "active solutions per dataset group", 10
)
"""Reference §9: active solutions per dataset group, 10 (adjustable)."""

CAMPAIGNS_PER_GROUP = Quota(
    "campaignsPerDatasetGroup", "campaigns", "active campaigns per dataset group", 5
)
"""Reference §9: active campaigns per dataset group, 5 (adjustable)."""

FILTERS_PER_GROUP = Quota("filtersPerDatasetGroup", "filters", "filters per dataset group", 30)
"""Reference §9: filters per dataset group, 30 (adjustable)."""

SCHEMAS_PER_REGION = Quota("", "schemas", "active schemas per region", 500)
"""Reference §9: active schemas per region, 500 (the manifest's own count against it)."""

RECOMMENDERS_PER_GROUP = Quota("", "recommenders", "recommenders per dataset group", 5)
"""Reference §9: recommenders per dataset group, 5."""

METRIC_ATTRIBUTIONS_PER_GROUP = Quota(
    "", "metricAttributions", "metric attributions per dataset group", 1
)
"""Reference §9: one metric attribution per dataset group."""

DATASET_GROUPS_PER_REGION = Quota(
    "datasetGroupsPerRegion", "dataset groups", "active dataset groups per region", 5
)
"""Reference §9: active dataset groups per region, 5 (adjustable). Not in :data:`QUOTAS`:
a manifest declares one group, so plan counts the region's existing groups against it
(``engine.quota_refusal``)."""

QUOTAS = (
    SOLUTIONS_PER_GROUP,
    CAMPAIGNS_PER_GROUP,
    FILTERS_PER_GROUP,
    SCHEMAS_PER_REGION,
    RECOMMENDERS_PER_GROUP,
    METRIC_ATTRIBUTIONS_PER_GROUP,
)
"""Every count quota a manifest is checked against, in manifest order."""

GIB = 1024**3

MIN_INTERACTION_RECORDS = 1000
"""Reference §5: an import job into an Interactions dataset needs "at least 1000
interaction records"; Items and Users imports have no minimum."""

IMPORT_MAX_BYTES = {"FULL": 100 * GIB, "INCREMENTAL": 1 * GIB}
"""Reference §5: the data of one import job, at most 100 GB (FULL) or 1 GB (INCREMENTAL)."""

HPO_MAX = {"maxNumberOfTrainingJobs": 40, "maxParallelTrainingJobs": 10}
"""Reference §6: ``hpoResourceConfig`` bounds (the model carries them as strings)."""

AUTO_TRAINING_DAYS = (1, 30)
"""Reference §6: ``schedulingExpression`` is ``rate(N days)`` with N from 1 to 30."""

_RATE = re.compile(r"rate\(([0-9]+) days?\)")
_WHOLE = re.compile(r"[0-9]{1,9}")


def count_problem(quota: Quota, count: int, allowed: int | None = None) -> tuple[str, str] | None:
    """Return ``(message, hint)`` when ``count`` resources exceed ``quota``, else ``None``.

    Args:
        quota: the quota.
        count: how many resources the manifest declares in ``quota.section``.
        allowed: the raised value declared in the manifest (``quotas.<key>``), or ``None``
            for the default.
    """
    limit = quota.default if allowed is None else allowed
    if count <= limit:
        return None
    message = f"{count} {quota.section}; the service quota '{quota.title}' is {limit}" + (
        f" (quotas.{quota.key})" if allowed is not None else ""
    )
    if not quota.key:
        return message, f"remove some {quota.section}; this quota cannot be raised"
    if allowed is not None:
        return (
            message,
            f"remove some, or raise the quota in Service Quotas and update quotas.{quota.key}",
        )
    hint = (
        f"remove some, or if the account's quota was raised in Service Quotas, declare it: "
        f"quotas: {{{quota.key}: <new value>}}"
    )
    return message, hint


def scheduling_problem(expression: str) -> str | None:
    """Return why ``rate(N days)`` has N outside 1-30 (reference §6), else ``None``.

    Expressions that do not match the pattern at all are the model's business
    (``SchedulingExpression``), so they return ``None`` here.
    """
    m = _RATE.fullmatch(expression)
    if m is None:
        return None
    digits, (low, high) = m.group(1), AUTO_TRAINING_DAYS
    if _WHOLE.fullmatch(digits) and low <= int(digits) <= high:
        return None
    days = digits if len(digits) <= 20 else digits[:20] + "…"
    return f"the schedule must be every {low} to {high} days, not {days}"


def hpo_resource_problem(key: str, value: object) -> str | None:
    """Return why an ``hpoResourceConfig`` value is out of range (reference §6), else
    ``None``. Values are strings holding a whole number from 1 to :data:`HPO_MAX` [key];
    unknown keys and non-strings are left to the model check."""
    if key not in HPO_MAX or not isinstance(value, str):
        return None
    high = HPO_MAX[key]
    if not _WHOLE.fullmatch(value) or not 1 <= int(value) <= high:
        return (
            f"{key} must be a whole number from 1 to {high}, written as a string, "
            f"not {shown(value)}"
        )
    return None
