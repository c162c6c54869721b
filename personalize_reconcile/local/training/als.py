"""Implicit-feedback ALS for the user-personalization and personalized-ranking recipes.

One job: fit ``implicit``'s CPU AlternatingLeastSquares on weighted interactions
(deterministically: fixed random state, BLAS limited to one thread, per-user solves that do
not depend on the thread count), fold in users it did not train on, and serve scores as a
softmax over the whole catalogue (reference §8: User-Personalization scores sum to 1 over
the catalogue). Callers: ``trainer`` fits and updates it; the runtime serves it through
``serving``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares
from scipy import sparse
from threadpoolctl import threadpool_limits

from personalize_reconcile.local.training.data import Interactions, distinct_users_per_item
from personalize_reconcile.local.training.exploration import ColdItems, explore
from personalize_reconcile.local.training.model import (
    Model,
    softmax,
    top_indices,
    top_indices_rows,
)

SMALL_MATRIX = 200_000
"""Below this many (user, item) entries ALS runs on one thread: thread start-up and
waiting for a busy core cost more than the work."""


def training_threads(entries: int | None = None) -> int:
    """Threads for the ALS solver: ``PRECONCILE_TRAINING_THREADS``, else 1 for a matrix of
    fewer than :data:`SMALL_MATRIX` ``entries``, else the CPU count (at most 4).

    Results do not depend on it: each user's and item's least-squares solve is independent.
    """
    raw = os.environ.get("PRECONCILE_TRAINING_THREADS", "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    if entries is not None and entries < SMALL_MATRIX:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def user_item_matrix(inter: Interactions) -> sparse.csr_matrix:
    """``(n_users, n_items)`` float32 CSR: the summed event weights per (user, item)."""
    m = sparse.csr_matrix(
        (inter.weight, (inter.user, inter.item)),
        shape=(inter.n_users, inter.n_items),
        dtype=np.float32,
    )
    m.sum_duplicates()
    m.eliminate_zeros()
    return m


def history_mask(inter: Interactions, low: float, high: float) -> np.ndarray:
    """Events of users whose history length lies within the ``low``-``high`` percentiles
    (0-1) of all users' history lengths (bool, length ``n``)."""
    if low <= 0.0 and high >= 1.0:
        return np.ones(inter.n, dtype=bool)
    lengths = np.bincount(inter.user, minlength=inter.n_users)
    lo, hi = np.quantile(lengths, [low, high])
    ok = (lengths >= lo) & (lengths <= hi)
    return ok[inter.user]


RECENT_EVENTS_HALF_WEIGHT = 2.0
"""How many recent events weigh as much as everything a user was trained on (see
:meth:`AlsModel.recommend_with_events`)."""


