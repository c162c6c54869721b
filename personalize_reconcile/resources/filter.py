"""Filter: a filter of recommendations in the dataset group (CreateFilter; reference §2).

Per-field policy: ``filterExpression`` forces replacement, since the service has no
UpdateFilter (reference §2: Filter, "Update: none"). A replacement deletes the filter and
creates it again under the same name, so its ARN stays the same (reference §1: names make
ARNs, and a name freed by a finished delete yields the same ARN); until the new filter is
ACTIVE, runtime requests that pass its ``filterArn`` fail. The plan's reason says so and
names the campaigns of the manifest, which such requests go to (:meth:`FilterKind.
replace_note`).

Read with DescribeFilter on ``filter/<name>`` (filter names are unique per account and
region: one in another dataset group holds the name). The kind also has a ``group_list``:
the service deletes no dataset while any filter of its group exists (reference §3), so
``destroy`` lists the group's filters, the undeclared ones too
(:func:`personalize_reconcile.engine.discover.group_members`).

Callers: the engine, through ``resources.kinds()`` and ``engine/desired.py``.
"""

from __future__ import annotations

from personalize_reconcile.resources.base import Context, Desired, Kind, Live, Policy


class FilterKind(Kind):
    """The ``filter`` resource kind."""

    kind = "filter"
    title = "filter"
    result_key = "filter"
    arn_key = "filterArn"
    policy = {"filterExpression": Policy.REPLACE}
    group_list = ("list_filters", "Filters")
    managed = True
    blocks_dataset_types = None  # every dataset of the group (reference §3)

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        arn = ctx.arn(f"filter/{desired.name}")
        raw = self.describe(ctx, arn) if arn else None
        if raw is None:
            return None
        if raw.get("datasetGroupArn") != ctx.arns.get(desired.extra["group_address"]):
            raw = dict(raw, foreign=True)
        return self.live(raw, {"filterExpression": raw.get("filterExpression")})

    def replace_note(self, desired: Desired) -> str:
        """What replacing the filter means for callers, appended to the plan's reason:
        ``the service has no UpdateFilter, so the filter is deleted and created again
        with the same name and ARN; until the new one is ACTIVE, GetRecommendations and
        GetPersonalizedRanking requests to campaign <c> that pass its filterArn fail``
        (``campaigns <a>, <b>``, ``and recommender <r>``; with neither in the manifest,
        ``requests that pass its filterArn fail``)."""
        users = [
            f"{word}{'s' if len(names) > 1 else ''} {', '.join(names)}"
            for word, names in (
                ("campaign", desired.extra.get("campaigns") or []),
                ("recommender", desired.extra.get("recommenders") or []),
            )
            if names
        ]
        to = f" to {' and '.join(users)}" if users else ""
        return (
            "the service has no UpdateFilter, so the filter is deleted and created again "
            "with the same name and ARN; until the new one is ACTIVE, GetRecommendations "
            f"and GetPersonalizedRanking requests{to} that pass its filterArn fail"
        )

    def create(self, ctx: Context, desired: Desired) -> str:
        return ctx.personalize.create_filter(
            name=desired.name,
            datasetGroupArn=ctx.arns[desired.extra["group_address"]],
            filterExpression=desired.fields["filterExpression"],
            tags=ctx.tags_for(desired),
        )["filterArn"]
