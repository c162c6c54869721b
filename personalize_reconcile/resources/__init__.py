"""Resource kinds: one module per Personalize resource the manifest manages.

Public surface: :data:`KINDS` (kind name -> :class:`~personalize_reconcile.resources.base.
Kind` instance, in dependency order) and the types in :mod:`.base`.

Callers: the engine (desired state, refresh, plan, apply, destroy) and ``render/human.py``.
"""

from personalize_reconcile.resources.base import (
    OWNERSHIP_TAG,
    UNKNOWN,
    Context,
    Desired,
    Kind,
    Live,
    Policy,
    Ref,
    State,
)
from personalize_reconcile.resources.campaign import CampaignKind
from personalize_reconcile.resources.dataset import DatasetKind
from personalize_reconcile.resources.dataset_group import DatasetGroupKind
from personalize_reconcile.resources.event_tracker import EventTrackerKind
from personalize_reconcile.resources.filter import FilterKind
from personalize_reconcile.resources.import_job import ImportJobKind
from personalize_reconcile.resources.schema import SchemaKind
from personalize_reconcile.resources.solution import SolutionKind
from personalize_reconcile.resources.solution_version import SolutionVersionKind


def kinds() -> dict[str, Kind]:
    """A fresh set of kind objects (some cache List results for one refresh), in
    dependency order: a kind is deleted before every kind listed ahead of it (reference §3:
    campaigns, versions, imports, filters, event trackers, solutions, datasets, schemas,
    dataset group). Kinds with a ``group_list`` (filters, event trackers) are also found,
    declared or not, by ``engine/discover.py``."""
    return {
        k.kind: k
        for k in (
            DatasetGroupKind(),
            SchemaKind(),
            DatasetKind(),
            SolutionKind(),
            EventTrackerKind(),
            FilterKind(),
            ImportJobKind(),
            SolutionVersionKind(),
            CampaignKind(),
        )
    }


__all__ = [
    "OWNERSHIP_TAG",
    "UNKNOWN",
    "Context",
    "Desired",
    "Kind",
    "Live",
    "Policy",
    "Ref",
    "State",
    "kinds",
]
