"""Datasets a plan deletes that the service would refuse to delete: one job, refusing at
plan time the delete of a dataset no longer in the manifest while its dataset group keeps
what blocks it, so that plan never promises a delete apply cannot make.

Reference §3: a dataset is deleted only once its group has no filter, no event tracker
(for the Interactions dataset), no metric attribution summing over it (Interactions and
Items), no campaign creating or ACTIVE, and no solution version training. What the plan
itself deletes is no blocker: apply deletes it first (``engine/apply.py``,
``build_graph``). Called by :func:`personalize_reconcile.engine.prepare`.
"""

from __future__ import annotations

from personalize_reconcile.engine.discover import group_members
from personalize_reconcile.engine.plan import Plan
from personalize_reconcile.resources import Context

_TRAINING = ("CREATE PENDING", "CREATE IN_PROGRESS", "CREATE STOPPING")
"""Solution version statuses that keep the service from deleting the group's datasets."""


class DatasetDeleteRefused(Exception):
    """Datasets the plan deletes whose group keeps what the service requires gone first.

    ``str()`` names each dataset and what blocks it, says that nothing was changed and how
    to go on.
    """


def refuse_blocked_dataset_deletes(ctx: Context, plan: Plan) -> None:
    """Raise :class:`DatasetDeleteRefused` when ``plan`` deletes a dataset (one the manifest
    no longer declares) while the group keeps a filter, event tracker, metric attribution
    or campaign that blocks it (reference §3).

    Args:
        ctx: the context refresh filled (the group's ARN; one List call per kind of group
            member is made, only when the plan deletes a dataset).
        plan: the plan.

    Raises:
        DatasetDeleteRefused: naming each dataset and its blockers.
    """
    deletes = [c for c in plan.changes if c.type == "dataset" and c.actions == ["delete"]]
    group = next((arn for a, arn in ctx.arns.items() if a.startswith("dataset_group.")), None)
    if not deletes or group is None:
        return
    deleted = {c.arn for c in plan.changes if "delete" in c.actions and c.arn}
    members = group_members(ctx, group)
    campaigns = [
        f"campaign {c.name}"
        for c in plan.changes
        if c.type == "campaign" and c.arn and c.arn not in deleted
    ]
    training = [
        f"solution version {live.raw.get('name') or address} ({live.status})"
        for address, live in ctx.live.items()
        if address.startswith("solution_version.") and live is not None and live.status in _TRAINING
    ]
    problems = []
    for change in deletes:
        dtype = change.address.split(".", 1)[1]  # dataset.<type>
        blockers = (
            sorted(
                f"{kind.title} {m.get('name')}"
                for kind, m in members
                if (kind.blocks_dataset_types is None or dtype in kind.blocks_dataset_types)
                and m.get(kind.arn_key) not in deleted
            )
            + sorted(campaigns)
            + sorted(training)
        )
        if blockers:
            problems.append(f"{change.address} ({change.name}): {', '.join(blockers)}")
    if problems:
        lines = "".join(f"\n  {p}" for p in problems)
        raise DatasetDeleteRefused(
            "the service deletes a dataset only once its dataset group has none of these, "
            f"and this plan keeps them; nothing was changed:{lines}\n"
            "  To go on, keep the dataset in the manifest, or take these out of the manifest "
            "too (apply then deletes them first; a campaign taken out stops answering)."
            + ("\n  A training must end before any dataset is deleted." if training else "")
        )
