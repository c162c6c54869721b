"""Item-to-item co-occurrence for the SIMS and Similar-Items recipes (RELATED_ITEMS).

One job: count, for every pair of items, the distinct users who interacted with both
(co-interactions), drop pairs with fewer than ``min_cointeraction_count``, and score the
pair as ``co-interactions / popularity(candidate) ** popularity_discount_factor``: 0 ranks
purely by co-interaction count (popular items win), 1 by co-interactions relative to the
candidate's popularity (the SIMS recipe's documented meaning of the factor). Users whose
history length lies outside the user-history percentiles do not count. Related items are
returned without scores (reference §8), and an unknown item, or a short list, is filled up
with popular items. Callers: ``trainer`` fits it; the runtime serves it through
``serving``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from personalize_reconcile.local.training.als import history_mask
from personalize_reconcile.local.training.data import Interactions, distinct_users_per_item
from personalize_reconcile.local.training.model import Model

MAX_NEIGHBOURS = 500
"""Neighbours kept per item: GetRecommendations returns at most 500 (reference §8)."""


class CooccurrenceModel(Model):
    """Per item, its related items best first, as CSR rows (``neighbours``, ``(n_items,
    n_items)`` float32, each row's entries in rank order)."""

    kind = "cooccurrence"
    scored = False

    def __init__(
        self,
        item_ids: np.ndarray,
        user_ids: np.ndarray,
        popularity: np.ndarray,
        meta: dict[str, Any],
        neighbours: sparse.csr_matrix,
    ) -> None:
        super().__init__(item_ids, user_ids, popularity, meta)
        self.neighbours = neighbours

    @classmethod
    def fit(
        cls, inter: Interactions, values: dict[str, Any], meta: dict[str, Any]
    ) -> CooccurrenceModel:
        """Count co-interactions in ``inter`` with the resolved SIMS settings ``values``."""
        keep = history_mask(
            inter,
            values["min_user_history_length_percentile"],
            values["max_user_history_length_percentile"],
        )
        binary = sparse.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float32), (inter.user[keep], inter.item[keep])),
            shape=(inter.n_users, inter.n_items),
        )
        binary.sum_duplicates()
        binary.data[:] = 1.0
        counts = (binary.T @ binary).tocsr()
        counts.setdiag(0)
        counts.eliminate_zeros()
        least = max(1, int(values["min_cointeraction_count"]))
        counts.data[counts.data < least] = 0
        counts.eliminate_zeros()
        users_per_item = np.asarray(binary.sum(axis=0)).ravel()
        discount = np.power(
            np.maximum(users_per_item, 1.0), -float(values["popularity_discount_factor"])
        )
        scores = (counts @ sparse.diags(discount.astype(np.float32))).tocsr()
        return cls(
            inter.item_ids,
            inter.user_ids,
            distinct_users_per_item(inter),
            meta,
            rank_rows(scores, MAX_NEIGHBOURS),
        )

    def _neighbours_of(self, idx: int) -> np.ndarray:
        lo, hi = self.neighbours.indptr[idx], self.neighbours.indptr[idx + 1]
        return self.neighbours.indices[lo:hi].astype(np.int64)

    def _fill(self, first: np.ndarray, own: int | None, n: int) -> np.ndarray:
        if first.shape[0] >= n:
            return first[:n]
        taken = np.zeros(self.n_items, dtype=bool)
        taken[first] = True
        if own is not None:
            taken[own] = True
        pop = self.popular()
        rest = pop[~taken[pop]][: n - first.shape[0]]
        return np.concatenate([first, rest])

    def related(self, item_id: str, n: int) -> np.ndarray:
        """Items most co-interacted with ``item_id``, filled up with popular items."""
        own = self.item_index(item_id)
        first = np.zeros(0, dtype=np.int64) if own is None else self._neighbours_of(own)
        return self._fill(first, own, n)

    def top_for_histories(
        self, histories: sparse.csr_matrix, last_items: np.ndarray, n: int
    ) -> np.ndarray:
        """Items related to each user's most recent item (what a RELATED_ITEMS campaign
        would be asked about next)."""
        out = np.full((histories.shape[0], n), -1, dtype=np.int64)
        for u, last in enumerate(last_items.tolist()):
            own = None if last < 0 else int(last)
            first = np.zeros(0, dtype=np.int64) if own is None else self._neighbours_of(own)
            row = self._fill(first, own, n)
            out[u, : row.shape[0]] = row
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        """Base arrays plus the neighbour lists in CSR form."""
        return {
            **super().arrays(),
            "nb_indptr": self.neighbours.indptr,
            "nb_indices": self.neighbours.indices,
            "nb_data": self.neighbours.data,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> CooccurrenceModel:
        """Rebuild a saved co-occurrence model."""
        n = arrays["item_ids"].shape[0]
        nb = sparse.csr_matrix(
            (arrays["nb_data"], arrays["nb_indices"], arrays["nb_indptr"]), shape=(n, n)
        )
        return cls(arrays["item_ids"], arrays["user_ids"], arrays["popularity"], meta, nb)


def rank_rows(scores: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Keep each row's ``k`` best entries, stored best first (ties: lower column first).
    The result is not in canonical (sorted-index) order; only row slices are read."""
    indptr = [0]
    indices: list[np.ndarray] = []
    data: list[np.ndarray] = []
    for r in range(scores.shape[0]):
        lo, hi = scores.indptr[r], scores.indptr[r + 1]
        cols, vals = scores.indices[lo:hi], scores.data[lo:hi]
        order = np.lexsort((cols, -vals))[:k]
        indices.append(cols[order])
        data.append(vals[order])
        indptr.append(indptr[-1] + order.shape[0])
    out = sparse.csr_matrix(
        (
            np.concatenate(data) if data else np.zeros(0, np.float32),
            np.concatenate(indices) if indices else np.zeros(0, np.int32),
            np.array(indptr, dtype=np.int64),
        ),
        shape=scores.shape,
    )
    out.has_sorted_indices = False
    return out
