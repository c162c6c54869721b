"""Import modes a plan would have the service refuse: one job, refusing at plan time an
INCREMENTAL import into a dataset that has had no import, so that plan never promises an
import apply cannot make.

Reference §5: an INCREMENTAL import "is only allowed after at least one bulk import into
the dataset". The imports of one dataset run in manifest order (each waits for the one
declared before it; ``engine/desired.py``), so the rule bites the first import of a dataset
that this plan creates or replaces, or of one that exists with no completed import.
Called by :func:`personalize_reconcile.engine.prepare`.
"""

from __future__ import annotations

from collections.abc import Callable

from personalize_reconcile.engine.plan import Plan
from personalize_reconcile.resources import Desired


class ImportModeRefused(Exception):
    """The first import of a dataset the plan creates or replaces is INCREMENTAL.

    ``str()`` names each such import, its dataset and the rule, says that nothing was
    changed and how to go on.
    """


def refuse_first_incremental(
    plan: Plan, desired: dict[str, Desired], imported: Callable[[str], bool]
) -> None:
    """Raise :class:`ImportModeRefused` when the first import of a dataset is INCREMENTAL
    and the plan creates it while the dataset holds no import: the plan creates (or
    replaces, which starts it empty) the dataset, or the dataset exists with no import job
    that completed.

    Args:
        plan: the plan.
        desired: address -> desired resource (``import.<name>`` entries carry
            ``extra["dataset_address"]``; the first import of a dataset depends on the
            dataset alone).
        imported: dataset address -> whether an import job of that existing dataset
            completed (ACTIVE); asked only for datasets the plan does not create.

    Raises:
        ImportModeRefused: the service would refuse such an import (reference §5).
    """
    changes = {c.address: c for c in plan.changes}
    new = {a for a, c in changes.items() if c.type == "dataset" and "create" in c.actions}
    first = []
    for d in desired.values():
        dataset = d.extra.get("dataset_address")
        change = changes.get(d.address)
        if (
            d.kind != "import"
            or d.depends_on != [dataset]
            or d.fields.get("importMode") != "INCREMENTAL"
            or change is None
            or "create" not in change.actions
        ):
            continue
        if dataset in new:
            first.append((d, "which this plan creates"))
        elif not imported(dataset):
            first.append((d, "which holds no completed import"))
    if not first:
        return
    lines = "".join(
        f"\n  {d.address} is the first import of {d.extra['dataset_address']}, {why}, and its "
        "importMode is INCREMENTAL"
        for d, why in first
    )
    raise ImportModeRefused(
        "the service allows an INCREMENTAL import only after at least one earlier import "
        f"into the dataset; nothing was changed:{lines}\n"
        "  To go on, make the first import of the dataset importMode FULL (the default), or "
        "declare a FULL import before it."
    )
