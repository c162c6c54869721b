"""Offline metrics of an aws-next-best-action solution version.

One job: hold out users and score the actions they took. Caller: ``trainer``.

- Split: the user permutation of ``metrics.split_users`` puts 10% of the users with item
  interactions in test; their TAKEN action interactions are hidden from the regressions
  (their item interactions still shape the ALS factors that describe every user).
- For each test user who took at least one action, the truth is the set of actions taken;
  the ranking is ``actions.ActionModel.order`` over their propensities.
- The metric names and formulas are the other recipes' (``metrics``): ``coverage``
  (distinct actions in the test users' top 25 / actions), ``mean_reciprocal_rank_at_25``,
  ``normalized_discounted_cumulative_gain_at_{5,10,25}`` and ``precision_at_{5,10,25}``.
  The service adds a validation set for PERSONALIZED_ACTIONS (reference §6) and does not
  publish its metric keys for the recipe; these are the local target's.
- Values are rounded to 4 decimals; the same data gives the same values.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from personalize_reconcile.local.training.actions import ActionModel
from personalize_reconcile.local.training.metrics import METRIC_NAMES, TOP, split_users


def evaluate_actions(
    n_users: int,
    pairs: tuple[np.ndarray, np.ndarray],
    fit: Callable[[tuple[np.ndarray, np.ndarray]], ActionModel],
) -> dict[str, float]:
    """Fit with the test users' TAKEN pairs hidden and score those users.

    Args:
        n_users: users with item interactions (the indices ``pairs[0]`` points into).
        pairs: distinct (user index, action index) TAKEN pairs.
        fit: trains an :class:`ActionModel` from a subset of ``pairs``.

    Returns:
        :data:`metrics.METRIC_NAMES` -> float rounded to 4 decimals (all 0.0 when no
        test user took an action).
    """
    test = split_users(n_users)
    hidden = test[pairs[0]]
    model = fit((pairs[0][~hidden], pairs[1][~hidden]))
    truth: dict[int, set[int]] = {}
    for u, a in zip(pairs[0][hidden].tolist(), pairs[1][hidden].tolist(), strict=True):
        truth.setdefault(u, set()).add(a)
    if not truth:
        return dict.fromkeys(METRIC_NAMES, 0.0)
    discounts = 1.0 / np.log2(np.arange(2, TOP + 2))
    shown: set[int] = set()
    rr, ndcg, precision = [], {5: [], 10: [], 25: []}, {5: [], 10: [], 25: []}
    for u in sorted(truth):
        ranked = model.order(model.scores_for_factors(model.user_factors[u]))[:TOP].tolist()
        shown.update(ranked)
        relevant = np.array([a in truth[u] for a in ranked] + [False] * (TOP - len(ranked)))
        first = int(np.argmax(relevant)) + 1 if relevant.any() else 0
        rr.append(1.0 / first if first else 0.0)
        for k in (5, 10, 25):
            ideal = np.cumsum(discounts[:k])[min(len(truth[u]), k) - 1]
            ndcg[k].append(float((relevant[:k] * discounts[:k]).sum() / ideal))
            precision[k].append(float(relevant[:k].sum()) / k)
    out = {
        "coverage": len(shown) / max(model.n_items, 1),
        "mean_reciprocal_rank_at_25": float(np.mean(rr)),
    }
    for k in (5, 10, 25):
        out[f"normalized_discounted_cumulative_gain_at_{k}"] = float(np.mean(ndcg[k]))
    for k in (5, 10, 25):
        out[f"precision_at_{k}"] = float(np.mean(precision[k]))
    return {name: round(float(out[name]), 4) for name in METRIC_NAMES}
