"""Campaigns: CreateCampaign, DescribeCampaign, ListCampaigns, UpdateCampaign,
DeleteCampaign.

One job: the rules of a campaign's version and configuration: an ACTIVE solution version
or ``<solution arn>/$LATEST`` with ``syncWithLatestSolutionVersion``,
``itemExplorationConfig`` only for aws-user-personalization and within its bounds,
``minProvisionedTPS`` defaulting to 1, at most :data:`CAMPAIGNS_PER_GROUP`; and updates,
which keep serving the old configuration until ``latestCampaignUpdate`` is ACTIVE and may
move a campaign to a version of another solution in its dataset group.
Callers: ``control.call``.

A ``$LATEST`` campaign keeps the ``$LATEST`` ARN in its Describe shape; the runtime
resolves it to the solution's newest ACTIVE version (automatic ones included, see
``local/autotraining.py``) at each request, instead of modelling the service's own
campaign updates.

Sources: reference §1 (ARN), §2 (``latestCampaignUpdate``), §3 (prerequisites), §7
(campaigns), §9 (quota).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.exploration import check_exploration
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceInUseException,
)
from personalize_reconcile.local.statuses import ACTIVE, CREATE_FAILED, DELETING
from personalize_reconcile.local.store import Resource
from personalize_reconcile.rules import limits, recipes

KIND = "campaign"
CAMPAIGNS_PER_GROUP = limits.CAMPAIGNS_PER_GROUP.default
"""Reference §9, the documented default quota (shared with ``validate``: ``rules/limits.py``)."""
LATEST = "/$LATEST"
"""Suffix of a solution ARN that makes a campaign follow the newest ACTIVE version."""

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeCampaign", "ListCampaigns", "solutionArn")


def _campaign_version(
    ctx: RequestContext, conn: sqlite3.Connection, arn: str, config: dict
) -> Resource:
    """The solution version a campaign points at (for ``$LATEST``, the solution's newest
    ACTIVE one)."""
    sync = bool(config.get("syncWithLatestSolutionVersion", False))
    if arn.endswith(LATEST):
        if not sync:
            raise InvalidInputException(
                "A solutionVersionArn ending in $LATEST needs "
                "campaignConfig.syncWithLatestSolutionVersion set to true."
            )
        sol = records.load(ctx, conn, arn[: -len(LATEST)], "solution")
        active = ctx.store.select(
            conn, "kind='solution-version' AND parent=? AND status=?", (sol.arn, ACTIVE)
        )
        if not active:
            raise ResourceInUseException(f"Solution {sol.arn} has no ACTIVE solution version.")
        return active[-1]
    if sync:
        raise InvalidInputException(
            "syncWithLatestSolutionVersion needs solutionVersionArn to be <solutionArn>/$LATEST."
        )
    return records.require_active(records.load(ctx, conn, arn, "solution-version"))


def _check_campaign_config(version: Resource, config: dict) -> None:
    recipe = recipes.lookup(version.body.get("recipeArn", ""))
    if recipe is not None and recipe.recipe_type == recipes.USER_SEGMENTATION:
        # reference §6: USER_SEGMENTATION recipes serve CreateBatchSegmentJob only
        raise InvalidInputException(
            f"Solution version {version.arn} uses {recipe.name}, a USER_SEGMENTATION recipe, "
            "which a campaign cannot deploy; get its user segments with CreateBatchSegmentJob."
        )
    explore = config.get("itemExplorationConfig")
    if not explore:
        return
    if recipes.recipe_name(version.body.get("recipeArn", "")) != "aws-user-personalization":
        raise InvalidInputException(
            "itemExplorationConfig is only supported by aws-user-personalization."
        )
    check_exploration(explore)


@operation("CreateCampaign")
def create_campaign(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateCampaign: the version ACTIVE (or ``<solution>/$LATEST`` with sync);
    minProvisionedTPS defaults to 1; at most 5 campaigns per group (reference §7)."""
    config = params.get("campaignConfig") or {}
    version = _campaign_version(ctx, conn, params["solutionVersionArn"], config)
    _check_campaign_config(version, config)
    grp = version.grp
    if (
        records.count(conn, "kind='campaign' AND grp=? AND status NOT IN (?,?)", (grp, *DELETING))
        >= CAMPAIGNS_PER_GROUP
    ):
        raise LimitExceededException(
            f"Dataset group {grp} already has {CAMPAIGNS_PER_GROUP} campaigns, the limit."
        )
    name = params["name"]
    arn = make_arn(ctx, f"campaign/{name}")
    body: dict[str, Any] = {
        "name": name,
        "campaignArn": arn,
        "solutionVersionArn": params["solutionVersionArn"],
        "minProvisionedTPS": params.get("minProvisionedTPS") or 1,
    }
    if config:
        body["campaignConfig"] = config
    records.create(
        ctx,
        conn,
        kind=KIND,
        arn=arn,
        name=name,
        body=body,
        parent=version.parent,
        grp=grp,
        tags=params.get("tags"),
    )
    return {"campaignArn": arn}


@operation("UpdateCampaign")
def update_campaign(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """UpdateCampaign: campaign ACTIVE or CREATE FAILED, no update running; the old
    configuration serves until ``latestCampaignUpdate`` is ACTIVE (reference §7). The
    update holds the complete new configuration (unsent fields keep their value). The new
    version may belong to another solution of the same dataset group (a recipe change):
    reference §2 and §7 restrict only the campaign's status, and the campaign moves to
    that solution when the update turns ACTIVE."""
    camp = records.load(ctx, conn, params["campaignArn"], KIND)
    if camp.status not in (ACTIVE, CREATE_FAILED):
        raise ResourceInUseException(
            f"Resource Arn {camp.arn} is in {camp.status} state; it must be ACTIVE or "
            "CREATE FAILED."
        )
    records.no_update_running(camp)
    config = params.get("campaignConfig")
    if config is None:
        config = camp.body.get("campaignConfig", {})
    version_arn = params.get("solutionVersionArn") or camp.body["solutionVersionArn"]
    version = _campaign_version(ctx, conn, version_arn, config)
    if version.grp != camp.grp:
        raise InvalidInputException(
            f"Solution version {version_arn} is not in the campaign's dataset group {camp.grp}."
        )
    _check_campaign_config(version, config)
    update: dict[str, Any] = {
        "solutionVersionArn": version_arn,
        "minProvisionedTPS": params.get("minProvisionedTPS")
        or camp.body.get("minProvisionedTPS", 1),
    }
    if config:
        update["campaignConfig"] = config
    records.start_update(ctx, conn, camp, update)
    return {"campaignArn": camp.arn}


@operation("DeleteCampaign")
def delete_campaign(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DeleteCampaign (no dependents)."""
    records.delete(ctx, conn, records.load(ctx, conn, params["campaignArn"], KIND))
    return {}
