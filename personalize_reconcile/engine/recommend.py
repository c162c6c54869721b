"""Ask a campaign for recommendations: the console's "test campaign".

One job: find a campaign by name (one ListCampaigns walk), check that it is ACTIVE, and
call GetRecommendations with a user id or an item id. Called by the CLI's ``recommend``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from personalize_reconcile.backends.target import Target
from personalize_reconcile.resources.base import error_code
from personalize_reconcile.rules.problems import shown


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
        f"there is no campaign named {shown(name)} on the {target.name} target "
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
    """GetRecommendations from ``campaign`` (a name) for a user or an item.

    Returns:
        The GetRecommendations response: ``itemList`` (``itemId``, optional ``score``),
        ``recommendationId``, and ``campaignArn`` added for display.

    Raises:
        RecommendError: unknown or not ACTIVE campaign, or InvalidInputException from the
            service (e.g. a user id for a related-items recipe).
    """
    found = find_campaign(target, campaign)
    if found.get("status") != "ACTIVE":
        reason = f": {found['failureReason']}" if found.get("failureReason") else ""
        raise RecommendError(
            f"campaign {shown(campaign)} is {found.get('status')}{reason}, not "
            "ACTIVE; run apply and wait for it to finish"
        )
    args: dict[str, Any] = {"campaignArn": found["campaignArn"]}
    if user_id is not None:
        args["userId"] = user_id
    if item_id is not None:
        args["itemId"] = item_id
    if num_results is not None:
        args["numResults"] = num_results
    try:
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
