"""Ask a campaign for recommendations: the console's "test campaign".

One job: find a campaign by name (one ListCampaigns walk), check that it is ACTIVE, and
call GetRecommendations with a user id or an item id, or GetActionRecommendations with a
user id when the campaign's solution uses a PERSONALIZED_ACTIONS recipe
(aws-next-best-action, reference §8). Called by the CLI's ``recommend``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from personalize_reconcile.backends.target import Target
from personalize_reconcile.resources.base import error_code
from personalize_reconcile.rules import recipes


class RecommendError(Exception):
    """The campaign is unknown or not ready, or the service refused the request; the
    message says which and what to do."""


def find_campaign(target: Target, name: str) -> dict[str, Any]:
    """DescribeCampaign's ``campaign`` for the campaign called ``name``.

    Raises:
        RecommendError: no campaign has that name (the message lists the ones that exist).
    """
    names = []
    for page in target.personalize.get_paginator("list_campaigns").paginate():
        for c in page.get("campaigns", []):
            if c["name"] == name:
                return target.personalize.describe_campaign(campaignArn=c["campaignArn"])[
                    "campaign"
                ]
            names.append(c["name"])
    known = ", ".join(sorted(names)) if names else "none"
    raise RecommendError(
        f"there is no campaign named {name!r} on the {target.name} target "
        f"({target.region}); campaigns there: {known}"
    )


def recommend(
    target: Target,
    campaign: str,
    *,
    user_id: str | None = None,
    item_id: str | None = None,
    num_results: int | None = None,
) -> dict[str, Any]:
    """GetRecommendations from ``campaign`` (a name) for a user or an item, or
    GetActionRecommendations for a user when the campaign recommends actions.

    Returns:
        The GetRecommendations response: ``itemList`` (``itemId``, optional ``score``),
        ``recommendationId``, and ``campaignArn`` added for display; for an actions
        campaign the GetActionRecommendations response, ``actionList`` (``actionId``,
        ``score``) instead of ``itemList``.

    Raises:
        RecommendError: unknown or not ACTIVE campaign, an item id for an actions
            campaign, or InvalidInputException from the service (e.g. a user id for a
            related-items recipe).
    """
    found = find_campaign(target, campaign)
    if found.get("status") != "ACTIVE":
        reason = f": {found['failureReason']}" if found.get("failureReason") else ""
        raise RecommendError(
            f"campaign {campaign!r} is {found.get('status')}{reason}, not "
            "ACTIVE; run apply and wait for it to finish"
        )
    args: dict[str, Any] = {"campaignArn": found["campaignArn"]}
    recipe = recipes.lookup(_recipe_arn(target, found))
    actions = recipe is not None and recipe.recipe_type == recipes.PERSONALIZED_ACTIONS
    if actions and item_id is not None:
        raise RecommendError(
            f"campaign {campaign!r} uses {recipe.name if recipe else ''}, which recommends "
            "actions for a user; use --user-id"
        )
    if user_id is not None:
        args["userId"] = user_id
    if item_id is not None:
        args["itemId"] = item_id
    if num_results is not None:
        args["numResults"] = num_results
    try:
        if actions:
            resp = target.runtime.get_action_recommendations(**args)
        else:
            resp = target.runtime.get_recommendations(**args)
    except ClientError as e:
        if error_code(e) in ("InvalidInputException", "ResourceNotFoundException"):
            message = e.response["Error"].get("Message") or ""
            hint = ""
            if "itemId is required" in message:
                hint = " Use --item-id: this campaign recommends items related to an item."
            elif "userId is required" in message:
                hint = " Use --user-id: this campaign recommends items for a user."
            raise RecommendError(f"the campaign refused the request: {message}{hint}") from None
        raise
    resp.pop("ResponseMetadata", None)
    resp["campaignArn"] = found["campaignArn"]
    return resp


def _recipe_arn(target: Target, campaign: dict[str, Any]) -> str:
    """The recipe ARN of the solution whose version ``campaign`` serves ("" if unknown).
    A version ARN is ``<solution ARN>/<id>`` (``$LATEST`` too, reference §1)."""
    version = str(campaign.get("solutionVersionArn") or "")
    if "/" not in version:
        return ""
    try:
        solution = target.personalize.describe_solution(solutionArn=version.rsplit("/", 1)[0])
    except ClientError:
        return ""
    return str(solution["solution"].get("recipeArn") or "")
