"""Ask a campaign or a recommender for recommendations: the console's "test campaign"
and "test recommender".

One job: find a campaign or a recommender by name (one ListCampaigns or ListRecommenders
walk) or ARN (one Describe), check that it is ACTIVE, and call GetRecommendations with a
user id or an item id (``campaignArn`` or ``recommenderArn``: exactly one, reference §8), or
GetActionRecommendations with a user id when the campaign's solution uses a
PERSONALIZED_ACTIONS recipe (aws-next-best-action). Called by the CLI's ``recommend``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from personalize_reconcile.backends.target import Target
from personalize_reconcile.resources.base import error_code
from personalize_reconcile.rules import recipes
from personalize_reconcile.rules.problems import shown


class RecommendError(Exception):
    """The campaign is unknown or not ready, or the service refused the request; the
    message says which and what to do."""


def find_campaign(target: Target, name: str) -> dict[str, Any]:
    """DescribeCampaign's ``campaign`` for the campaign called ``name``.

    Raises:
        RecommendError: no campaign has that name (the message lists the ones that exist).
    """
    return _find(target, "campaign", name)


def find_recommender(target: Target, name: str) -> dict[str, Any]:
    """DescribeRecommender's ``recommender`` for the recommender called ``name``.

    Raises:
        RecommendError: no recommender has that name (the message lists the ones that
            exist).
    """
    return _find(target, "recommender", name)


def _find(target: Target, kind: str, name: str) -> dict[str, Any]:
    """Describe the ``kind`` called ``name``, or, given its ARN (as ``preconcile output``
    prints it), the one with that ARN."""
    if name.startswith("arn:"):
        parts = name.split(":", 5)
        if len(parts) < 6 or not parts[5].startswith(f"{kind}/"):
            raise RecommendError(
                f"{shown(name)} is not the ARN of a {kind} "
                f"(arn:aws:personalize:REGION:ACCOUNT:{kind}/NAME); give a {kind}'s ARN or "
                "its name"
            )
        if parts[3] != target.region:
            raise RecommendError(
                f"the {kind} ARN {shown(name)} is in {shown(parts[3])}, and this command runs "
                f"in {target.region}; add --region {parts[3][:40]}"
            )
        try:
            return getattr(target.personalize, f"describe_{kind}")(**{f"{kind}Arn": name})[kind]
        except ClientError as e:
            if error_code(e) not in ("ResourceNotFoundException", "InvalidInputException"):
                raise
            raise RecommendError(
                f"there is no {kind} with the ARN {shown(name)} on the {target.name} target "
                f"({target.region}); give its ARN or its name"
            ) from None
    names = []
    for page in target.personalize.get_paginator(f"list_{kind}s").paginate():
        for c in page.get(f"{kind}s", []):
            if c["name"] == name:
                arn = c[f"{kind}Arn"]
                return getattr(target.personalize, f"describe_{kind}")(**{f"{kind}Arn": arn})[kind]
            names.append(c["name"])
    known = ", ".join(sorted(names)) if names else "none"
    raise RecommendError(
        f"there is no {kind} named {shown(name)} on the {target.name} target "
        f"({target.region}); {kind}s there: {known}"
    )


def recommend(
    target: Target,
    campaign: str | None,
    *,
    recommender: str | None = None,
    user_id: str | None = None,
    item_id: str | None = None,
    num_results: int | None = None,
) -> dict[str, Any]:
    """GetRecommendations from ``campaign`` or ``recommender`` (a name; exactly one is
    given) for a user or an item, or GetActionRecommendations for a user when the
    campaign recommends actions.

    Returns:
        The GetRecommendations response: ``itemList`` (``itemId``, optional ``score``),
        ``recommendationId``, and ``campaignArn`` or ``recommenderArn`` added for display;
        for an actions campaign the GetActionRecommendations response, ``actionList``
        (``actionId``, ``score``) instead of ``itemList``.

    Raises:
        RecommendError: unknown or not ACTIVE campaign or recommender (a stopped
            recommender is INACTIVE), an item id for an actions campaign, or
            InvalidInputException from the service (e.g. a user id for a related-items
            recipe).
    """
    kind, name = ("campaign", campaign) if campaign is not None else ("recommender", recommender)
    assert name is not None
    found = _find(target, kind, name)
    key = f"{kind}Arn"
    if found.get("status") != "ACTIVE":
        reason = f": {found['failureReason']}" if found.get("failureReason") else ""
        hint = (
            "set its state: ACTIVE in the manifest and run apply"
            if found.get("status") == "INACTIVE"
            else "run apply and wait for it to finish"
        )
        raise RecommendError(
            f"{kind} {shown(name)} is {found.get('status')}{reason}, not ACTIVE; {hint}"
        )
    args: dict[str, Any] = {key: found[key]}
    actions = False
    if kind == "campaign":
        recipe = recipes.lookup(_recipe_arn(target, found))
        actions = recipe is not None and recipe.recipe_type == recipes.PERSONALIZED_ACTIONS
        if actions and item_id is not None:
            raise RecommendError(
                f"campaign {name!r} uses {recipe.name if recipe else ''}, which recommends "
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
                hint = f" Use --item-id: this {kind} recommends items related to an item."
            elif "userId is required" in message:
                hint = f" Use --user-id: this {kind} recommends items for a user."
            raise RecommendError(f"the {kind} refused the request: {message}{hint}") from None
        raise
    resp.pop("ResponseMetadata", None)
    resp[key] = found[key]
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
