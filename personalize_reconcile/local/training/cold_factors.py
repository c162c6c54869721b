"""Factors for cold items and cold users from metadata (aws-user-personalization-v2 and
aws-personalized-ranking-v2).

One job: give an ALS model the Items dataset's items that nobody interacted with (and
the Users dataset's users without interactions), each with a factor borrowed from the
warm items (users) whose metadata is most like its own: the mean of the factors of its
:data:`NEIGHBOURS` most similar warm ones, weighted by the cosine similarity of their
one-hot metadata (``item_features``). Such an item can then be recommended and ranked
like any other (the v2 recipes "use item metadata", their guide pages), and such a user
gets recommendations like those of the users who share their metadata rather than plain
popular items (reference §8 "Cold start": popular items "made more relevant by Users
metadata"). One without metadata, or with metadata no warm one shares, stays unknown.
Caller: ``trainer``.
"""

from __future__ import annotations

import numpy as np

from personalize_reconcile.local.training.als import AlsModel
from personalize_reconcile.local.training.item_features import ItemFeatures

NEIGHBOURS = 10
"""Warm items a cold item borrows its factor from."""
BLOCK = 256
"""Cold items scored at once (a dense ``BLOCK x warm items`` block)."""


def _borrow(
    warm_ids: np.ndarray, warm_factors: np.ndarray, features: ItemFeatures
) -> tuple[np.ndarray, np.ndarray]:
    """(cold ids, their borrowed factors) for the ids of ``features`` not in sorted
    ``warm_ids``; ids sharing no metadata with a warm one are left out."""
    f = warm_factors.shape[1]
    if warm_ids.shape[0] == 0:
        return features.ids[:0], np.zeros((0, f), dtype=np.float32)
    pos = np.minimum(np.searchsorted(warm_ids, features.ids), warm_ids.shape[0] - 1)
    cold_ids = features.ids[warm_ids[pos] != features.ids]
    warm = features.rows_for(warm_ids).T.tocsc()
    cold = features.rows_for(cold_ids)
    factors = np.zeros((cold_ids.shape[0], f), dtype=np.float32)
    keep = np.zeros(cold_ids.shape[0], dtype=bool)
    k = min(NEIGHBOURS, warm_ids.shape[0])
    for start in range(0, cold_ids.shape[0], BLOCK):
        sims = (cold[start : start + BLOCK] @ warm).toarray()
        top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        weights = np.take_along_axis(sims, top, axis=1)
        total = weights.sum(axis=1)
        ok = total > 0
        block = np.einsum("ck,ckf->cf", weights, warm_factors[top])
        factors[start : start + ok.shape[0]][ok] = block[ok] / total[ok, None]
        keep[start : start + ok.shape[0]] = ok
    return cold_ids[keep], factors[keep]


def with_cold_items(model: AlsModel, features: ItemFeatures) -> AlsModel:
    """``model`` with the cold items of ``features`` (Items metadata) added to its
    catalogue (sorted ids; popularity 0, factors borrowed as the module docstring says).
    Returns ``model`` itself when there is no cold item to add."""
    cold_ids, factors = _borrow(model.item_ids, model.item_factors, features)
    if cold_ids.shape[0] == 0:
        return model
    ids = np.concatenate([model.item_ids, cold_ids])
    order = np.argsort(ids, kind="stable")
    popularity = np.concatenate(
        [model.popularity, np.zeros(cold_ids.shape[0], dtype=model.popularity.dtype)]
    )
    out = AlsModel(
        ids[order],
        model.user_ids,
        popularity[order],
        dict(model.meta, coldItemsFromMetadata=int(cold_ids.shape[0])),
        model.user_factors,
        np.vstack([model.item_factors, factors])[order].astype(np.float32),
    )
    out.cold = model.cold
    return out


def with_cold_users(model: AlsModel, features: ItemFeatures) -> AlsModel:
    """``model`` with the users of ``features`` (Users metadata) it did not train on
    added to its users, factors borrowed from the users who share their metadata.
    Returns ``model`` itself when there is no such user."""
    cold_ids, factors = _borrow(model.user_ids, model.user_factors, features)
    if cold_ids.shape[0] == 0:
        return model
    ids = np.concatenate([model.user_ids, cold_ids])
    order = np.argsort(ids, kind="stable")
    out = AlsModel(
        model.item_ids,
        ids[order],
        model.popularity,
        dict(model.meta, coldUsersFromMetadata=int(cold_ids.shape[0])),
        np.vstack([model.user_factors, factors])[order].astype(np.float32),
        model.item_factors,
    )
    out.cold = model.cold
    return out
