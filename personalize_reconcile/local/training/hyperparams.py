"""Which hyperparameters each local algorithm uses, with their defaults, and which it ignores.

One job: read ``solutionConfig.algorithmHyperParameters`` and
``featureTransformationParameters`` (string -> string maps, reference §6 "solutionConfig")
into typed settings for the local algorithm of a recipe. A name the local algorithm has no
use for is reported as ignored (never an error: the service accepts them), so the version's
notes can say so. A value that cannot be read as its type fails training, as the service
would refuse it. Caller: ``trainer``.

Names with a meaning here:

- ALS recipes (user personalization and ranking): ``hidden_dimension`` (the service's name;
  ALS factors), and the local-only ``iterations``, ``regularization``, ``alpha``
  (confidence scale) and ``random_seed``; featurization ``min_user_history_length_percentile``
  and ``max_user_history_length_percentile`` (users whose history length lies outside the
  percentiles do not train).
- SIMS and Similar-Items: ``popularity_discount_factor`` (0-1, default 0.5),
  ``min_cointeraction_count`` (default 3), and the two user-history percentiles
  (defaults 0.005 and 0.995); these are the SIMS recipe's documented names and defaults.
- Trending-Now: ``trend_discovery_frequency`` (``30 minutes``, ``1 hour``, ``2 hours``,
  ``3 hours``, ``1 day``, and the earlier guide's ``30 min``, ``1h``, ``3h``; default
  ``2 hours``), the service's values from ``rules/hyperparameters.py``.
- Popularity-Count: none.
- Item-Affinity and Item-Attribute-Affinity (``segment``: ALS turned into users per
  item): ``hidden_dimension`` (the recipes' one documented name; the local default is
  ALS's 32, not the service's 149, which over-fits small data) and the ALS recipes'
  local-only names.
- Next-Best-Action (``actions``: logistic regressions over ALS user factors): the ALS
  names; the recipe's ``action_optimization_period`` has no meaning for the local model
  and is listed as ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from personalize_reconcile.local.training.errors import TrainingFailed
from personalize_reconcile.rules.hyperparameters import TABLES, canonical_value

ALS_RECIPES = frozenset(
    {
        "aws-user-personalization",
        "aws-user-personalization-v2",
        "aws-personalized-ranking",
        "aws-personalized-ranking-v2",
    }
)
SIMS_RECIPES = frozenset({"aws-sims", "aws-similar-items"})
POPULARITY_RECIPES = frozenset({"aws-popularity-count"})
TRENDING_RECIPES = frozenset({"aws-trending-now"})
SEGMENT_RECIPES = frozenset({"aws-item-affinity", "aws-item-attribute-affinity"})
ACTION_RECIPES = frozenset({"aws-next-best-action"})
TRAINABLE_RECIPES = (
    ALS_RECIPES
    | SIMS_RECIPES
    | POPULARITY_RECIPES
    | TRENDING_RECIPES
    | SEGMENT_RECIPES
    | ACTION_RECIPES
)
"""Recipes the local target trains; others fail training with a clear reason."""

TREND_INTERVALS = {
    "30 minutes": 1800,
    "1 hour": 3600,
    "2 hours": 7200,
    "3 hours": 10800,
    "1 day": 86400,
}
"""Trending-Now's discovery frequencies, in seconds (reference §6, the recipe's page)."""
_TREND = TABLES["aws-trending-now"].by_name()["trend_discovery_frequency"]

_SPECS: dict[str, dict[str, tuple[type, Any, float | None, float | None]]] = {
    # name: (type, default, min, max)
    "als": {
        "hidden_dimension": (int, 32, 1, 1024),
        "iterations": (int, 15, 1, 200),
        "regularization": (float, 0.01, 0.0, 1000.0),
        "alpha": (float, 2.0, 0.0, 1e6),
        "random_seed": (int, 42, 0, 2**31 - 1),
        "min_user_history_length_percentile": (float, 0.0, 0.0, 1.0),
        "max_user_history_length_percentile": (float, 1.0, 0.0, 1.0),
    },
    "sims": {
        "popularity_discount_factor": (float, 0.5, 0.0, 1.0),
        "min_cointeraction_count": (int, 3, 0, 10),
        "min_user_history_length_percentile": (float, 0.005, 0.0, 1.0),
        "max_user_history_length_percentile": (float, 0.995, 0.0, 1.0),
    },
    "popularity": {},
    "trending": {},
}
_SPECS["segment"] = dict(_SPECS["als"])  # the segmentation model is ALS turned around
_SPECS["actions"] = dict(_SPECS["als"])  # users are described by ALS factors


def algorithm_kind(recipe: str) -> str:
    """Return ``als``, ``sims``, ``popularity``, ``trending``, ``segment`` or ``actions``
    for a recipe short name.

    Raises:
        TrainingFailed: the local target cannot train this recipe.
    """
    if recipe in ALS_RECIPES:
        return "als"
    if recipe in SIMS_RECIPES:
        return "sims"
    if recipe in POPULARITY_RECIPES:
        return "popularity"
    if recipe in TRENDING_RECIPES:
        return "trending"
    if recipe in SEGMENT_RECIPES:
        return "segment"
    if recipe in ACTION_RECIPES:
        return "actions"
    raise TrainingFailed(
        f"The local target cannot train recipe {recipe}; it trains "
        + ", ".join(sorted(TRAINABLE_RECIPES))
        + "."
    )


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one training run.

    Attributes:
        kind: the algorithm family (see :func:`algorithm_kind`).
        values: name -> typed value, defaults filled in, for every name the algorithm uses.
        ignored: the names given in the solution config that the algorithm does not use,
            sorted.
    """

    kind: str
    values: dict[str, Any]
    ignored: tuple[str, ...]


