"""Import modes a plan would have the service refuse: one job, refusing at plan time an
INCREMENTAL import into a dataset that has had no import, so that plan never promises an
import apply cannot make.

Reference §5: an INCREMENTAL import "is only allowed after at least one bulk import into
the dataset". The imports of one dataset run in manifest order (each waits for the one
declared before it; ``engine/desired.py``), so the rule bites the first import of a dataset
that this plan creates or replaces. Called by :func:`personalize_reconcile.engine.prepare`.
"""

from __future__ import annotations

from personalize_reconcile.engine.plan import Plan
from personalize_reconcile.resources import Desired


class ImportModeRefused(Exception):
    """The first import of a dataset the plan creates or replaces is INCREMENTAL.

    ``str()`` names each such import, its dataset and the rule, says that nothing was
    changed and how to go on.
    """


def refuse_first_incremental(plan: Plan, desired: dict[str, Desired]) -> None:
    """Raise :class:`ImportModeRefused` when a dataset that ``plan`` creates (or replaces,
    which starts it empty) gets an INCREMENTAL import before any other.

    Args:
        plan: the plan.
        desired: address -> desired resource (``import.<name>`` entries carry
            ``extra["dataset_address"]``; the first import of a dataset depends on the
            dataset alone).

    Raises:
        ImportModeRefused: the service would refuse such an import (reference §5).
    """
    new = {c.address for c in plan.changes if c.type == "dataset" and "create" in c.actions}
    first = [
        d
        for d in desired.values()
        if d.kind == "import"
        and d.extra.get("dataset_address") in new
        and d.depends_on == [d.extra["dataset_address"]]
        and d.fields.get("importMode") == "INCREMENTAL"
    ]
    if not first:
        return
    lines = "".join(
        f"\n  {d.address} is the first import of {d.extra['dataset_address']}, which this "
        "plan creates, and its importMode is INCREMENTAL"
        for d in first
    )
    raise ImportModeRefused(
        "the service allows an INCREMENTAL import only after at least one earlier import "
        f"into the dataset; nothing was changed:{lines}\n"
        "  To go on, make the first import of the dataset importMode FULL (the default), or "
        "declare a FULL import before it."
    )
