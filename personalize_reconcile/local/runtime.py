"""The personalize-runtime API of the local target: GetRecommendations,
GetPersonalizedRanking and GetActionRecommendations (reference §8), served from the
models that training saved.

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
- Real time (reference §8 "Cold start": new events shift a known user's results within
  seconds): for a USER_PERSONALIZATION campaign, the events a user recorded with PutEvents
  after the served version was trained (of the solution's eventType, if it has one) change
  that user's GetRecommendations at once, through ``ServedModel.recommend_with_events``
  (ALS models fold them into the user's factor; other models ignore them). A user the
  model never saw (an anonymous sessionId) is personalized from those events alone.
- aws-user-personalization campaigns mix cold items into GetRecommendations as their
  ``campaignConfig.itemExplorationConfig`` asks (defaults: weight 0.3, age cut-off 30
  days), deterministically per request (``training.exploration``).
- GetActionRecommendations: a PERSONALIZED_ACTIONS campaign (aws-next-best-action) only,
  and only it (GetRecommendations refuses one); ``numResults`` defaults to 5, at most
  100; ``actionList`` holds ``actionId`` and ``score`` (the propensity) per action; a
  missing or unknown ``userId`` gets each action's share of users who took it.
- Every answer carries ``recommendationId`` ``RID-<uuid>``.
- ``filterArn`` / ``filterValues``, ``promotions`` and ``metadataColumns`` are applied by
  ``refine`` (rules in ``filtering``): with a filter or a promotion the model ranks the
  whole catalogue and ``numResults`` is filled from what passes. Metadata needs
  ``enableMetadataWithRecommendations`` (always on for the v2 recipes, reference §7).
  ``context`` is accepted and has no effect.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np

from personalize_reconcile.local import refine
from personalize_reconcile.local.datastore import DatasetStore
from personalize_reconcile.local.exceptions import (
    InvalidInputException,
    ResourceNotFoundException,
)
from personalize_reconcile.local.ids import uuid4_text
from personalize_reconcile.local.training.serving import (
    ActionServer,
    ExploringModel,
    ServedModel,
    load_recommender_model,
    load_version_model,
    request_seed,
)
from personalize_reconcile.rules import recipes, usecases

DEFAULT_NUM_RESULTS = 25
MAX_NUM_RESULTS = 500
MAX_WITH_METADATA = 50
MAX_INPUT_LIST = 500
EXPLORING_RECIPE = "aws-user-personalization"
"""Reference §7: the one recipe whose campaigns take itemExplorationConfig."""
DEFAULT_NUM_ACTIONS = 5
MAX_NUM_ACTIONS = 100
METADATA_ON = (
    "aws-user-personalization-v2",
    "aws-personalized-ranking-v2",
    "aws-semantic-similarity",
)
"""Recipes whose campaigns always have metadata enabled (reference §7)."""


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
        group_arn: str = "",
        metadata: bool = False,
        where: str = "",
        events: _Events | None = None,
        exploration: dict[str, str] | None = None,
    ) -> None:
        self.recipe = recipe
        self.model = model
        self.use_case = use_case
        self.events = events
        self.exploration = exploration
        self.group_arn = group_arn  # the dataset group (filters, metadata)
        self.metadata = metadata  # enableMetadataWithRecommendations (reference §7)
        self.where = where  # "campaign <arn>" / "recommender <arn>", for messages


class _Events:
    """Where a campaign's recent events are: the group's Interactions dataset, the
    solution's eventType (``None``: every type) and when its version was trained
    (events put later are recent)."""

    def __init__(self, state_dir: Path, dataset_arn: str, event_type: str | None, since: float):
        self.state_dir = state_dir
        self.dataset_arn = dataset_arn
        self.event_type = event_type
        self.since = since
        self.by_user: dict[str, list[str]] | None = None  # read on first use


def recent_items(events: _Events, user_id: str) -> list[str]:
    """The items of ``user_id``'s events recorded (PutEvents) after the served version was
    trained, oldest first, of the solution's eventType when it has one. Read from the
    dataset store once per resolution of the campaign (``_Events`` lives as long as the
    campaign cache's entry, which a PutEvents invalidates: it touches the database)."""
    if events.by_user is None:
        stored = DatasetStore(events.state_dir).load(
            events.dataset_arn, source="PUT", put_after=events.since
        )
        by_user: dict[str, list[str]] = {}
        cols = stored.columns
        if stored.num_rows and "USER_ID" in cols and "ITEM_ID" in cols:
            types = cols.get("EVENT_TYPE")
            stamps = cols.get("TIMESTAMP")
            order = (
                np.argsort(stamps, kind="stable") if stamps is not None else range(stored.num_rows)
            )
            for i in order:
                if events.event_type and (types is None or types[i] != events.event_type):
                    continue
                if cols["ITEM_ID"][i] is not None:
                    by_user.setdefault(str(cols["USER_ID"][i]), []).append(str(cols["ITEM_ID"][i]))
        events.by_user = by_user
    return events.by_user.get(user_id, [])


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
    solution = store.get(version.body.get("solutionArn") or version.parent or "")
    if not recipe_arn:
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
    solution = store.get(version.body.get("solutionArn") or version.parent or "")
    events = None
    if recipe.recipe_type == recipes.USER_PERSONALIZATION:
        found = (
            store.select(
                None, "kind='dataset' AND grp=? AND arn LIKE ?", (solution.grp, "%/INTERACTIONS")
            )
            if solution is not None
            else []
        )
        trained_at = getattr(model, "meta", {}).get("trainedAt")
        if found and trained_at is not None:
            events = _Events(
                state_dir, found[0].arn, solution.body.get("eventType"), float(trained_at)
            )
    group = str(solution.body.get("datasetGroupArn") or "") if solution is not None else ""
    config = campaign.body.get("campaignConfig") or {}
    metadata = bool(config.get("enableMetadataWithRecommendations")) or recipe.name in METADATA_ON
    return _Serving(
        recipe,
        model,
        None,
        group,
        metadata,
        f"campaign {campaign_arn}",
        events=events,
        exploration=config.get("itemExplorationConfig") or {},
    )


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
    config = rec.body.get("recommenderConfig") or {}
    metadata = bool(config.get("enableMetadataWithRecommendations"))
    group = str(rec.body.get("datasetGroupArn") or "")
    return _Serving(recipe, model, use_case, group, metadata, f"recommender {arn}")


def _latest_active(store: Any, solution_arn: str) -> str:
    rows = store.select(
        None, "kind = ? AND parent = ? AND status = ?", ("solution-version", solution_arn, "ACTIVE")
    )
    return rows[-1].arn if rows else ""


def _refined(params: dict) -> bool:
    """Whether the request has a filter, a promotion or metadata columns."""
    return bool(
        params.get("filterArn") or params.get("promotions") or params.get("metadataColumns")
    )


def _refine(ctx: Any, params: dict, ids: list, scores: list | None, n: int | None) -> list:
    """The answer's items under filterArn, promotions and metadataColumns
    (``refine.items``; the campaign's resolution is cached)."""
    serving = _resolve_campaign(ctx, params)
    return refine.items(
        store=ctx.service.store,
        state_dir=Path(ctx.service.config.state_dir),
        group_arn=serving.group_arn,
        params=params,
        ids=ids,
        scores=scores,
        num_results=n,
        metadata_enabled=serving.metadata,
        where=serving.where,
    )


def _recommendation_id() -> str:
    return f"RID-{uuid4_text()}"


def _recommended(ctx: Any, params: dict) -> tuple[Any, Any, Any]:
    """GetRecommendations' checks and ranking: ``(model, item indices best first, their
    scores or None)``, or, when exploration mixed cold items in, ``(model, item ids,
    their scores or None)`` as lists; errors as in :func:`get_recommendations`. With a
    filter or a promotion the ranking is the whole catalogue (``refine.needs_full_ranking``)."""
    limit = MAX_WITH_METADATA if params.get("metadataColumns") else MAX_NUM_RESULTS
    n = params.get("numResults", DEFAULT_NUM_RESULTS)
    if n is None:
        n = DEFAULT_NUM_RESULTS
    if n > limit:
        raise _constraint(n, "numResults", f"Member must have value less than or equal to {limit}")
    serving = _resolve_campaign(ctx, params)
    recipe, model = serving.recipe, serving.model
    if refine.needs_full_ranking(params):
        n = len(model.item_ids)
    user_id, item_id = params.get("userId"), params.get("itemId")
    kind = recipe.recipe_type
    if serving.use_case is not None:
        _check_use_case_ids(serving.use_case, user_id, item_id)
    if kind == recipes.PERSONALIZED_RANKING:
        raise InvalidInputException(
            f"Campaign {params['campaignArn']} uses {recipe.name}, a PERSONALIZED_RANKING "
            "recipe; call GetPersonalizedRanking instead."
        )
    if kind == recipes.PERSONALIZED_ACTIONS:
        raise InvalidInputException(
            f"Campaign {params['campaignArn']} uses {recipe.name}, a PERSONALIZED_ACTIONS "
            "recipe; call GetActionRecommendations instead."
        )
    if kind == recipes.RELATED_ITEMS:
        if not item_id:
            raise InvalidInputException(
                f"itemId is required for a campaign that uses {recipe.name}."
            )
        return model, model.related(item_id, n), None
    if kind == recipes.USER_PERSONALIZATION and not user_id:
        raise InvalidInputException(f"userId is required for a campaign that uses {recipe.name}.")
    recent = recent_items(serving.events, user_id) if serving.events and user_id else []
    if recent:
        ranked, scores = model.recommend_with_events(user_id, recent, n)
    else:
        ranked, scores = model.recommend_user(user_id, n)
    if recipe.name == EXPLORING_RECIPE and serving.use_case is None:
        exploring: ExploringModel = model  # type: ignore[assignment]
        seed = request_seed(params.get("campaignArn"), user_id, n)
        ids, mixed = exploring.explore_ranked(user_id, ranked, scores, serving.exploration, seed)
        return model, ids, mixed
    return model, ranked, scores


def get_recommendations(ctx: Any, params: dict) -> dict:
    """GetRecommendations (reference §8; rules in the module docstring).

    Returns:
        ``{"itemList": [{"itemId": str, "score"?: float}], "recommendationId": str}``.

    Raises:
        InvalidInputException: a missing userId/itemId, numResults over the maximum, a
            ranking campaign, both or neither of campaignArn/recommenderArn, bad or missing
            filterValues, metadata not enabled (``refine.items``).
        ResourceNotFoundException: the campaign (or its version, or a recommender) does
            not exist, is not ACTIVE, or has no trained model.
    """
    model, ranked, scores = _recommended(ctx, params)
    if _refined(params):
        if isinstance(ranked, list):
            ids, values = ranked, scores
        else:
            ids, values = refine.as_arrays(ranked, scores, model.item_ids)
        n = params.get("numResults")
        items = _refine(ctx, params, ids, values, DEFAULT_NUM_RESULTS if n is None else n)
        return {"itemList": items, "recommendationId": _recommendation_id()}
    ids = ranked if isinstance(ranked, list) else model.item_ids[ranked].tolist()
    values = scores if scores is None or isinstance(scores, list) else scores.tolist()
    if values is None:
        items = [{"itemId": s} for s in ids]
    else:
        items = [{"itemId": s, "score": float(v)} for s, v in zip(ids, values, strict=True)]
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


_JSON_IDS: dict[int, tuple[Any, list[str]]] = {}
"""id(model) -> (the model, its item ids as JSON strings); the model is kept so that its
id cannot be reused while the entry lives."""
_JSON_IDS_SIZE = 16
_JSON_IDS_LOCK = threading.Lock()


def _json_ids(model: Any) -> list[str]:
    """The model's item ids, each as ``json.dumps`` writes it (quoted, ASCII-escaped)."""
    hit = _JSON_IDS.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    texts = [json.dumps(s) for s in model.item_ids.tolist()]
    with _JSON_IDS_LOCK:
        if len(_JSON_IDS) >= _JSON_IDS_SIZE:
            _JSON_IDS.clear()
        _JSON_IDS[id(model)] = (model, texts)
    return texts


def get_recommendations_json(ctx: Any, params: dict) -> bytes:
    """GetRecommendations written straight to its JSON body: the bytes
    ``json.dumps(get_recommendations(ctx, params), separators=(",", ":"))`` gives (with
    another recommendationId), without building the dicts (the item ids' JSON text is
    made once per model; scores are written by ``float.__repr__``, as ``json`` does).

    Raises:
        InvalidInputException, ResourceNotFoundException: as :func:`get_recommendations`.
        ValueError: a score is not finite (a bug; ``json.dumps(..., allow_nan=False)``
            raises the same).
    """
    if _refined(params):
        data = get_recommendations(ctx, params)
        return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
    model, ranked, scores = _recommended(ctx, params)
    if isinstance(ranked, list):  # cold items mixed in: ids, not indices
        names, indices = [json.dumps(s) for s in ranked], list(range(len(ranked)))
    else:
        names, indices = _json_ids(model), ranked.tolist()
    if scores is None:
        items = ",".join([f'{{"itemId":{names[i]}}}' for i in indices])
    else:
        values = scores if isinstance(scores, list) else scores.tolist()
        # scores lie in [0, 1], so their sum is finite unless one is NaN or infinite
        if not math.isfinite(sum(values)):
            raise ValueError("Out of range float values are not JSON compliant")
        pairs = zip(indices, values, strict=True)
        items = ",".join([f'{{"itemId":{names[i]},"score":{v!r}}}' for i, v in pairs])
    return f'{{"itemList":[{items}],"recommendationId":"{_recommendation_id()}"}}'.encode()


def get_personalized_ranking(ctx: Any, params: dict) -> dict:
    """GetPersonalizedRanking (reference §8; rules in the module docstring).

    Returns:
        ``{"personalizedRanking": [{"itemId": str, "score"?: float}],
        "recommendationId": str}``.

    Raises:
        InvalidInputException: inputList too long, or the campaign's recipe is not a
            PERSONALIZED_RANKING recipe, or as for :func:`get_recommendations` (filters,
            metadata).
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
    if serving.recipe.recipe_type != recipes.PERSONALIZED_RANKING:
        raise InvalidInputException(
            f"Campaign {params['campaignArn']} uses {serving.recipe.name}, which is not a "
            "PERSONALIZED_RANKING recipe; call GetRecommendations instead."
        )
    ranked = serving.model.rank(params.get("userId") or "", input_list)
    if _refined(params):
        ids, values = [s for s, _ in ranked], [v for _, v in ranked]
        out = _refine(ctx, params, ids, values, None)
    else:
        out = [{"itemId": s} if v is None else {"itemId": s, "score": v} for s, v in ranked]
    return {"personalizedRanking": out, "recommendationId": _recommendation_id()}


def get_action_recommendations(ctx: Any, params: dict) -> dict:
    """GetActionRecommendations (reference §8; rules in the module docstring).

    Returns:
        ``{"actionList": [{"actionId": str, "score": float}], "recommendationId": str}``.

    Raises:
        InvalidInputException: numResults over 100, a filter, or a campaign whose recipe
            is not PERSONALIZED_ACTIONS.
        ResourceNotFoundException: as for :func:`get_recommendations`.
    """
    n = params.get("numResults")
    n = DEFAULT_NUM_ACTIONS if n is None else n
    if n > MAX_NUM_ACTIONS:
        raise _constraint(
            n, "numResults", f"Member must have value less than or equal to {MAX_NUM_ACTIONS}"
        )
    if not params.get("campaignArn"):
        raise InvalidInputException("campaignArn is required.")
    serving = _resolve_campaign(ctx, params)
    if params.get("filterArn"):
        raise InvalidInputException(
            "The local target does not apply filters to action recommendations; leave "
            "filterArn out."
        )
    if serving.recipe.recipe_type != recipes.PERSONALIZED_ACTIONS:
        raise InvalidInputException(
            f"Campaign {params['campaignArn']} uses {serving.recipe.name}, which is not a "
            "PERSONALIZED_ACTIONS recipe; call GetRecommendations instead."
        )
    model: ActionServer = serving.model  # type: ignore[assignment]
    ranked = model.recommend_actions(params.get("userId") or None, n)
    return {
        "actionList": [{"actionId": a, "score": s} for a, s in ranked],
        "recommendationId": _recommendation_id(),
    }


_OPERATIONS = {
    "GetRecommendations": get_recommendations,
    "GetPersonalizedRanking": get_personalized_ranking,
    "GetActionRecommendations": get_action_recommendations,
}


def dispatch(ctx: Any, operation: str, params: dict) -> dict:
    """Answer one personalize-runtime operation (seam 3 of ``local.seams``).

    Args:
        ctx: the request context (``ctx.service.store``, ``ctx.service.config.state_dir``).
        operation: the botocore operation name.
        params: the parsed request body, already validated against the input shape.

    Raises:
        InvalidInputException / ResourceNotFoundException: see the handlers.
        UnknownOperationException: an operation this module does not implement.
    """
    handler = _OPERATIONS.get(operation)
    if handler is None:
        from personalize_reconcile.local.exceptions import UnknownOperationException

        raise UnknownOperationException(
            f"The local target does not implement personalize-runtime {operation}."
        )
    return handler(ctx, params)


def answer(ctx: Any, operation: str, params: dict) -> bytes:
    """The JSON body answering one personalize-runtime operation (seam 3 of
    ``local.seams``): :func:`get_recommendations_json` for GetRecommendations, else
    :func:`dispatch`'s data as ``json.dumps(..., separators=(",", ":"))`` writes it.

    Raises:
        As :func:`dispatch`; ``ValueError`` for a score that is not finite (a bug).
    """
    if operation == "GetRecommendations":
        return get_recommendations_json(ctx, params)
    data = dispatch(ctx, operation, params)
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
