"""Campaign: a deployed solution version (CreateCampaign / UpdateCampaign; reference §7).

Everything a manifest sets updates in place: solutionVersionArn, minProvisionedTPS and
campaignConfig, always sent complete (whether the service merges a partial campaignConfig
is undocumented), except the fields the manifest's ``ignoreChanges`` names, never sent in
an update. While an update is in progress the campaign is compared with
``latestCampaignUpdate``, so the same update is never sent twice. The live campaignConfig is
limited to the keys the manifest sets (the service fills in its own defaults).

Callers: the engine, through ``resources.kinds()``.
"""

from __future__ import annotations

from typing import Any

from personalize_reconcile.resources.base import Context, Desired, Kind, Live, Policy
from personalize_reconcile.resources.normalize import canonical

SERVICE_DEFAULTS: dict[str, tuple] = {
    "itemExplorationConfig": ({"explorationItemAgeCutOff": "30", "explorationWeight": "0.3"},),
    # switched on by the service itself for the v2 and semantic-similarity recipes (§7)
    "enableMetadataWithRecommendations": (False, True),
    "syncWithLatestSolutionVersion": (False,),
    "rankingInfluence": ({},),
}
"""campaignConfig values the service may report for keys a manifest leaves out (reference
§7); any other value of an undeclared key counts as a difference, so removing a setting
from the manifest is seen."""


class CampaignKind(Kind):
    """The ``campaign`` resource kind."""

    kind = "campaign"
    title = "campaign"
    serves = True
    result_key = "campaign"
    arn_key = "campaignArn"
    policy = {
        "solutionVersionArn": Policy.UPDATE,
        "minProvisionedTPS": Policy.UPDATE,
        "campaignConfig": Policy.UPDATE,
    }

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        arn = ctx.arn(f"campaign/{desired.name}")
        if arn is None:
            return None
        raw = self.describe(ctx, arn)
        if raw is None:
            return None
        source: dict[str, Any] = raw
        update = raw.get("latestCampaignUpdate")
        pending = bool(update) and update.get("status") not in ("ACTIVE", "CREATE FAILED")
        if pending:
            source = update
        wanted = set(desired.extra.get("config_keys", ()))
        config = {
            k: v
            for k, v in (source.get("campaignConfig") or {}).items()
            if k in wanted or canonical(v) not in SERVICE_DEFAULTS.get(k, ())
        }
        fields = {
            "solutionVersionArn": source.get("solutionVersionArn"),
            "minProvisionedTPS": source.get("minProvisionedTPS"),
            "campaignConfig": config,
        }
        return self.live(raw, fields, pending)

    def latest_update(self, raw):
        return raw.get("latestCampaignUpdate")

    def _args(self, ctx: Context, desired: Desired) -> dict[str, Any]:
        args: dict[str, Any] = {
            "solutionVersionArn": ctx.resolve(desired.fields["solutionVersionArn"]),
            "minProvisionedTPS": desired.fields["minProvisionedTPS"],
        }
        if desired.extra.get("campaign_config"):
            args["campaignConfig"] = desired.extra["campaign_config"]
        return args

    def create(self, ctx: Context, desired: Desired) -> str:
        return ctx.personalize.create_campaign(
            name=desired.name, tags=ctx.tags_for(desired), **self._args(ctx, desired)
        )["campaignArn"]

    def update(self, ctx: Context, desired: Desired, live: Live) -> None:
        """UpdateCampaign with the manifest's values, leaving out the fields the manifest
        lists under ``ignoreChanges`` (UpdateCampaign takes any subset, reference §7), so
        their live values stay."""
        ignored = desired.extra.get("ignore_changes", ())
        args = {k: v for k, v in self._args(ctx, desired).items() if k not in ignored}
        ctx.personalize.update_campaign(campaignArn=live.arn, **args)
