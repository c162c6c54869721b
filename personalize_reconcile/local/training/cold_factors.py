"""Factors for cold items from Items metadata (aws-user-personalization-v2 and
aws-personalized-ranking-v2).

One job: give an ALS model's catalogue the Items dataset's items that nobody interacted
with, each with an item factor borrowed from the warm items whose metadata is most like
its own: the mean of the factors of its :data:`NEIGHBOURS` most similar warm items,
weighted by the cosine similarity of their one-hot metadata (``item_features``). Such an
item can then be recommended and ranked like any other (the v2 recipes "use item
metadata", their guide pages); an item without metadata, or with metadata no warm item
shares, stays out of the catalogue. Caller: ``trainer``.
"""

from __future__ import annotations

import numpy as np

from personalize_reconcile.local.training.als import AlsModel
from personalize_reconcile.local.training.item_features import ItemFeatures

NEIGHBOURS = 10
"""Warm items a cold item borrows its factor from."""
BLOCK = 256
"""Cold items scored at once (a dense ``BLOCK x warm items`` block)."""


def with_cold_items(model: AlsModel, features: ItemFeatures) -> AlsModel:
    """``model`` with the cold items of ``features`` added to its catalogue (sorted ids;
    popularity 0, factors borrowed as the module docstring says). Returns ``model``
    itself when there is no cold item to add."""
    warm_ids = model.item_ids
    pos = np.minimum(np.searchsorted(warm_ids, features.ids), max(warm_ids.shape[0] - 1, 0))
    cold_ids = features.ids[warm_ids[pos] != features.ids] if warm_ids.shape[0] else features.ids
    if cold_ids.shape[0] == 0 or warm_ids.shape[0] == 0:
        return model
    warm = features.rows_for(warm_ids).T.tocsc()
    cold = features.rows_for(cold_ids)
    factors = np.zeros((cold_ids.shape[0], model.item_factors.shape[1]), dtype=np.float32)
    keep = np.zeros(cold_ids.shape[0], dtype=bool)
    k = min(NEIGHBOURS, warm_ids.shape[0])
    for start in range(0, cold_ids.shape[0], BLOCK):
        sims = (cold[start : start + BLOCK] @ warm).toarray()
        top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        weights = np.take_along_axis(sims, top, axis=1)
        total = weights.sum(axis=1)
        ok = total > 0
        block = np.einsum("ck,ckf->cf", weights, model.item_factors[top])
        factors[start : start + ok.shape[0]][ok] = block[ok] / total[ok, None]
        keep[start : start + ok.shape[0]] = ok
    ids = np.concatenate([warm_ids, cold_ids[keep]])
    order = np.argsort(ids, kind="stable")
    item_factors = np.vstack([model.item_factors, factors[keep]])[order]
    popularity = np.concatenate(
        [model.popularity, np.zeros(int(keep.sum()), dtype=model.popularity.dtype)]
    )[order]
    out = AlsModel(
        ids[order],
        model.user_ids,
        popularity,
        dict(model.meta, coldItemsFromMetadata=int(keep.sum())),
        model.user_factors,
        item_factors.astype(np.float32),
    )
    out.cold = model.cold
    return out
