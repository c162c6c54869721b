"""Item exploration for aws-user-personalization: cold items mixed into recommendations.

One job: at training time, keep the items exploration may show (:func:`cold_items`); at
request time, mix them into a user's recommendations as a campaign's
``campaignConfig.itemExplorationConfig`` asks (:func:`explore`). Reference §7: the keys
``explorationWeight`` (0-1, default 0.3) and ``explorationItemAgeCutOff`` (days, default
30, at least 1), for aws-user-personalization only. Callers: ``trainer`` (training) and
the runtime through ``serving``.

- Cold items: the Items dataset's items that have fewer than
  :data:`COLD_INTERACTIONS` interactions (none at all included), with their
  CREATION_TIMESTAMP. Without an Items dataset with CREATION_TIMESTAMP there is nothing to
  explore and recommendations are the model's.
- Age: an item is young enough when its CREATION_TIMESTAMP is at most
  ``explorationItemAgeCutOff`` days before the latest interaction in the training data
  (the developer guide measures item age "since the latest interaction across all items
  in the Item interactions dataset"), so no wall clock is involved.
- Mixing: ``round(explorationWeight * numResults)`` slots (at most the young cold items
  not already recommended) go to cold items. A generator seeded from the request (the
  campaign, the user and numResults: the same request gives the same answer) picks the
  items and their positions; the model's own recommendations keep their order in the
  other positions. A cold item's score is its share of the model's softmax when the model
  knows it, else 0.0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from personalize_reconcile.local.training.data import Interactions

COLD_INTERACTIONS = 10
"""Items with fewer interactions than this are cold (the service does not publish its
threshold; this is the local target's)."""
DEFAULT_WEIGHT = 0.3
"""Reference §7: explorationWeight defaults to 0.3."""
DEFAULT_AGE_CUTOFF_DAYS = 30.0
"""Reference §7: explorationItemAgeCutOff defaults to 30 days."""
DAY = 86400


@dataclass(frozen=True)
class ColdItems:
    """Items exploration may show.

    Attributes:
        ids: item ids (``str`` array).
        created: CREATION_TIMESTAMP per item, epoch seconds (``int64``).
        latest: the latest interaction in the training data, epoch seconds.
    """

    ids: np.ndarray
    created: np.ndarray
    latest: int


def _column(columns: Mapping[str, np.ndarray], name: str) -> np.ndarray | None:
    for key, value in columns.items():
        if key.upper() == name:
            return np.asarray(value)
    return None


def cold_items(inter: Interactions, items: Mapping[str, np.ndarray] | None) -> ColdItems | None:
    """The cold items of the Items dataset (see the module docstring), or ``None`` when
    there is no Items dataset with CREATION_TIMESTAMP or no interaction."""
    if not items or inter.n == 0:
        return None
    ids = _column(items, "ITEM_ID")
    created = _column(items, "CREATION_TIMESTAMP")
    if ids is None or created is None:
        return None
    ids = ids.astype(str)
    counts = np.bincount(inter.item, minlength=inter.n_items)
    pos = np.minimum(np.searchsorted(inter.item_ids, ids), max(inter.n_items - 1, 0))
    known = inter.item_ids[pos] == ids if inter.n_items else np.zeros(ids.shape[0], bool)
    per_item = np.where(known, counts[pos], 0)
    cold = per_item < COLD_INTERACTIONS
    order = np.argsort(ids[cold], kind="stable")
    return ColdItems(
        ids=ids[cold][order],
        created=created[cold].astype(np.int64)[order],
        latest=int(inter.timestamp.max()),
    )


def _number(config: Mapping[str, str], key: str, default: float) -> float:
    try:
        return float(config.get(key, default))
    except (TypeError, ValueError):
        return default


def request_seed(*parts: object) -> int:
    """A 64-bit seed from the request's parts (stable across processes)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def explore(
    ranked: list[str],
    scores: list[float] | None,
    score_of: Mapping[str, float],
    cold: ColdItems | None,
    config: Mapping[str, str] | None,
    seed: int,
) -> tuple[list[str], list[float] | None]:
    """Mix young cold items into ``ranked`` (the model's top items, best first).

    Args:
        ranked: the model's recommendations (item ids), ``numResults`` long or shorter.
        scores: their scores (``None``: unscored).
        score_of: the model's score per item id, for cold items it knows.
        cold: the version's :class:`ColdItems` (``None``: nothing to explore).
        config: the campaign's ``itemExplorationConfig`` (string values; defaults above).
        seed: :func:`request_seed` of the request.

    Returns:
        The mixed ids and scores, as long as ``ranked``.
    """
    config = config or {}
    weight = _number(config, "explorationWeight", DEFAULT_WEIGHT)
    cutoff = _number(config, "explorationItemAgeCutOff", DEFAULT_AGE_CUTOFF_DAYS)
    n = len(ranked)
    if cold is None or n == 0 or weight <= 0:
        return ranked, scores
    young = cold.created >= cold.latest - cutoff * DAY
    shown = set(ranked)
    pool = [i for i in cold.ids[young].tolist() if i not in shown]
    slots = min(int(round(weight * n)), len(pool))
    if slots == 0:
        return ranked, scores
    rng = np.random.default_rng(seed)
    picked = [pool[k] for k in rng.choice(len(pool), size=slots, replace=False).tolist()]
    positions = set(rng.choice(n, size=slots, replace=False).tolist())
    rest = iter(range(n))
    out_ids: list[str] = []
    out_scores: list[float] = []
    cold_iter = iter(picked)
    for position in range(n):
        if position in positions:
            item = next(cold_iter)
            out_ids.append(item)
            out_scores.append(float(score_of.get(item, 0.0)))
        else:
            k = next(rest)
            out_ids.append(ranked[k])
            out_scores.append(scores[k] if scores is not None else 0.0)
    return out_ids, (out_scores if scores is not None else None)
