"""Quotas of the region that a plan would break: one job, refusing at plan time a create
the service would refuse for a resource-count quota, so that plan never promises what
apply cannot do.

What the manifest alone decides (solutions, campaigns, filters per dataset group) is
counted by ``preconcile validate`` (:mod:`personalize_reconcile.manifest.checks`); what
depends on the rest of the region is counted here, from what refresh read: the active
dataset groups per region (reference §9: 5, adjustable; ``quotas.datasetGroupsPerRegion``
declares a raised value, which the local target, keeping the service's defaults, does not
have). Called by :func:`personalize_reconcile.engine.prepare`.
"""

from __future__ import annotations

from personalize_reconcile.engine.plan import Plan
from personalize_reconcile.rules import limits
from personalize_reconcile.rules.problems import listed

NAMES_SHOWN = 10
"""At most this many of the region's dataset groups are named in the refusal."""


class QuotaRefused(Exception):
    """The plan creates a dataset group the region has no room for (reference §9).

    ``str()`` says how many groups there are and which, the quota, that nothing was
    changed, and how to go on.
    """


def refuse_over_quota(
    plan: Plan, region_groups: list[str] | None, raised: int | None, target: str
) -> None:
    """Raise :class:`QuotaRefused` when ``plan`` creates a dataset group (a create, or a
    replacement that creates the new group first) while ``region_groups`` already fill
    the quota.

    Args:
        plan: the plan.
        region_groups: the names of the region's dataset groups not being deleted
            (``Context.region_dataset_groups``), or ``None`` when they were not read.
        raised: ``quotas.datasetGroupsPerRegion`` when the manifest declares it, else
            ``None`` (the default, 5).
        target: ``local`` (which keeps the default whatever is declared) or ``aws``.

    Raises:
        QuotaRefused: the create would fail with LimitExceededException.
    """
    quota = limits.DATASET_GROUPS_PER_REGION
    creates = [c for c in plan.changes if c.type == "dataset_group" and c.actions[:1] == ["create"]]
    if not creates or region_groups is None:
        return
    allowed = raised if target != "local" else None
    problem = limits.count_problem(quota, len(region_groups) + len(creates), allowed)
    if problem is None:
        return
    message, hint = problem
    shown = listed(sorted(region_groups), NAMES_SHOWN)
    if target == "local":
        hint = (
            "delete a dataset group that is no longer needed (preconcile destroy with its "
            "manifest); the local target keeps the service's default quotas"
        )
    else:
        hint = "delete a dataset group that is no longer needed, or " + hint.removeprefix(
            "remove some, or "
        )
    names = ", ".join(c.name for c in creates)
    raise QuotaRefused(
        f"creating dataset group {names} would make {message}, so the service would refuse "
        f"it (LimitExceededException); nothing was changed.\n"
        f"  Dataset groups in {plan.region} now: {shown}.\n"
        f"  To go on, {hint}."
    )
