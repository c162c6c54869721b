"""Training for the local target: real algorithms over imported rows (design §6).

It knows nothing of the control plane, the job runner or the runtime: it reads the
dataset rows (``personalize_reconcile.local.datastore``) and ``rules``, nothing else of
the package. What others use:

- :func:`train_solution_version` (``job:`` :class:`TrainingJob`, seam 1 of
  ``personalize_reconcile.local.seams``) is what the job runner calls; it reads the rows
  and calls :func:`train_version` (keyword arguments, no control plane needed), which
  trains and saves the artefacts under ``<state_dir>/models/<solution>/<version id>/``
  (``model.npz``, ``model.json``, ``metrics.json``, ``notes.json``: filters applied and
  hyperparameters ignored). Both raise :class:`TrainingFailed` whose ``reason`` is the
  version's ``failureReason``; a run returns a :class:`TrainingOutcome`.
- :func:`load_version_model` (module ``serving``) gives the runtime the served model
  (cached); :func:`load_metrics` and :func:`load_notes` read a version's other artefacts.

Modules: ``job`` and ``errors`` (the seam's data and error), ``data`` (filters, encoding,
minimum data), ``hyperparams``, ``als``, ``cooccurrence``, ``popularity`` (popularity
count and trending), ``similar_items`` (co-occurrence blended with Items metadata),
``item_features`` (metadata as vectors), ``cold_factors`` (v2 factors for cold items and
users), ``exploration`` (aws-user-personalization's cold-item exploration),
``segments``, ``segment_metrics``, ``attributes`` and ``attribute_expressions``
(Item-Affinity and Item-Attribute-Affinity), ``actions`` and ``action_metrics``
(Next-Best-Action), ``model`` (shared interface and storage), ``metrics`` (holdout
evaluation), ``trainer`` (the entry point), ``recommenders`` (a recommender's use case
trained with those algorithms), ``serving`` (the readers).

Importing this package is cheap: the seam's types load at once, the algorithms (numpy,
scipy, implicit: about a quarter of a second) on first use of a function below.
"""

from __future__ import annotations

from typing import Any

from personalize_reconcile.local.training.errors import TrainingFailed
from personalize_reconcile.local.training.job import TrainingJob, TrainingOutcome

_FROM_TRAINER = ("TrainingResult", "train_solution_version", "train_version")
_FROM_SERVING = ("load_metrics", "load_notes", "load_version_model")

__all__ = [
    "TrainingFailed",
    "TrainingJob",
    "TrainingOutcome",
    "model_dir",
    *_FROM_TRAINER,
    *_FROM_SERVING,
]


def __getattr__(name: str) -> Any:
    """The names of ``trainer``, ``serving`` and ``model``, loaded on first use."""
    if name in _FROM_TRAINER:
        from personalize_reconcile.local.training import trainer

        return getattr(trainer, name)
    if name in _FROM_SERVING:
        from personalize_reconcile.local.training import serving

        return getattr(serving, name)
    if name == "model_dir":
        from personalize_reconcile.local.training import model

        return model.model_dir
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
