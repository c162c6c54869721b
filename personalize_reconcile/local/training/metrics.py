"""Offline metrics of a solution version, computed the way the service describes them.

One job: the holdout evaluation of reference §6 "GetSolutionMetrics" and "Holdout".
Caller: ``trainer`` (the metrics are saved with the model and reported by the job).

- Split: a seeded permutation of the (sorted) users puts ``round(10%)`` of them in test;
  the rest train the evaluation model.
- For each test user with at least 2 events, events are ordered by (timestamp, row); the
  newest ``ceil(10%)`` are the truth and the others the input history the model sees
  (folded in for ALS; the most recent input item for related-items recipes).
- For the top 25 recommendations of each such user: ``precision_at_K`` = relevant in top K
  / K; ``mean_reciprocal_rank_at_25`` = 1 / rank of the first relevant item (0 if none);
  ``normalized_discounted_cumulative_gain_at_K`` with discount ``1 / log2(1 + p)``, p from
  1, and binary relevance (an item is relevant when it is in the user's truth); all averaged
  over users. ``coverage`` = distinct items recommended to test users / distinct items in
  the catalogue (Interactions plus Items).
- Values are rounded to 4 decimals. Same data and settings give the same values.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import sparse

from personalize_reconcile.local.training.data import Interactions, distinct_sorted
from personalize_reconcile.local.training.model import Model
from personalize_reconcile.rules.metrics import SOLUTION_METRICS

SPLIT_SEED = 20190522
"""Seed of the user permutation; fixed so the split (and so the metrics) are reproducible."""
TEST_SHARE = 0.1
TRUTH_SHARE = 0.1
TOP = 25
METRIC_NAMES = SOLUTION_METRICS


def split_users(n_users: int, seed: int = SPLIT_SEED) -> np.ndarray:
    """Bool mask over users (length ``n_users``): true for the test users."""
    rng = np.random.default_rng(seed)
    n_test = int(round(TEST_SHARE * n_users))
    test = np.zeros(n_users, dtype=bool)
    test[rng.permutation(n_users)[:n_test]] = True
    return test


def _map_items(from_ids: np.ndarray, to_ids: np.ndarray) -> np.ndarray:
    """For each id in ``from_ids`` its index in sorted ``to_ids``, or -1."""
    if to_ids.shape[0] == 0:
        return np.full(from_ids.shape[0], -1, dtype=np.int64)
    pos = np.searchsorted(to_ids, from_ids)
    pos = np.minimum(pos, to_ids.shape[0] - 1)
    return np.where(to_ids[pos] == from_ids, pos, -1).astype(np.int64)


def evaluate(
    inter: Interactions, fit: Callable[[Interactions], Model], catalogue_size: int | None = None
) -> dict[str, float]:
    """Train on 90% of users with ``fit`` and score the other 10% (see module docstring).

    Args:
        inter: the filtered training events of the whole dataset.
        fit: trains a model on a subset of ``inter`` (already re-encoded).
        catalogue_size: distinct items in Interactions plus Items; defaults to
            ``inter.n_items``.

    Returns:
        The eight metric names of :data:`METRIC_NAMES` -> float rounded to 4 decimals.
    """
    test_users = split_users(inter.n_users)
    in_test = test_users[inter.user]
    model = fit(inter.subset(~in_test))

    rows = np.flatnonzero(in_test)
    order = rows[np.lexsort((rows, inter.timestamp[rows], inter.user[rows]))]
    users = inter.user[order]
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    counts = np.diff(np.r_[starts, users.shape[0]])
    position = np.arange(users.shape[0]) - np.repeat(starts, counts)
    sizes = np.repeat(counts, counts)
    truth_n = np.ceil(TRUTH_SHARE * sizes).astype(np.int64)
    evaluated = sizes >= 2
    is_input = evaluated & (position < sizes - truth_n)
    is_truth = evaluated & ~is_input

    eval_users = np.flatnonzero(np.bincount(users[evaluated], minlength=inter.n_users))
    m = eval_users.shape[0]
    if m == 0:
        return dict.fromkeys(METRIC_NAMES, 0.0)
    row_of = np.full(inter.n_users, -1, dtype=np.int64)
    row_of[eval_users] = np.arange(m)

    model_item = _map_items(inter.item_ids, model.item_ids)
    inp = order[is_input]
    inp_items = model_item[inter.item[inp]]
    ok = inp_items >= 0
    histories = sparse.csr_matrix(
        (inter.weight[inp][ok], (row_of[inter.user[inp]][ok], inp_items[ok])),
        shape=(m, model.n_items),
        dtype=np.float32,
    )
    histories.sum_duplicates()
    last_items = np.full(m, -1, dtype=np.int64)
    known_users = row_of[inter.user[inp]][ok]  # grouped by user, oldest event first
    ends = np.flatnonzero(np.r_[known_users[1:] != known_users[:-1], True]) if ok.any() else []
    last_items[known_users[ends]] = inp_items[ok][ends]

    recs = model.top_for_histories(histories, last_items, TOP)
    full_of_model = _map_items(model.item_ids, inter.item_ids)
    recs_full = np.where(recs >= 0, full_of_model[np.maximum(recs, 0)], -1)

    tru = order[is_truth]
    truth_keys = distinct_sorted(row_of[inter.user[tru]] * inter.n_items + inter.item[tru])
    truth_sizes = np.bincount(truth_keys // inter.n_items, minlength=m)
    rec_keys = np.arange(m)[:, None] * inter.n_items + recs_full
    # every evaluated user has at least one truth event, so truth_keys is not empty
    at = np.minimum(np.searchsorted(truth_keys, rec_keys), truth_keys.shape[0] - 1)
    relevant = (truth_keys[at] == rec_keys) & (recs_full >= 0)

    discounts = 1.0 / np.log2(np.arange(2, TOP + 2))
    out: dict[str, float] = {}
    shown = recs_full[recs_full >= 0]
    total = catalogue_size or inter.n_items
    out["coverage"] = distinct_sorted(shown).shape[0] / total if total else 0.0
    first = np.where(relevant.any(axis=1), relevant.argmax(axis=1) + 1, 0)
    out["mean_reciprocal_rank_at_25"] = float(
        np.where(first > 0, 1.0 / np.maximum(first, 1), 0.0).mean()
    )
    for k in (5, 10, 25):
        dcg = (relevant[:, :k] * discounts[:k]).sum(axis=1)
        ideal_n = np.minimum(truth_sizes, k)
        idcg = np.cumsum(discounts[:k])[np.maximum(ideal_n, 1) - 1]
        out[f"normalized_discounted_cumulative_gain_at_{k}"] = float((dcg / idcg).mean())
    for k in (5, 10, 25):
        out[f"precision_at_{k}"] = float(relevant[:, :k].sum(axis=1).mean() / k)
    return {name: _round(out[name]) for name in METRIC_NAMES}


def _round(value: float) -> float:
    return 0.0 if math.isnan(value) else round(float(value), 4)
