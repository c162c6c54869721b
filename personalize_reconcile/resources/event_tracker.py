"""Event tracker: where PutEvents sends a group's live interactions (CreateEventTracker;
reference §2).

One per dataset group (reference §3, §9), so the group's tracker is the manifest's,
whatever its name: read by listing the group's trackers (ListEventTrackers), then
DescribeEventTracker for its ``trackingId``, which the List summary lacks (reference §2).
Its ARN carries a generated id, not the name (reference §1). Nothing changes in place
(there is no UpdateEventTracker): a new name replaces the tracker, and the new one gets a
new tracking ID, which the plan's reason says (:meth:`EventTrackerKind.replace_note`).
The kind also has a ``group_list``: the service deletes no Interactions dataset while the
group's tracker exists (reference §3), so ``destroy`` lists it, undeclared too.

Callers: the engine, through ``resources.kinds()`` and ``engine/desired.py``;
``engine/outputs.py`` reads the tracking ID of one apply created.
"""

from __future__ import annotations

from personalize_reconcile.resources.base import Context, Desired, Kind, Live, Policy


class EventTrackerKind(Kind):
    """The ``event_tracker`` resource kind."""

    kind = "event_tracker"
    title = "event tracker"
    result_key = "eventTracker"
    arn_key = "eventTrackerArn"
    policy = {"name": Policy.REPLACE}
    group_list = ("list_event_trackers", "eventTrackers")
    blocks_dataset_types = ("Interactions",)

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        group = ctx.arns.get(desired.extra["group_address"])
        if group is None:
            return None
        found = [
            t
            for page in ctx.personalize.get_paginator("list_event_trackers").paginate(
                datasetGroupArn=group
            )
            for t in page.get("eventTrackers", [])
        ]
        if not found:
            return None
        # one per group; a named one first, should the service ever list two
        summary = next((t for t in found if t["name"] == desired.name), found[0])
        raw = self.describe(ctx, summary["eventTrackerArn"]) or summary
        return self.live(raw, {"name": raw.get("name")})

    def find(self, ctx: Context, desired: Desired) -> Live | None:
        live = self.read(ctx, desired)
        return live if live is not None and live.fields["name"] == desired.name else None

    def replace_note(self, desired: Desired) -> str:
        """What replacing the tracker means for callers, appended to the plan's reason."""
        return (
            "the new event tracker gets a new tracking ID: PutEvents calls with the old one "
            "fail once it is deleted (preconcile output shows the new one)"
        )

    def create(self, ctx: Context, desired: Desired) -> str:
        return ctx.personalize.create_event_tracker(
            name=desired.name,
            datasetGroupArn=ctx.arns[desired.extra["group_address"]],
            tags=ctx.tags_for(desired),
        )["eventTrackerArn"]
