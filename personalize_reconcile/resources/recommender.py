"""Recommender: a domain use case trained and served by the service (CreateRecommender,
UpdateRecommender, StopRecommender, StartRecommender, DeleteRecommender; reference §2, §7).

Field policies: ``recipeArn`` cannot change (the recommender is replaced);
``recommenderConfig`` updates in place with UpdateRecommender, always sent whole (the
service takes the whole configuration, reference §7); ``state`` (``ACTIVE`` or
``STOPPED``, the manifest's word for a running or an INACTIVE recommender) maps to
StopRecommender / StartRecommender. UpdateRecommender needs an ACTIVE recommender, so a
stopped one whose configuration changes is started, updated, and stopped again; each
step is waited out (``ACTIVE -> STOP PENDING -> STOP IN_PROGRESS -> INACTIVE -> START
PENDING -> START IN_PROGRESS -> ACTIVE``, and ``latestRecommenderUpdate``) through
:meth:`RecommenderKind.next_step`, which apply calls each time the recommender settles.
While an update is in progress the recommender is compared with
``latestRecommenderUpdate``, so the same update is never sent twice. The live
recommenderConfig is limited to the keys the manifest sets, plus any other key whose value
is not the service's default for it.

Callers: the engine, through ``resources.kinds()``.
"""

from __future__ import annotations

from typing import Any

from personalize_reconcile.resources.base import Context, Desired, Kind, Live, Policy, State
from personalize_reconcile.resources.normalize import canonical

STOPPED_STATUSES = ("INACTIVE", "STOP PENDING", "STOP IN_PROGRESS")
"""Statuses of a recommender that is stopped or stopping (reference §2)."""

SETTLED = ("ACTIVE", "INACTIVE")
"""Statuses a recommender rests in: serving, or stopped."""

SERVICE_DEFAULTS: dict[str, tuple] = {
    "minRecommendationRequestsPerSecond": (1, "1"),
    "enableMetadataWithRecommendations": (False,),
    "itemExplorationConfig": ({"explorationItemAgeCutOff": "30", "explorationWeight": "0.3"},),
    "trainingDataConfig": ({},),
}
"""recommenderConfig values the service may report for keys a manifest leaves out
(reference §7: ``minRecommendationRequestsPerSecond`` defaults to 1)."""


def manifest_state(status: str | None) -> str:
    """The manifest's ``state`` for a service status: ``STOPPED`` for INACTIVE and the
    stop statuses, ``ACTIVE`` otherwise."""
    return "STOPPED" if status in STOPPED_STATUSES else "ACTIVE"


class RecommenderKind(Kind):
    """The ``recommender`` resource kind."""

    kind = "recommender"
    title = "recommender"
    result_key = "recommender"
    arn_key = "recommenderArn"
    holds_data = True  # a trained model
    serves = True
    managed = True
    group_list = ("list_recommenders", "recommenders")
    blocks_dataset_types = ()  # only the group waits for it (reference §3)
    policy = {
        "recipeArn": Policy.REPLACE,
        "recommenderConfig": Policy.UPDATE,
        "state": Policy.UPDATE,
    }

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        arn = ctx.arn(f"recommender/{desired.name}")
        if arn is None:
            return None
        raw = self.describe(ctx, arn)
        if raw is None:
            return None
        update = raw.get("latestRecommenderUpdate") or {}
        pending = bool(update) and update.get("status") not in ("ACTIVE", "CREATE FAILED")
        source = update if pending else raw
        fields = {
            "recipeArn": raw.get("recipeArn"),
            "recommenderConfig": self.config_of(source, desired),
            "state": manifest_state(raw.get("status")),
        }
        return self.live(raw, fields, pending)

    def config_of(self, source: dict[str, Any], desired: Desired) -> dict[str, Any]:
        """The compared recommenderConfig of a Describe object (or its update): the keys
        the manifest sets, and any other whose value is not the service's default."""
        wanted = set(desired.extra.get("config_keys", ()))
        return canonical(
            {
                k: v
                for k, v in (source.get("recommenderConfig") or {}).items()
                if k in wanted or canonical(v) not in SERVICE_DEFAULTS.get(k, ())
            }
        )

    def latest_update(self, raw: dict[str, Any]) -> dict[str, Any] | None:
        return raw.get("latestRecommenderUpdate")

    def state(self, raw: dict[str, Any] | None) -> tuple[State, str | None]:
        """A stopped (INACTIVE) recommender has settled too; stopping and starting are
        pending (reference §2)."""
        if raw is not None and raw.get("status") == "INACTIVE":
            return State.READY, None
        return super().state(raw)

    def create(self, ctx: Context, desired: Desired) -> str:
        args: dict[str, Any] = {
            "name": desired.name,
            "datasetGroupArn": ctx.arns[desired.extra["group_address"]],
            "recipeArn": desired.fields["recipeArn"],
            "tags": ctx.tags_for(desired),
        }
        if desired.extra.get("config"):
            args["recommenderConfig"] = desired.extra["config"]
        return ctx.personalize.create_recommender(**args)["recommenderArn"]

    def update(self, ctx: Context, desired: Desired, live: Live) -> None:
        """Start the first step towards ``desired`` (see :meth:`next_step`); a recommender
        that is still stopping or starting is waited out first, and apply asks
        :meth:`next_step` again once it has settled."""
        self.next_step(ctx, desired, live.raw)

    def next_step(self, ctx: Context, desired: Desired, raw: dict[str, Any]) -> bool:
        """Once the recommender has settled, start what is still missing towards
        ``desired``:

        - stopped (INACTIVE), and the manifest wants it ACTIVE or its configuration
          differs: StartRecommender (UpdateRecommender needs it ACTIVE, reference §2);
        - ACTIVE with another configuration: UpdateRecommender with the whole
          configuration (reference §7);
        - ACTIVE and the manifest wants it STOPPED: StopRecommender.

        Returns whether a step was started (apply then waits for the recommender to
        settle again and asks once more)."""
        status = raw.get("status")
        differs = self.config_of(raw, desired) != desired.fields.get("recommenderConfig", {})
        arn = raw["recommenderArn"]
        if status == "INACTIVE" and (differs or desired.fields.get("state") != "STOPPED"):
            ctx.personalize.start_recommender(recommenderArn=arn)
            return True
        if status != "ACTIVE":
            return False
        if differs:
            ctx.personalize.update_recommender(
                recommenderArn=arn, recommenderConfig=desired.extra.get("config") or {}
            )
            return True
        if desired.fields.get("state") == "STOPPED":
            ctx.personalize.stop_recommender(recommenderArn=arn)
            return True
        return False
