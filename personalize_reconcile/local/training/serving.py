"""What the rest of the local target reads of a trained solution version: its served
model, its metrics and its notes; and a recommender's model.

One job: the narrow way in to training's artefacts. The personalize-runtime handlers
(``personalize_reconcile.local.runtime``) use only :func:`load_version_model`,
:func:`load_recommender_model` and the
:class:`ServedModel` interface it returns; ``trainer`` reads an earlier version's metrics
for a trainingMode UPDATE. Artefacts live under ``model.model_dir`` (saved by ``trainer``).

Callers: the runtime (``local/runtime.py``) and the trainer, which saves what this loads.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np

# The algorithm modules register their model kinds with ``model.load`` when imported.
from personalize_reconcile.local.training import (  # noqa: F401
    actions,
    als,
    cooccurrence,
    popularity,
    segments,
    similar_items,
)
from personalize_reconcile.local.training.attribute_expressions import ExpressionError
from personalize_reconcile.local.training.exploration import request_seed
from personalize_reconcile.local.training.model import (
    Model,
    load,
    model_dir,
    recommender_model_dir,
)
from personalize_reconcile.local.training.segments import UnknownItem


class ServedModel(Protocol):
    """What the runtime asks of a trained model (implemented by ``model.Model``).

    ``item_ids`` is the catalogue (``str`` array); indices returned below point into it.
    """

    item_ids: np.ndarray

    def recommend_user(self, user_id: str | None, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Top ``n`` item indices for a user and their scores (``None``: unscored)."""
        ...

    def recommend_with_events(
        self, user_id: str | None, recent_items: list[str], n: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """As :meth:`recommend_user` for a user with events recorded since training."""
        ...

    def related(self, item_id: str, n: int) -> np.ndarray:
        """Top ``n`` item indices related to ``item_id``."""
        ...

    def rank(self, user_id: str, item_ids: list[str]) -> list[tuple[str, float | None]]:
        """``item_ids`` ordered for a user, with scores (``None`` for unknown items)."""
        ...


class ExploringModel(Protocol):
    """What an aws-user-personalization campaign asks of its model (``als.AlsModel``)."""

    def recommend_explored(
        self, user_id: str | None, n: int, config: dict[str, str] | None, seed: int
    ) -> tuple[list[str], list[float] | None]:
        """Item ids and scores for a user with cold items mixed in as ``config`` (the
        campaign's itemExplorationConfig) asks; ``seed`` makes the mix per request."""
        ...


class ActionServer(Protocol):
    """What GetActionRecommendations asks of a Next-Best-Action model
    (``actions.ActionModel``)."""

    def recommend_actions(self, user_id: str | None, n: int) -> list[tuple[str, float]]:
        """The top ``n`` (action id, propensity 0-1) for a user, best first."""
        ...


class SegmentServer(Protocol):
    """What batch segment jobs ask of a USER_SEGMENTATION model (``segments.SegmentModel``).

    Both methods raise :data:`SEGMENT_ERRORS` (``ValueError`` subclasses) for an input line
    the model cannot answer; ``str()`` says why.
    """

    def users_for_item(self, item_id: str, n: int) -> list[str]:
        """The ``n`` users most likely to interact with ``item_id``, best first."""
        ...

    def users_for_attributes(self, expression: str, n: int) -> list[str]:
        """The ``n`` users most drawn to the items an ``itemAttributes`` expression selects."""
        ...


__all__ = [
    "SEGMENT_ERRORS",
    "ActionServer",
    "ExploringModel",
    "SegmentServer",
    "ServedModel",
    "load_metrics",
    "load_notes",
    "load_recommender_model",
    "load_version_model",
    "request_seed",
]

SEGMENT_ERRORS = (UnknownItem, ExpressionError)
"""The errors a :class:`SegmentServer` raises for one unanswerable input line."""


def load_metrics(state_dir: Path, solution_version_arn: str) -> dict[str, float]:
    """The stored metrics of a trained version (GetSolutionMetrics' ``metrics``).

    Raises:
        FileNotFoundError: the version has no artefacts (not trained, or failed).
        ValueError: not a solution-version ARN.
    """
    path = model_dir(state_dir, solution_version_arn) / "metrics.json"
    return {k: float(v) for k, v in json.loads(path.read_text()).items()}


def load_notes(state_dir: Path, solution_version_arn: str) -> list[str]:
    """The notes saved with a trained version (filters applied, ignored hyperparameters).

    Raises:
        FileNotFoundError: the version has no artefacts.
    """
    path = model_dir(state_dir, solution_version_arn) / "notes.json"
    return list(json.loads(path.read_text()))


_CACHE: OrderedDict[tuple[str, int], Model] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def load_version_model(state_dir: Path, solution_version_arn: str) -> ServedModel:
    """The served model of a trained version, cached in memory (8 most recent).

    Raises:
        FileNotFoundError: the version has no artefacts.
        ValueError: not a solution-version ARN, or unreadable artefacts.
    """
    return _load_cached(model_dir(state_dir, solution_version_arn).resolve())


def load_recommender_model(state_dir: Path, recommender_arn: str, model_id: str) -> ServedModel:
    """The served model of a trained recommender (``model_id``: the incarnation's id the
    control plane keeps), cached like versions' models.

    Raises:
        FileNotFoundError: the recommender has no trained model.
        ValueError: not a recommender ARN or model id, or unreadable artefacts.
    """
    return _load_cached(recommender_model_dir(state_dir, recommender_arn, model_id).resolve())


def _load_cached(directory: Path) -> ServedModel:
    stamp = (directory / "model.json").stat().st_mtime_ns
    key = (str(directory), stamp)
    with _CACHE_LOCK:
        model = _CACHE.get(key)
        if model is not None:
            _CACHE.move_to_end(key)
            return model
    model = load(directory)
    with _CACHE_LOCK:
        _CACHE[key] = model
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return model
