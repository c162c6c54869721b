"""The non-personalized recipes: Popularity-Count and Trending-Now.

One job: rank the catalogue once for everybody. Callers: ``trainer`` fits them; the
runtime serves them through ``serving``.

- aws-popularity-count: by distinct users per item; no scores (reference §8).
- aws-trending-now: by growth between the two most recent intervals of
  ``trend_discovery_frequency`` ending at the newest event in the data (the data is
  historical, so "now" is the newest timestamp, not the wall clock). Growth of an item is
  ``(current - previous) / (previous + 1)`` over its weighted event counts; ties go to more
  events in the current interval, then to more distinct users overall. Scores are a softmax
  of growth over the catalogue. Its extra metric, ``trend_prediction_accuracy``
  (:func:`trend_prediction_accuracy`), backtests the trend one interval earlier.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from personalize_reconcile.local.training.data import Interactions, distinct_users_per_item
from personalize_reconcile.local.training.model import Model, softmax


class PopularityModel(Model):
    """The same popular items for everyone, most distinct users first, without scores."""

    kind = "popularity"
    scored = False

    @classmethod
    def fit(
        cls, inter: Interactions, values: dict[str, Any], meta: dict[str, Any]
    ) -> PopularityModel:
        """Count distinct users per item."""
        return cls(inter.item_ids, inter.user_ids, distinct_users_per_item(inter), meta)


class TrendingModel(Model):
    """The same trending items for everyone (``order``: item indices, best first;
    ``growth``: float64 per item)."""

    kind = "trending"
    scored = True

    def __init__(
        self,
        item_ids: np.ndarray,
        user_ids: np.ndarray,
        popularity: np.ndarray,
        meta: dict[str, Any],
        growth: np.ndarray,
        current: np.ndarray,
    ) -> None:
        super().__init__(item_ids, user_ids, popularity, meta)
        self.growth = growth
        self.current = current
        self.order = np.lexsort((np.arange(item_ids.shape[0]), -popularity, -current, -growth))
        self._scores = softmax(growth) if growth.shape[0] else growth

    @classmethod
    def fit(
        cls, inter: Interactions, values: dict[str, Any], meta: dict[str, Any]
    ) -> TrendingModel:
        """Compare the last two intervals of ``values["interval_seconds"]`` seconds."""
        interval = int(values["interval_seconds"])
        end = int(inter.timestamp.max()) if inter.n else 0
        current_mask = inter.timestamp > end - interval
        previous_mask = (inter.timestamp > end - 2 * interval) & ~current_mask
        current = np.bincount(
            inter.item[current_mask], weights=inter.weight[current_mask], minlength=inter.n_items
        )
        previous = np.bincount(
            inter.item[previous_mask], weights=inter.weight[previous_mask], minlength=inter.n_items
        )
        growth = (current - previous) / (previous + 1.0)
        meta = {**meta, "trend_window_end": end}
        return cls(
            inter.item_ids,
            inter.user_ids,
            distinct_users_per_item(inter),
            meta,
            growth.astype(np.float64),
            current.astype(np.float64),
        )

    def item_scores_for_user(self, user_id: str | None) -> np.ndarray | None:
        """Softmax of growth over the catalogue, the same for every user."""
        return self._scores

    def recommend_user(self, user_id: str | None, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The ``n`` fastest-growing items and their scores."""
        top = self.order[:n].copy()
        return top, self._scores[top]

    def top_for_histories(
        self, histories: sparse.csr_matrix, last_items: np.ndarray, n: int
    ) -> np.ndarray:
        """The trending list for every user."""
        row = self.order[:n]
        out = np.full((histories.shape[0], n), -1, dtype=np.int64)
        out[:, : row.shape[0]] = row
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        """Base arrays plus growth and current-interval counts."""
        return {**super().arrays(), "growth": self.growth, "current": self.current}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> TrendingModel:
        """Rebuild a saved trending model."""
        return cls(
            arrays["item_ids"],
            arrays["user_ids"],
            arrays["popularity"],
            meta,
            arrays["growth"],
            arrays["current"],
        )


TREND_METRIC = "trend_prediction_accuracy"
"""The key of Trending-Now's extra metric in GetSolutionMetrics (reference §6: "Trending-Now
adds trend-prediction accuracy"; the service's exact key is unconfirmed, reference §10)."""


def trend_prediction_accuracy(inter: Interactions, interval: int, k: int = 25) -> float:
    """How well the trend of one interval predicts the next, as a share from 0 to 1.

    With ``end`` the newest timestamp and ``I`` the interval in seconds: the items that
    grew most from ``[end-3I, end-2I)`` to ``[end-2I, end-I)`` (the top ``k`` by the
    model's growth rule, among items with events in the later one) are the prediction; the
    share of them whose events grew again from ``[end-2I, end-I)`` to ``[end-I, end]`` is
    the accuracy. 0.0 when the data spans less than three intervals or nothing grew.
    """
    if not inter.n:
        return 0.0
    end = int(inter.timestamp.max())
    stamps = inter.timestamp

    def counts(lo: int, hi: int) -> np.ndarray:
        mask = (stamps > lo) & (stamps <= hi)
        return np.bincount(inter.item[mask], weights=inter.weight[mask], minlength=inter.n_items)

    older = counts(end - 3 * interval, end - 2 * interval)
    middle = counts(end - 2 * interval, end - interval)
    latest = counts(end - interval, end)
    if not older.any() or not middle.any():
        return 0.0
    growth = (middle - older) / (older + 1.0)
    candidates = np.flatnonzero((middle > 0) & (growth > 0))
    if not candidates.shape[0]:
        return 0.0
    order = candidates[np.lexsort((candidates, -middle[candidates], -growth[candidates]))][:k]
    return float(np.mean(latest[order] > middle[order]))
