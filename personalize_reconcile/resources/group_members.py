"""Group members the manifest does not declare yet: filters and event trackers.

One job: let ``destroy`` find, delete and wait for the resources of a dataset group that
the service requires gone before it deletes the group's datasets and the group (reference
§3): every filter blocks every dataset; the event tracker blocks the Interactions dataset.
Each is listed per group (ListFilters answers ``Filters``, ListEventTrackers
``eventTrackers``; reference §2), read with its Describe and deleted with its Delete.
A kind added later that behaves so needs one row in :data:`MEMBERS`.

Callers: the engine, through ``resources.kinds()``.
"""

from __future__ import annotations

from personalize_reconcile.resources.base import Kind

MEMBERS: tuple[tuple, ...] = (
    # kind, title, Describe key, ARN key, List paginator, List key, dataset types it blocks
    (
        "filter",
        "filter",
        "filter",
        "filterArn",
        "list_filters",
        "Filters",
        None,
    ),
    (
        "event_tracker",
        "event tracker",
        "eventTracker",
        "eventTrackerArn",
        "list_event_trackers",
        "eventTrackers",
        ("Interactions",),
    ),
)
"""One row per group member kind; ``None`` blocks every dataset type."""


class GroupMemberKind(Kind):
    """A kind from :data:`MEMBERS`: read, wait and delete only (no create or update).

    Args:
        row: one row of :data:`MEMBERS`.
    """

    def __init__(self, row: tuple) -> None:
        kind, title, result_key, arn_key, paginator, list_key, blocks = row
        self.kind, self.title = kind, title
        self.result_key, self.arn_key = result_key, arn_key
        self.group_list = (paginator, list_key)
        self.blocks_dataset_types = blocks


def group_member_kinds() -> list[GroupMemberKind]:
    """A fresh kind object per row of :data:`MEMBERS`, in the order they are deleted
    (filters before the event tracker, reference §3)."""
    return [GroupMemberKind(row) for row in MEMBERS]
