"""Next-Best-Action (aws-next-best-action): a propensity per user and action.

One job: the model behind GetActionRecommendations. Users are described by ALS factors
learnt from their item interactions (``als.AlsModel``; from their action interactions when
the group has no Interactions dataset, :func:`actions_as_interactions`); for every action
with at least :data:`MIN_TAKEN` ``TAKEN`` events in the Action_Interactions dataset, an
L2-regularised logistic regression on those factors predicts whether a user takes it
(scipy's L-BFGS, deterministic). A user's score for such an action is that probability,
the propensity; other actions score 0.0, as the service gives "propensity scores of 0.0"
until an action has enough action interactions (developer guide, "Next-Best-Action
recipe"). Actions are ranked by score, then by VALUE (the guide: of two equally likely
actions the one with the greater value ranks higher), then by id. Actions whose
EXPIRATION_TIMESTAMP has passed when the version trains are left out. Users the model has
no factors for get each action's share of users who took it. Callers: ``trainer`` fits it;
the runtime serves it through ``serving``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import optimize

from personalize_reconcile.local.training.als import AlsModel
from personalize_reconcile.local.training.data import Interactions
from personalize_reconcile.local.training.errors import TrainingFailed
from personalize_reconcile.local.training.model import Model

RECIPE = "aws-next-best-action"
MIN_TAKEN = 50
"""TAKEN action interactions an action needs before it gets a propensity (developer
guide, "Next-Best-Action recipe": at least 50 action interactions with a TAKEN event)."""
TAKEN = "TAKEN"
NOT_TAKEN = "NOT_TAKEN"
L2 = 1.0
"""Strength of the logistic regressions' L2 penalty (on the weights, not the intercept)."""


def _column(columns: Mapping[str, np.ndarray], name: str) -> np.ndarray | None:
    for key, value in columns.items():
        if key.upper() == name:
            return np.asarray(value)
    return None


def _numbers(raw: np.ndarray | None, n: int) -> np.ndarray:
    """A nullable long column as float64 with NaN for missing values."""
    out = np.full(n, np.nan)
    if raw is None:
        return out
    for i, value in enumerate(raw.tolist()):
        if value is None or value == "":
            continue
        try:
            out[i] = float(value)
        except (TypeError, ValueError):
            continue
    return out


