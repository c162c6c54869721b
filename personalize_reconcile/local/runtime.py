"""The personalize-runtime API of the local target: GetRecommendations and
GetPersonalizedRanking (reference §8), served from the models that training saved.

One job: answer one runtime request. The protocol layer calls :func:`dispatch` (seam 3 of
``personalize_reconcile.local.seams``) with the parsed, shape-validated JSON body and
serialises what it returns, or the :mod:`personalize_reconcile.local.exceptions` error it
raises (ResourceNotFoundException -> 404, InvalidInputException -> 400, reference §0).

Rules (reference §8 unless noted):

- Exactly one of campaignArn and recommenderArn. A recommender must exist and be ACTIVE
  (a stopped one, INACTIVE, is refused); it serves its use case's model with the ids the
  use case needs (``rules.usecases``: ``userId`` and/or ``itemId``).
- The campaign must exist and be ACTIVE. It serves its top-level ``solutionVersionArn``
  (the one whose update last became ACTIVE, reference §2); ``<solution>/$LATEST`` serves
  the solution's newest ACTIVE version.
- GetRecommendations: ``userId`` is required for USER_PERSONALIZATION recipes and
  ``itemId`` for RELATED_ITEMS recipes (``rules.recipes``); PERSONALIZED_RANKING campaigns
  answer GetPersonalizedRanking only. ``numResults`` defaults to 25, at most 500 (50 with
  ``metadataColumns``). Unknown users and items get popular items. Scores: a softmax over
  the whole catalogue for user personalization (popularity shares for unknown users) and
  for trending; none for SIMS, Similar-Items and Popularity-Count.
- GetPersonalizedRanking: ``inputList`` at most 500 items (50 with ``metadataColumns``);
  scores sum to 1 over the known items; items the model never saw are appended, unscored.
- Every answer carries ``recommendationId`` ``RID-<uuid>``.
- Not implemented locally (rejected with InvalidInputException rather than silently
  ignored): ``filterArn``, ``promotions``. ``context`` is accepted and has no effect;
  ``metadataColumns`` limits the count but returns no metadata.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

from personalize_reconcile.local.exceptions import (
    InvalidInputException,
    ResourceNotFoundException,
)
from personalize_reconcile.local.training.serving import (
    ServedModel,
    load_recommender_model,
    load_version_model,
)
from personalize_reconcile.rules import recipes, usecases

DEFAULT_NUM_RESULTS = 25
MAX_NUM_RESULTS = 500
MAX_WITH_METADATA = 50
MAX_INPUT_LIST = 500


def _constraint(value: Any, path: str, rule: str) -> InvalidInputException:
    return InvalidInputException(
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy "
        f"constraint: {rule}"
    )


class _Serving:
    """The resolved campaign (its recipe and the model of the version it serves) or
    recommender (its use case and model; ``use_case`` is ``None`` for campaigns)."""

    def __init__(
        self,
        recipe: recipes.Recipe,
        model: ServedModel,
        use_case: usecases.UseCase | None = None,
    ) -> None:
        self.recipe = recipe
        self.model = model
        self.use_case = use_case


_RESOLVED = threading.local()
"""Per thread: ``cache``, (database path, campaign ARN) -> (connection, its generation
when resolved, the resolution)."""
_RESOLVED_SIZE = 64


def _generation(conn: sqlite3.Connection) -> tuple[int, int]:
    """A value of ``conn`` that changes whenever the database may have changed: SQLite's
    ``data_version`` moves when another connection commits, ``total_changes`` when this
    one writes."""
    return conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes


def _resolve_campaign(ctx: Any, params: dict) -> _Serving:
    """The campaign's recipe and model, remembered until the database changes (an
    UpdateCampaign, a new ACTIVE version for ``$LATEST``, a deletion...): a call then
    costs one ``PRAGMA`` instead of reading and decoding the campaign, its version and
    its solution. Entries are per thread and per connection, since ``data_version`` is
    only comparable on the connection that read it."""
    campaign_arn = params.get("campaignArn")
    if not campaign_arn or params.get("recommenderArn"):
        return _resolve_uncached(ctx, params)
    store = ctx.service.store
    conn = store.conn()
    cache = getattr(_RESOLVED, "cache", None)
    if cache is None:
        cache = _RESOLVED.cache = {}
    key = (str(store.path), str(campaign_arn))
    generation = _generation(conn)
    hit = cache.get(key)
    if hit is not None and hit[0] is conn and hit[1] == generation:
        return hit[2]
    serving = _resolve_uncached(ctx, params)
    if len(cache) >= _RESOLVED_SIZE:
        cache.clear()
    cache[key] = (conn, generation, serving)
    return serving


def _resolve_uncached(ctx: Any, params: dict) -> _Serving:
    campaign_arn = params.get("campaignArn")
    recommender_arn = params.get("recommenderArn")
    if campaign_arn and recommender_arn:
        raise InvalidInputException("Provide either a campaignArn or a recommenderArn, not both.")
    if recommender_arn:
        return _resolve_recommender(ctx, recommender_arn)
    if not campaign_arn:
        raise InvalidInputException("Provide a campaignArn or a recommenderArn.")
    store = ctx.service.store
    campaign = store.get(campaign_arn)
    if campaign is None or campaign.kind != "campaign":
        raise ResourceNotFoundException(f"Campaign {campaign_arn} does not exist.")
    if campaign.status != "ACTIVE":
        raise ResourceNotFoundException(
            f"Campaign {campaign_arn} is not ACTIVE (status {campaign.status})."
        )
    version_arn = str(campaign.body.get("solutionVersionArn") or "")
    if version_arn.endswith("/$LATEST"):
        version_arn = _latest_active(store, version_arn[: -len("/$LATEST")])
    version = store.get(version_arn) if version_arn else None
    if version is None:
        raise ResourceNotFoundException(
            f"Solution version {version_arn or '(none)'} of campaign {campaign_arn} does not exist."
        )
    recipe_arn = version.body.get("recipeArn")
    if not recipe_arn:
        solution = store.get(version.body.get("solutionArn") or version.parent or "")
        recipe_arn = solution.body.get("recipeArn") if solution is not None else None
    recipe = recipes.lookup(recipe_arn or "")
    if recipe is None:
        raise ResourceNotFoundException(f"Solution version {version_arn} has no known recipe.")
    state_dir = Path(ctx.service.config.state_dir)
    try:
        model = load_version_model(state_dir, version_arn)
    except FileNotFoundError:
        raise ResourceNotFoundException(
            f"Solution version {version_arn} has no trained model."
        ) from None
    except ValueError as e:
        raise ResourceNotFoundException(
            f"Solution version {version_arn} has no usable trained model: {e}; train a new "
            "solution version."
        ) from None
    return _Serving(recipe, model)


def _resolve_recommender(ctx: Any, arn: str) -> _Serving:
    """A recommender's use case and model (reference §8: served by GetRecommendations
    with ``recommenderArn``). A stopped (INACTIVE) recommender cannot be used (reference
    §2, the guide's "Stopping a recommender")."""
    rec = ctx.service.store.get(arn)
    if rec is None or rec.kind != "recommender":
        raise ResourceNotFoundException(f"Recommender {arn} does not exist.")
    if rec.status != "ACTIVE":
        hint = "; start it with StartRecommender" if rec.status == "INACTIVE" else ""
        raise ResourceNotFoundException(
            f"Recommender {arn} is not ACTIVE (status {rec.status}){hint}."
        )
    use_case = usecases.lookup(rec.body.get("recipeArn", ""))
    recipe = recipes.lookup(rec.body.get("recipeArn", ""))
    assert use_case is not None and recipe is not None  # checked by CreateRecommender
    state_dir = Path(ctx.service.config.state_dir)
    try:
        model = load_recommender_model(state_dir, arn, str(rec.extra.get("modelId", "")))
    except FileNotFoundError:
        raise ResourceNotFoundException(f"Recommender {arn} has no trained model.") from None
    except ValueError as e:
        raise ResourceNotFoundException(
            f"Recommender {arn} has no usable trained model: {e}; update the recommender to "
            "train it again."
        ) from None
    return _Serving(recipe, model, use_case)


def _latest_active(store: Any, solution_arn: str) -> str:
    rows = store.select(
        None, "kind = ? AND parent = ? AND status = ?", ("solution-version", solution_arn, "ACTIVE")
    )
    return rows[-1].arn if rows else ""


def _unsupported(params: dict) -> None:
    if params.get("filterArn"):
        raise InvalidInputException("The local target does not apply filters; leave filterArn out.")
    if params.get("promotions"):
        raise InvalidInputException(
            "The local target does not apply promotions; leave promotions out."
        )


def _recommendation_id() -> str:
    return f"RID-{uuid.uuid4()}"


def get_recommendations(ctx: Any, params: dict) -> dict:
    """GetRecommendations (reference §8; rules in the module docstring).

    Returns:
        ``{"itemList": [{"itemId": str, "score"?: float}], "recommendationId": str}``.

    Raises:
        InvalidInputException: a missing userId/itemId, numResults over the maximum, a
            ranking campaign, both or neither of campaignArn/recommenderArn, a filter or a
            promotion.
        ResourceNotFoundException: the campaign (or its version, or a recommender) does
            not exist, is not ACTIVE, or has no trained model.
    """
    limit = MAX_WITH_METADATA if params.get("metadataColumns") else MAX_NUM_RESULTS
    n = params.get("numResults", DEFAULT_NUM_RESULTS)
    if n is None:
        n = DEFAULT_NUM_RESULTS
    if n > limit:
        raise _constraint(n, "numResults", f"Member must have value less than or equal to {limit}")
    serving = _resolve_campaign(ctx, params)
    _unsupported(params)
    recipe, model = serving.recipe, serving.model
    user_id, item_id = params.get("userId"), params.get("itemId")
    kind = recipe.recipe_type
    if serving.use_case is not None:
        _check_use_case_ids(serving.use_case, user_id, item_id)
    if kind == recipes.PERSONALIZED_RANKING:
        raise InvalidInputException(
            f"Campaign {params['campaignArn']} uses {recipe.name}, a PERSONALIZED_RANKING "
            "recipe; call GetPersonalizedRanking instead."
        )
    if kind == recipes.RELATED_ITEMS:
        if not item_id:
            raise InvalidInputException(
                f"itemId is required for a campaign that uses {recipe.name}."
            )
        ranked, scores = model.related(item_id, n), None
    else:
        if kind == recipes.USER_PERSONALIZATION and not user_id:
            raise InvalidInputException(
                f"userId is required for a campaign that uses {recipe.name}."
            )
        ranked, scores = model.recommend_user(user_id, n)
    ids = model.item_ids[ranked].tolist()
    if scores is None:
        items = [{"itemId": s} for s in ids]
    else:
        pairs = zip(ids, scores.tolist(), strict=True)
        items = [{"itemId": s, "score": float(v)} for s, v in pairs]
    return {"itemList": items, "recommendationId": _recommendation_id()}


def _check_use_case_ids(use_case: usecases.UseCase, user_id: Any, item_id: Any) -> None:
    """The ids a recommender's use case needs (the guide's use-case pages)."""
    for needed, value, member in (
        (use_case.user_id, user_id, "userId"),
        (use_case.item_id, item_id, "itemId"),
    ):
        if needed and not value:
            raise InvalidInputException(
                f"{member} is required for a recommender that uses {use_case.name}."
            )


def get_personalized_ranking(ctx: Any, params: dict) -> dict:
    """GetPersonalizedRanking (reference §8; rules in the module docstring).

    Returns:
        ``{"personalizedRanking": [{"itemId": str, "score"?: float}],
        "recommendationId": str}``.

    Raises:
        InvalidInputException: inputList too long, or the campaign's recipe is not a
            PERSONALIZED_RANKING recipe, or a filter.
        ResourceNotFoundException: as for :func:`get_recommendations`.
    """
    input_list = list(params.get("inputList") or [])
    limit = MAX_WITH_METADATA if params.get("metadataColumns") else MAX_INPUT_LIST
    if len(input_list) > limit:
        raise _constraint(
            f"[{len(input_list)} items]",
            "inputList",
            f"Member must have length less than or equal to {limit}",
        )
    serving = _resolve_campaign(ctx, params)
    _unsupported(params)
    if serving.recipe.recipe_type != recipes.PERSONALIZED_RANKING:
        raise InvalidInputException(
            f"Campaign {params['campaignArn']} uses {serving.recipe.name}, which is not a "
            "PERSONALIZED_RANKING recipe; call GetRecommendations instead."
        )
    ranked = serving.model.rank(params.get("userId") or "", input_list)
    out = [{"itemId": s} if v is None else {"itemId": s, "score": v} for s, v in ranked]
    return {"personalizedRanking": out, "recommendationId": _recommendation_id()}


_OPERATIONS = {
    "GetRecommendations": get_recommendations,
    "GetPersonalizedRanking": get_personalized_ranking,
}


def dispatch(ctx: Any, operation: str, params: dict) -> dict:
    """Answer one personalize-runtime operation (seam 3 of ``local.seams``).

    Args:
        ctx: the request context (``ctx.service.store``, ``ctx.service.config.state_dir``).
        operation: the botocore operation name.
        params: the parsed request body, already validated against the input shape.

    Raises:
        InvalidInputException / ResourceNotFoundException: see the handlers.
        UnknownOperationException: an operation this module does not implement
            (GetActionRecommendations: the local target has no action recipes).
    """
    handler = _OPERATIONS.get(operation)
    if handler is None:
        from personalize_reconcile.local.exceptions import UnknownOperationException

        raise UnknownOperationException(
            f"The local target does not implement personalize-runtime {operation}."
        )
    return handler(ctx, params)
