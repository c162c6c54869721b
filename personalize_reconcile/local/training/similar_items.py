"""Similar-Items (aws-similar-items): co-occurrence blended with Items metadata.

One job: the Similar-Items model when the group has an Items dataset with categorical
columns. The recipe "uses both interactions and item metadata" (its guide page), so an
item's related items are ranked by

    (1 - METADATA_WEIGHT) * co-occurrence score / best co-occurrence score of the item
    + METADATA_WEIGHT * cosine similarity of the two items' metadata (``item_features``)

over a catalogue that also holds the Items dataset's items nobody interacted with: such a
cold item gets the items whose metadata is most like its own instead of popular items.
Without usable metadata the recipe trains ``cooccurrence.CooccurrenceModel`` alone. The
co-occurrence half is SIMS's, with the same hyperparameters. Callers: ``trainer`` fits
it; the runtime serves it through ``serving`` (as a ``CooccurrenceModel``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from personalize_reconcile.local.training.cooccurrence import (
    MAX_NEIGHBOURS,
    CooccurrenceModel,
    rank_rows,
)
from personalize_reconcile.local.training.data import Interactions
from personalize_reconcile.local.training.item_features import ItemFeatures

METADATA_WEIGHT = 0.3
"""Share of the metadata similarity in the blended score (the local target's choice; the
service does not publish its blend)."""
BLOCK = 256
"""Rows scored at once (a dense ``BLOCK x items`` block)."""


class SimilarItemsModel(CooccurrenceModel):
    """A :class:`CooccurrenceModel` whose neighbour lists blend in metadata similarity."""

    kind = "similar-items"

    @classmethod
    def fit_blended(
        cls,
        inter: Interactions,
        values: dict[str, Any],
        meta: dict[str, Any],
        features: ItemFeatures,
    ) -> SimilarItemsModel:
        """Fit co-occurrence on ``inter`` (SIMS settings ``values``), then blend in the
        metadata of ``features`` over the union of both catalogues."""
        base = CooccurrenceModel.fit(inter, values, meta)
        ids = np.union1d(inter.item_ids, features.ids).astype(str)
        n = ids.shape[0]
        new_of_old = np.searchsorted(ids, inter.item_ids)
        co = base.neighbours.tocoo()
        row_max = np.zeros(base.n_items, dtype=np.float64)
        np.maximum.at(row_max, co.row, co.data)
        scaled = co.data / np.maximum(row_max[co.row], 1e-12)
        cooc = sparse.csr_matrix(
            (scaled.astype(np.float32), (new_of_old[co.row], new_of_old[co.col])), shape=(n, n)
        )
        vectors = features.rows_for(ids)
        vectors_t = vectors.T.tocsc()
        blocks = []
        for start in range(0, n, BLOCK):
            stop = min(start + BLOCK, n)
            cos = (vectors[start:stop] @ vectors_t).toarray()
            blended = (1.0 - METADATA_WEIGHT) * cooc[start:stop].toarray() + METADATA_WEIGHT * cos
            blended[np.arange(stop - start), np.arange(start, stop)] = 0.0
            blended[blended < 1e-6] = 0.0
            blocks.append(sparse.csr_matrix(blended.astype(np.float32)))
        scores = sparse.vstack(blocks).tocsr() if blocks else sparse.csr_matrix((n, n))
        popularity = np.zeros(n, dtype=np.int64)
        popularity[new_of_old] = base.popularity
        meta = dict(meta, metadataColumns=list(features.columns))
        return cls(ids, base.user_ids, popularity, meta, rank_rows(scores, MAX_NEIGHBOURS))