def actions_as_interactions(action_interactions: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Action_Interactions rows in the Interactions form ``data.prepare`` reads (ACTION_ID
    as ITEM_ID), less ``NOT_TAKEN`` events, so that users are described by the actions
    they took or met when the group has no Interactions dataset."""
    kinds = _column(action_interactions, "EVENT_TYPE")
    n = len(next(iter(action_interactions.values()))) if action_interactions else 0
    keep = (
        np.ones(n, dtype=bool)
        if kinds is None
        else np.array([str(k).upper() != NOT_TAKEN for k in kinds.tolist()], dtype=bool)
    )
    out: dict[str, np.ndarray] = {}
    for key, value in action_interactions.items():
        upper = key.upper()
        if upper in ("USER_ID", "TIMESTAMP"):
            out[upper] = np.asarray(value)[keep]
        elif upper == "ACTION_ID":
            out["ITEM_ID"] = np.asarray(value)[keep]
    return out


def read_actions(
    actions: Mapping[str, np.ndarray] | None, now: float
) -> tuple[np.ndarray, np.ndarray]:
    """The catalogue of actions: (sorted distinct ACTION_IDs, their VALUE, NaN when
    unset), less actions whose EXPIRATION_TIMESTAMP is before ``now`` (epoch seconds); an
    EXPIRATION_TIMESTAMP of 0 counts as unset (the dataset store's null long).

    Raises:
        TrainingFailed: no Actions dataset or no action left in it.
    """
    ids = None if not actions else _column(actions, "ACTION_ID")
    if ids is None or ids.shape[0] == 0:
        raise TrainingFailed(
            f"{RECIPE} needs an Actions dataset with imported actions; create one and import "
            "actions before training."
        )
    n = ids.shape[0]
    values = _numbers(_column(actions or {}, "VALUE"), n)
    expires = _numbers(_column(actions or {}, "EXPIRATION_TIMESTAMP"), n)
    live = ~((expires > 0) & (expires < now))  # the dataset store keeps a null long as 0
    if not live.any():
        raise TrainingFailed(
            f"Every action in the Actions dataset has expired (EXPIRATION_TIMESTAMP before "
            f"the training); {RECIPE} has no action to recommend."
        )
    ids = ids[live].astype(str)
    values = values[live]
    order = np.argsort(ids, kind="stable")
    ids, values = ids[order], values[order]
    last = np.r_[ids[1:] != ids[:-1], True]  # a later record of an id wins
    return ids[last], values[last]


def taken_pairs(
    action_interactions: Mapping[str, np.ndarray] | None,
    user_ids: np.ndarray,
    action_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (user index, action index) pairs of TAKEN events whose user and action
    are known (``user_ids`` and ``action_ids`` sorted), as two ``int64`` arrays."""
    if not action_interactions:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    users = _column(action_interactions, "USER_ID")
    acts = _column(action_interactions, "ACTION_ID")
    kinds = _column(action_interactions, "EVENT_TYPE")
    if users is None or acts is None or kinds is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    taken = np.array([str(k).upper() == TAKEN for k in kinds.tolist()], dtype=bool)
    u = _lookup(user_ids, users[taken].astype(str))
    a = _lookup(action_ids, acts[taken].astype(str))
    ok = (u >= 0) & (a >= 0)
    keys = np.unique(u[ok] * max(action_ids.shape[0], 1) + a[ok])
    return keys // max(action_ids.shape[0], 1), keys % max(action_ids.shape[0], 1)


def _lookup(sorted_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    if sorted_ids.shape[0] == 0 or wanted.shape[0] == 0:
        return np.full(wanted.shape[0], -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_ids, wanted), sorted_ids.shape[0] - 1)
    return np.where(sorted_ids[pos] == wanted, pos, -1).astype(np.int64)


def taken_counts(
    action_interactions: Mapping[str, np.ndarray] | None, action_ids: np.ndarray
) -> np.ndarray:
    """TAKEN events per action (``int64``, length of ``action_ids``), every user counted."""
    counts = np.zeros(action_ids.shape[0], dtype=np.int64)
    if not action_interactions:
        return counts
    acts = _column(action_interactions, "ACTION_ID")
    kinds = _column(action_interactions, "EVENT_TYPE")
    if acts is None or kinds is None:
        return counts
    taken = np.array([str(k).upper() == TAKEN for k in kinds.tolist()], dtype=bool)
    a = _lookup(action_ids, acts[taken].astype(str))
    return np.bincount(a[a >= 0], minlength=action_ids.shape[0]).astype(np.int64)


def _logistic(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Weights ``(f + 1,)`` (intercept last) of an L2-regularised logistic regression."""
    x = np.hstack([features.astype(np.float64), np.ones((features.shape[0], 1))])
    penalty = np.r_[np.full(features.shape[1], L2), 0.0]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w
        p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(np.logaddexp(0.0, z) - labels * z) + 0.5 * np.sum(penalty * w * w))
        return value, x.T @ (p - labels) + penalty * w

    result = optimize.minimize(
        loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 200}
    )
    return np.asarray(result.x, dtype=np.float64)


class ActionModel(Model):
    """Per-action logistic regressions over users' ALS factors (see the module docstring).

    ``item_ids`` here are the action ids (sorted) and ``popularity`` the distinct users
    who took each action. Extra attributes: ``values`` (VALUE per action, NaN when unset),
    ``user_factors`` ``(n_users, f)``, ``weights`` ``(n_actions, f + 1)`` (intercept last)
    and ``scored`` (bool per action: enough TAKEN events for a propensity).
    """

    kind = "next-best-action"

    def __init__(
        self,
        item_ids: np.ndarray,
        user_ids: np.ndarray,
        popularity: np.ndarray,
        meta: dict[str, Any],
        values: np.ndarray,
        user_factors: np.ndarray,
        weights: np.ndarray,
        has_score: np.ndarray,
    ) -> None:
        super().__init__(item_ids, user_ids, popularity, meta)
        self.values = values
        self.user_factors = user_factors
        self.weights = weights
        self.has_score = has_score

    @classmethod
    def fit_actions(
        cls,
        inter: Interactions,
        values: dict[str, Any],
        meta: dict[str, Any],
        action_ids: np.ndarray,
        action_values: np.ndarray,
        pairs: tuple[np.ndarray, np.ndarray],
        counts: np.ndarray,
    ) -> ActionModel:
        """Fit on the item interactions ``inter`` (ALS settings ``values``) and the TAKEN
        ``pairs`` (user index into ``inter.user_ids``, action index into ``action_ids``);
        ``counts``: TAKEN events per action, which decide which actions get a propensity.
        """
        als = AlsModel.fit(inter, values, meta)
        factors = als.user_factors
        n_users, n_actions = inter.n_users, action_ids.shape[0]
        took = np.zeros((n_users, n_actions), dtype=bool)
        took[pairs[0], pairs[1]] = True
        weights = np.zeros((n_actions, factors.shape[1] + 1), dtype=np.float64)
        has_score = (counts >= MIN_TAKEN) & took.any(axis=0) & ~took.all(axis=0)
        for a in np.flatnonzero(has_score).tolist():
            weights[a] = _logistic(factors, took[:, a].astype(np.float64))
        popularity = took.sum(axis=0).astype(np.int64)
        return cls(
            action_ids, inter.user_ids, popularity, meta, action_values, factors, weights, has_score
        )

    def scores_for_factors(self, factors: np.ndarray | None) -> np.ndarray:
        """Propensities ``(n_actions,)`` for a user with ``factors`` (``None``: unknown
        user: each action's share of users who took it); 0.0 for unscored actions."""
        if factors is None:
            share = self.popularity / max(self.user_ids.shape[0], 1)
            return np.where(self.has_score, share, 0.0)
        z = self.weights[:, :-1] @ factors.astype(np.float64) + self.weights[:, -1]
        return np.where(self.has_score, 1.0 / (1.0 + np.exp(-z)), 0.0)

    def order(self, scores: np.ndarray) -> np.ndarray:
        """Action indices by score, then VALUE (unset lowest), then id."""
        value = np.where(np.isnan(self.values), -np.inf, self.values)
        return np.lexsort((np.arange(scores.shape[0]), -value, -scores))

    def recommend_actions(self, user_id: str | None, n: int) -> list[tuple[str, float]]:
        """The top ``n`` (action id, propensity) for a user, best first."""
        idx = None if user_id is None else self.user_index(user_id)
        scores = self.scores_for_factors(None if idx is None else self.user_factors[idx])
        top = self.order(scores)[:n]
        return [(str(self.item_ids[a]), round(float(scores[a]), 6)) for a in top.tolist()]

    def arrays(self) -> dict[str, np.ndarray]:
        """Base arrays plus values, factors, weights and the scored mask."""
        return {
            **super().arrays(),
            "values": self.values,
            "user_factors": self.user_factors,
            "weights": self.weights,
            "has_score": self.has_score,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> ActionModel:
        """Rebuild a saved Next-Best-Action model."""
        return cls(
            arrays["item_ids"],
            arrays["user_ids"],
            arrays["popularity"],
            meta,
            arrays["values"],
            arrays["user_factors"],
            arrays["weights"],
            arrays["has_score"],
        )
