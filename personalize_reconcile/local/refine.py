"""From a model's ranking to the answer's items: ``filterArn``, ``promotions`` and
``metadataColumns`` of a personalize-runtime request.

One job: given the items a model ranked (best first, with their scores), keep what the
request's filter keeps, mix in a promotion's items, cut to ``numResults`` and attach each
item's ``promotionName`` and ``metadata``. The rules of a filter live in
``local.filtering``. Caller: ``runtime`` (GetRecommendations, GetPersonalizedRanking).

Sources: reference §8 (``filterValues``; ``promotions`` at most 1 with ``name``,
``percentPromotedItems``, ``filterArn``, ``filterValues``, supported by the domain use
cases and by UP-v2, UP, Similar-Items, SIMS, Trending-Now and Popularity-Count, which
are every recipe the local target serves through GetRecommendations;
``metadataColumns`` ``{"ITEMS": [...]}`` only when metadata is enabled), reference §7
(``enableMetadataWithRecommendations``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from personalize_reconcile.local import filtering
from personalize_reconcile.local.exceptions import InvalidInputException


def needs_full_ranking(params: dict) -> bool:
    """Whether the request needs the model's whole ranking (a filter or a promotion may
    drop items, so the top ``numResults`` are not enough)."""
    return bool(params.get("filterArn") or params.get("promotions"))


def _metadata_columns(params: dict, enabled: bool, where: str) -> list[str]:
    columns = params.get("metadataColumns")
    if not columns:
        return []
    if not enabled:
        raise InvalidInputException(
            f"metadataColumns needs metadata enabled on {where}: set "
            "enableMetadataWithRecommendations to true in its configuration."
        )
    other = sorted(k for k in columns if k != "ITEMS")
    if other:
        raise InvalidInputException(
            f"metadataColumns takes only the key ITEMS, not {', '.join(other)}."
        )
    return list(columns.get("ITEMS") or [])


def items(
    *,
    store: Any,
    state_dir: Path,
    group_arn: str,
    params: dict,
    ids: list[str],
    scores: list[float | None] | None,
    num_results: int | None,
    metadata_enabled: bool,
    where: str,
) -> list[dict]:
    """The answer's items.

    Args:
        store: the state store (filter rows).
        state_dir: the local target's state dir (dataset records).
        group_arn: the dataset group of the campaign or recommender.
        params: the request (``filterArn``, ``filterValues``, ``promotions``,
            ``metadataColumns``, ``userId``, ``itemId``).
        ids: the ranked item ids, best first (the whole ranking when
            :func:`needs_full_ranking`).
        scores: their scores (``None`` entries or ``None`` for recipes without scores).
        num_results: how many to answer (``None``: all that pass, for ranking).
        metadata_enabled: whether the campaign or recommender has metadata enabled.
        where: "campaign <arn>" or "recommender <arn>", for messages.

    Returns:
        ``[{"itemId": str, "score"?: float, "promotionName"?: str, "metadata"?: {str: str}}]``.

    Raises:
        InvalidInputException: a bad ``filterValues``, a missing INCLUDE value, a
            promotion without ``filterArn``, metadata not
            enabled or an unknown metadata column (see ``local.filtering``).
        ResourceNotFoundException: a filter that does not exist.
    """
    user_id, item_id = params.get("userId"), params.get("itemId")
    columns = _metadata_columns(params, metadata_enabled, where)
    entries = list(zip(ids, scores if scores is not None else [None] * len(ids), strict=True))
    rest = entries
    if params.get("filterArn"):
        arn = params["filterArn"]
        tree = filtering.load_filter(store, arn, group_arn)
        values = filtering.filter_values(params.get("filterValues"))
        mask = filtering.keep(state_dir, group_arn, arn, tree, values, ids, user_id, item_id)
        rest = [e for e, k in zip(entries, mask.tolist(), strict=True) if k]
    n = len(rest) if num_results is None else num_results
    chosen: list[tuple[Any, bool]] = [(e, False) for e in rest[:n]]
    promotion = (params.get("promotions") or [None])[0]
    name = ""
    if promotion:
        name = str(promotion.get("name") or "")
        arn = promotion.get("filterArn")
        if not arn:
            raise InvalidInputException(
                "promotions[0].filterArn is required: it names the filter that picks the "
                "promoted items."
            )
        tree = filtering.load_filter(store, arn, group_arn)
        values = filtering.filter_values(
            promotion.get("filterValues"), "promotions[0].filterValues"
        )
        mask = filtering.keep(state_dir, group_arn, arn, tree, values, ids, user_id, item_id)
        count = filtering.promotion_count(n, int(promotion.get("percentPromotedItems") or 0))
        promoted = [e for e, k in zip(entries, mask.tolist(), strict=True) if k][:count]
        taken = {e[0] for e in promoted}
        others = [e for e in rest if e[0] not in taken]
        seed = f"{user_id or ''}\x00{item_id or ''}\x00{name}"
        chosen = filtering.mix(others, promoted, n, seed)
    metadata = (
        filtering.item_metadata(state_dir, group_arn, [e[0] for e, _ in chosen], columns)
        if columns
        else None
    )
    out = []
    for i, ((item, score), is_promoted) in enumerate(chosen):
        entry: dict[str, Any] = {"itemId": item}
        if score is not None:
            entry["score"] = score
        if is_promoted:
            entry["promotionName"] = name
        if metadata is not None:
            entry["metadata"] = metadata[i]
        out.append(entry)
    return out


def as_arrays(ranked: np.ndarray, scores: np.ndarray | None, item_ids: np.ndarray) -> tuple:
    """``(ids, scores)`` as lists from a model's ranked indices and scores."""
    ids = item_ids[ranked].tolist()
    return ids, (None if scores is None else scores.tolist())