def _read(name: str, raw: Any, spec: tuple[type, Any, float | None, float | None]) -> Any:
    typ, _default, low, high = spec
    try:
        value = typ(float(raw)) if typ is int and float(raw).is_integer() else typ(raw)
    except (TypeError, ValueError):
        raise TrainingFailed(
            f"Hyperparameter {name} must be {'an integer' if typ is int else 'a number'}, "
            f"got {raw!r}."
        ) from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise TrainingFailed(
            f"Hyperparameter {name} must be between {low:g} and {high:g}, got {raw!r}."
        )
    return value


def resolve(recipe: str, solution_config: Mapping[str, Any] | None) -> Settings:
    """Resolve the settings for training ``recipe`` (short name) with ``solution_config``.

    Both ``algorithmHyperParameters`` and ``featureTransformationParameters`` are read;
    their names share one namespace here, and a key the recipe's table spells another way
    (``rules/hyperparameters.py``) is read under its canonical name.

    Raises:
        TrainingFailed: the recipe is not trainable locally, or a used value is malformed
            or out of range (the message names the hyperparameter and the value).
    """
    kind = algorithm_kind(recipe)
    config = solution_config or {}
    given: dict[str, Any] = {}
    given.update(config.get("featureTransformationParameters") or {})
    given.update(config.get("algorithmHyperParameters") or {})
    table = TABLES.get(recipe)
    if table is not None:  # the service's other spellings of a key, e.g. SIMS's
        known = table.by_name()
        given = {(known[k].name if k in known else k): v for k, v in given.items()}
    specs = _SPECS[kind]
    values = {name: spec[1] for name, spec in specs.items()}
    ignored = []
    for name, raw in given.items():
        if name in specs:
            values[name] = _read(name, raw, specs[name])
        elif kind == "trending" and name == "trend_discovery_frequency":
            continue
        else:
            ignored.append(name)
    if kind == "trending":
        raw = given.get("trend_discovery_frequency", _TREND.default)
        raw = canonical_value(_TREND, raw)
        if raw not in TREND_INTERVALS:
            raise TrainingFailed(
                f"Hyperparameter trend_discovery_frequency must be one of "
                f"{', '.join(TREND_INTERVALS)}, got {raw!r}."
            )
        values["trend_discovery_frequency"] = raw
        values["interval_seconds"] = TREND_INTERVALS[raw]
    low = values.get("min_user_history_length_percentile")
    high = values.get("max_user_history_length_percentile")
    if low is not None and high is not None and low > high:
        raise TrainingFailed(
            "Hyperparameter min_user_history_length_percentile must not "
            "exceed max_user_history_length_percentile."
        )
    return Settings(kind=kind, values=values, ignored=tuple(sorted(ignored)))
