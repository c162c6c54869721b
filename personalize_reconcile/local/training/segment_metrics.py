"""Offline metrics of a USER_SEGMENTATION solution version (Item-Affinity and
Item-Attribute-Affinity).

One job: the holdout evaluation the developer guide describes for segmentation recipes
("Evaluating a solution version with metrics"): the training set is 80% of each user's
interactions and the test set the other 20%. Caller: ``trainer``.

- Split: each user's events ordered by (timestamp, row); the newest ``floor(20%)`` (at
  least one for a user with 2 or more events) are test events, the rest train the
  evaluation model. Users with one event only train.
- For every item with test events that the evaluation model knows, the truth is the set
  of distinct users with a test event on it, and the prediction is the top 1% of the
  model's users (at least one user) by the segment score of ``segments.SegmentModel``.
- ``hits_at_1_percent``: the mean, over those items, of how many predicted users are in
  the truth. ``recall_at_1_percent``: the mean of that count divided by the size of the
  truth. The guide names the metrics "hit (hit at K)" and "recall (recall at K)" with K the
  top 1% of users; its exact metric keys are unconfirmed (reference §6, §10).
- Values are rounded to 4 decimals; the same data and settings give the same values.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from personalize_reconcile.local.training.data import Interactions
from personalize_reconcile.local.training.segments import SegmentModel

TEST_SHARE = 0.2
"""Share of each user's interactions held out (developer guide: the 80/20 split)."""
TOP_SHARE = 0.01
"""The share of users a segment is scored on (K = the top 1% of users)."""
METRIC_NAMES = ("hits_at_1_percent", "recall_at_1_percent")


def split_events(inter: Interactions) -> np.ndarray:
    """Bool mask over events (length ``n``): true for the test events (see module)."""
    rows = np.arange(inter.n)
    order = np.lexsort((rows, inter.timestamp, inter.user))
    users = inter.user[order]
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]]) if inter.n else rows[:0]
    counts = np.diff(np.r_[starts, users.shape[0]])
    position = np.arange(users.shape[0]) - np.repeat(starts, counts)
    sizes = np.repeat(counts, counts)
    test_n = np.where(sizes >= 2, np.maximum(1, np.floor(TEST_SHARE * sizes)), 0)
    test = np.zeros(inter.n, dtype=bool)
    test[order] = position >= sizes - test_n
    return test


def evaluate_segments(
    inter: Interactions, fit: Callable[[Interactions], SegmentModel]
) -> dict[str, float]:
    """Train on each user's older 80% with ``fit`` and score segments for the newer 20%.

    Returns:
        ``hits_at_1_percent`` and ``recall_at_1_percent`` -> float rounded to 4 decimals
        (0.0 when no item can be evaluated).
    """
    test = split_events(inter)
    model = fit(inter.subset(~test))
    k = max(1, math.ceil(TOP_SHARE * model.user_ids.shape[0]))
    user_code = {u: i for i, u in enumerate(model.user_ids.tolist())}
    truth: dict[int, set[int]] = {}
    for u, i in zip(inter.user[test].tolist(), inter.item[test].tolist(), strict=True):
        code = user_code.get(str(inter.user_ids[u]))
        if code is not None:
            truth.setdefault(i, set()).add(code)
    hits, recalls = [], []
    for item in sorted(truth):
        idx = model.item_index(str(inter.item_ids[item]))
        if idx is None:
            continue
        scores = model.user_factors @ model.item_factors[idx]
        predicted = set(np.argsort(-scores, kind="stable")[:k].tolist())
        found = len(predicted & truth[item])
        hits.append(found)
        recalls.append(found / len(truth[item]))
    if not hits:
        return dict.fromkeys(METRIC_NAMES, 0.0)
    return {
        "hits_at_1_percent": round(float(np.mean(hits)), 4),
        "recall_at_1_percent": round(float(np.mean(recalls)), 4),
    }