class AlsModel(Model):
    """User and item factors from ALS; see the module docstring.

    Extra attributes: ``user_factors`` ``(n_users, f)`` and ``item_factors``
    ``(n_items, f)``, float32; ``cold`` (``exploration.ColdItems`` or ``None``), the items
    aws-user-personalization campaigns may explore.
    """

    kind = "als"
    scored = True

    def __init__(
        self,
        item_ids: np.ndarray,
        user_ids: np.ndarray,
        popularity: np.ndarray,
        meta: dict[str, Any],
        user_factors: np.ndarray,
        item_factors: np.ndarray,
    ) -> None:
        super().__init__(item_ids, user_ids, popularity, meta)
        self.user_factors = user_factors
        self.item_factors = item_factors
        self.cold: ColdItems | None = None

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(cls, inter: Interactions, values: dict[str, Any], meta: dict[str, Any]) -> AlsModel:
        """Fit on ``inter`` with the resolved ALS settings ``values`` (hyperparams module).

        Users outside the history-length percentiles do not shape the factors; they are
        folded in afterwards so that every user in ``inter`` is known to the model.
        """
        matrix = user_item_matrix(inter)
        keep = history_mask(
            inter,
            values["min_user_history_length_percentile"],
            values["max_user_history_length_percentile"],
        )
        trained_users = np.flatnonzero(np.bincount(inter.user[keep], minlength=inter.n_users))
        train_matrix = matrix
        if trained_users.shape[0] < inter.n_users:
            rows = np.zeros(inter.n_users, dtype=np.float32)
            rows[trained_users] = 1.0
            train_matrix = sparse.diags(rows).dot(matrix).tocsr()
            train_matrix.eliminate_zeros()
        with threadpool_limits(1, "blas"):
            als = cls._solver(values, train_matrix.nnz)
            als.fit(train_matrix, show_progress=False)
            user_factors = np.asarray(als.user_factors, dtype=np.float32)
            rest = np.setdiff1d(np.arange(inter.n_users), trained_users)
            if rest.shape[0]:
                user_factors[rest] = als.recalculate_user(rest, matrix[rest])
        popularity = distinct_users_per_item(inter)
        return cls(
            inter.item_ids,
            inter.user_ids,
            popularity,
            meta,
            user_factors,
            np.asarray(als.item_factors, dtype=np.float32),
        )

    @staticmethod
    def _solver(values: dict[str, Any], entries: int | None = None) -> AlternatingLeastSquares:
        return AlternatingLeastSquares(
            factors=int(values["hidden_dimension"]),
            regularization=float(values["regularization"]),
            alpha=float(values["alpha"]),
            iterations=int(values["iterations"]),
            random_state=int(values["random_seed"]),
            num_threads=training_threads(entries),
        )

    def _fold_solver(self, entries: int) -> AlternatingLeastSquares:
        als = self._solver(self.meta["settings"], entries)
        als.item_factors = self.item_factors
        als.user_factors = self.user_factors
        return als

    def fold_in(self, histories: sparse.csr_matrix) -> np.ndarray:
        """Factors ``(m, f)`` for users the model did not train on, from their
        ``(m, n_items)`` weight histories, keeping the item factors fixed."""
        if histories.shape[0] == 0:
            return np.zeros((0, self.item_factors.shape[1]), dtype=np.float32)
        with threadpool_limits(1, "blas"):
            out = self._fold_solver(histories.nnz).recalculate_user(
                np.arange(histories.shape[0]), histories.astype(np.float32).tocsr()
            )
        return np.asarray(out, dtype=np.float32).reshape(histories.shape[0], -1)

    def update(self, inter: Interactions, meta: dict[str, Any]) -> AlsModel:
        """trainingMode UPDATE (reference §6): keep this model's item factors, give new
        items factors from the users who touched them, and refit every user in ``inter``
        against the fixed items. Deterministic; no random initialisation.
        """
        matrix = user_item_matrix(inter)
        old = {s: i for i, s in enumerate(self.item_ids.tolist())}
        f = self.item_factors.shape[1]
        item_factors = np.zeros((inter.n_items, f), dtype=np.float32)
        known = np.array([old.get(s, -1) for s in inter.item_ids.tolist()], dtype=np.int64)
        item_factors[known >= 0] = self.item_factors[known[known >= 0]]
        base = AlsModel(
            inter.item_ids,
            inter.user_ids,
            self.popularity,
            self.meta,
            np.zeros((inter.n_users, f), dtype=np.float32),
            item_factors,
        )
        # users from the known items only, then new items from those users
        known_cols = sparse.diags((known >= 0).astype(np.float32))
        user_factors = base.fold_in((matrix @ known_cols).tocsr())
        new_items = np.flatnonzero(known < 0)
        if new_items.shape[0]:
            with threadpool_limits(1, "blas"):
                solver = self._solver(self.meta["settings"], matrix.nnz)
                solver.item_factors = user_factors
                item_factors[new_items] = solver.recalculate_user(
                    new_items, matrix.T.tocsr()[new_items]
                )
            base.item_factors = item_factors
            user_factors = base.fold_in(matrix)
        popularity = distinct_users_per_item(inter)
        return AlsModel(
            inter.item_ids, inter.user_ids, popularity, meta, user_factors, item_factors
        )

    # ------------------------------------------------------------------ serving
    def item_scores_for_user(self, user_id: str | None) -> np.ndarray | None:
        """Softmax of the user's factor against every item; popularity shares for an
        unknown user (who gets popular items, reference §8)."""
        idx = None if user_id is None else self.user_index(user_id)
        if idx is None:
            return self.popular_scores()
        return softmax(self.item_factors @ self.user_factors[idx])

    def recommend_with_events(
        self, user_id: str | None, recent_items: list[str], n: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Real-time personalization. ``v`` is the factor the recent events alone fold in
        to (``fold_in`` of one history row: one count per event, the item factors fixed,
        the model's own regularization and alpha). A user the model trained on, with
        factor ``u``, is served ``(1 - w) u + w v'`` where ``v'`` is ``v`` scaled to the
        length of ``u`` and ``w = n / (n + RECENT_EVENTS_HALF_WEIGHT)`` for ``n`` recent
        events on known items (1 event: w = 1/3, 10 events: w = 5/6), so the more a user
        has just done, the more it counts; a user the model never saw is served ``v``.
        Then a softmax over the catalogue as :meth:`item_scores_for_user`. Events on items
        the model never saw are ignored. Deterministic: the same events give the same
        answer."""
        known = [i for i in (self.item_index(s) for s in recent_items) if i is not None]
        if not known:
            return self.recommend_user(user_id, n)
        counts = np.bincount(np.array(known, dtype=np.int64), minlength=self.n_items)
        cols = np.flatnonzero(counts)
        history = sparse.csr_matrix(
            (counts[cols].astype(np.float32), (np.zeros(cols.shape[0], dtype=np.int64), cols)),
            shape=(1, self.n_items),
        )
        factor = self.fold_in(history)[0]
        idx = None if user_id is None else self.user_index(user_id)
        if idx is not None:
            own = self.user_factors[idx]
            length, recent = float(np.linalg.norm(own)), float(np.linalg.norm(factor))
            if recent > 0:
                factor = factor * (length / recent)
            w = len(known) / (len(known) + RECENT_EVENTS_HALF_WEIGHT)
            factor = (1.0 - w) * own + w * factor
        scores = softmax(self.item_factors @ factor)
        top = top_indices(scores, n)
        return top, scores[top]

    def rank(self, user_id: str, item_ids: list[str]) -> list[tuple[str, float | None]]:
        """See :meth:`Model.rank`; scores are a softmax over the listed known items."""
        idx = self.user_index(user_id)
        if idx is None:
            return super().rank(user_id, item_ids)
        seen = dict.fromkeys(item_ids)
        pairs = [(s, self.item_index(s)) for s in seen]
        known = [(s, i) for s, i in pairs if i is not None]
        unknown = [s for s, i in pairs if i is None]
        out: list[tuple[str, float | None]] = []
        if known:
            cols = np.array([i for _, i in known], dtype=np.int64)
            probs = softmax(self.item_factors[cols] @ self.user_factors[idx])
            order = np.lexsort((np.arange(len(cols)), -probs))
            out = [(known[k][0], float(probs[k])) for k in order]
        return out + [(s, None) for s in unknown]

    def top_for_histories(
        self, histories: sparse.csr_matrix, last_items: np.ndarray, n: int
    ) -> np.ndarray:
        """Fold each history in, then take the top ``n`` items by score. Users with an
        empty history get popular items."""
        factors = self.fold_in(histories)
        out = np.full((histories.shape[0], n), -1, dtype=np.int64)
        empty = np.diff(histories.indptr) == 0
        pop = self.popular()[:n]
        for start in range(0, factors.shape[0], 1024):
            block = factors[start : start + 1024] @ self.item_factors.T
            top = top_indices_rows(block, n)
            out[start : start + top.shape[0], : top.shape[1]] = top
        out[empty] = -1
        out[np.ix_(empty, np.arange(pop.shape[0]))] = pop
        return out

    def recommend_explored(
        self, user_id: str | None, n: int, config: dict[str, str] | None, seed: int
    ) -> tuple[list[str], list[float] | None]:
        """:meth:`recommend_user` with cold items mixed in (``exploration.explore``):
        item ids and scores, best first."""
        ranked, scores = self.recommend_user(user_id, n)
        return self.explore_ranked(user_id, ranked, scores, config, seed)

    def explore_ranked(
        self,
        user_id: str | None,
        ranked: np.ndarray,
        scores: np.ndarray | None,
        config: dict[str, str] | None,
        seed: int,
    ) -> tuple[list[str], list[float] | None]:
        """Cold items mixed into an already ranked answer (item indices best first and
        their scores, e.g. shifted by the user's recent events): item ids and scores."""
        ids = self.item_ids[ranked].tolist()
        values = None if scores is None else [float(v) for v in scores.tolist()]
        if self.cold is None:
            return ids, values
        full = self.item_scores_for_user(user_id)
        known = {s: self.item_index(s) for s in self.cold.ids.tolist()}
        score_of = {
            s: float(full[i]) for s, i in known.items() if i is not None and full is not None
        }
        return explore(ids, values, score_of, self.cold, config, seed)

    # ------------------------------------------------------------------ storage
    def arrays(self) -> dict[str, np.ndarray]:
        """Base arrays plus both factor matrices (and the cold items, when kept)."""
        out = {
            **super().arrays(),
            "user_factors": self.user_factors,
            "item_factors": self.item_factors,
        }
        if self.cold is not None:
            out["cold_ids"] = self.cold.ids
            out["cold_created"] = self.cold.created
            out["cold_latest"] = np.array([self.cold.latest], dtype=np.int64)
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> AlsModel:
        """Rebuild a saved ALS model."""
        model = cls(
            arrays["item_ids"],
            arrays["user_ids"],
            arrays["popularity"],
            meta,
            arrays["user_factors"],
            arrays["item_factors"],
        )
        if "cold_ids" in arrays:
            model.cold = ColdItems(
                arrays["cold_ids"], arrays["cold_created"], int(arrays["cold_latest"][0])
            )
        return model
