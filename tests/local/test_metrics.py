"""Holdout metrics (reference §6 "GetSolutionMetrics", "Holdout"): formulas on a hand-made
case, determinism, and golden values on a fixed generated dataset.

The golden file is only ever written by a separate command (``golden_metrics.py`` says
which), never by a test run.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from golden_metrics import GOLDEN, RECIPES, compute

from personalize_reconcile.local.training import metrics as metrics_mod
from personalize_reconcile.local.training.data import encode
from personalize_reconcile.local.training.metrics import METRIC_NAMES, evaluate, split_users
from personalize_reconcile.local.training.model import Model


class FixedModel(Model):
    """Recommends a fixed list per evaluated user (in user order)."""

    kind = ""

    def __init__(self, inter, lists):
        super().__init__(inter.item_ids, inter.user_ids, np.ones(inter.n_items, np.int64), {})
        self.lists = lists
        self.seen_histories = None
        self.seen_last = None

    def top_for_histories(self, histories, last_items, n):
        self.seen_histories = histories
        self.seen_last = last_items
        out = np.full((histories.shape[0], n), -1, dtype=np.int64)
        for u, names in enumerate(self.lists):
            idx = [self.item_index(s) for s in names]
            out[u, : len(idx)] = idx
        return out


def _case():
    rows = [("u0", f"i{k}", k) for k in range(12)]  # train user: every item
    rows += [("u1", f"i{k}", 100 + k) for k in range(10)]  # test: truth = newest (i9)
    rows += [("u2", "i1", 200), ("u2", "i2", 201)]  # test: truth i2, input i1
    rows += [("u3", "i5", 300)]  # test, 1 event: not evaluated
    users = np.array([r[0] for r in rows])
    items = np.array([r[1] for r in rows])
    stamps = np.array([r[2] for r in rows])
    return encode(users, items, stamps, np.ones(len(rows)))


def test_formulas_on_a_hand_made_case(monkeypatch):
    inter = _case()
    monkeypatch.setattr(metrics_mod, "split_users", lambda n: np.array([False, True, True, True]))
    holder = {}

    def fit(subset):
        holder["train_users"] = subset.user_ids.tolist()
        holder["model"] = FixedModel(subset, [["i3", "i9", "i4"], ["i2", "i0"]])
        return holder["model"]

    out = evaluate(inter, fit)
    assert holder["train_users"] == ["u0"]
    model = holder["model"]
    # inputs: u1 sees i0..i8 (its oldest 90%), u2 sees i1; last items i8 and i1
    assert model.seen_histories.shape == (2, 12)
    assert np.diff(model.seen_histories.indptr).tolist() == [9, 1]
    assert model.item_ids[model.seen_last].tolist() == ["i8", "i1"]
    ndcg5 = (1 / np.log2(3) + 1.0) / 2
    assert out == {
        "coverage": round(5 / 12, 4),  # i3 i9 i4 and i2 i0: 5 of 12 items
        "mean_reciprocal_rank_at_25": 0.75,  # (1/2 + 1/1) / 2
        "normalized_discounted_cumulative_gain_at_5": round(ndcg5, 4),
        "normalized_discounted_cumulative_gain_at_10": round(ndcg5, 4),
        "normalized_discounted_cumulative_gain_at_25": round(ndcg5, 4),
        "precision_at_5": 0.2,  # one hit in 5 for both
        "precision_at_10": 0.1,
        "precision_at_25": 0.04,
    }


def test_coverage_counts_the_items_dataset_too(monkeypatch):
    inter = _case()
    monkeypatch.setattr(metrics_mod, "split_users", lambda n: np.array([False, True, True, True]))
    out = evaluate(inter, lambda s: FixedModel(s, [["i3"], ["i2"]]), catalogue_size=20)
    assert out["coverage"] == 0.1  # 2 of 20


def test_split_is_seeded_and_ten_percent():
    a, b = split_users(1000), split_users(1000)
    assert np.array_equal(a, b)
    assert int(a.sum()) == 100
    assert not np.array_equal(a, split_users(1000, seed=1))


def test_golden_metrics(tmp_path):
    got = compute(tmp_path)
    for recipe, values in got.items():
        extra = ("trend_prediction_accuracy",) if recipe == "aws-trending-now" else ()
        assert tuple(values) == METRIC_NAMES + extra
    expected = json.loads(GOLDEN.read_text())
    assert set(expected) == set(RECIPES)
    for recipe in RECIPES:
        assert got[recipe] == pytest.approx(expected[recipe], abs=1e-4), recipe
    # the personalised recipes must beat plain popularity on this clustered data
    assert (
        got["aws-user-personalization-v2"]["precision_at_5"]
        > got["aws-popularity-count"]["precision_at_5"]
    )
