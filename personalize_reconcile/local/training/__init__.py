"""Training for the local target: real algorithms over imported rows (design §6).

The seam for the job runner and the handlers:

- :func:`train_solution_version` (``job: seams.TrainingJob``, seam 1 of
  ``personalize_reconcile.local.seams``) is what the job runner calls; it reads the rows
  and calls :func:`train_version` (keyword arguments, no control plane needed), which
  trains and saves the artefacts under ``<state_dir>/models/<solution>/<version id>/``
  (``model.npz``, ``model.json``, ``metrics.json``, ``notes.json``: filters applied and
  hyperparameters ignored). Both raise :class:`TrainingFailed` (a
  ``seams.TrainingFailed``) whose ``reason`` is the version's ``failureReason``.
- :func:`load_metrics` gives GetSolutionMetrics' ``metrics`` for an ACTIVE version.
- :func:`load_version_model` gives the runtime the served model (cached).

Modules: ``data`` (filters, encoding, minimum data), ``hyperparams``, ``als``,
``cooccurrence``, ``popularity`` (popularity count and trending), ``model`` (shared
interface and storage), ``metrics`` (holdout evaluation), ``trainer`` (the entry point).
"""

from personalize_reconcile.local.training.errors import TrainingFailed
from personalize_reconcile.local.training.trainer import (
    TrainingResult,
    load_metrics,
    load_notes,
    load_version_model,
    model_dir,
    train_solution_version,
    train_version,
)

__all__ = [
    "TrainingFailed",
    "TrainingResult",
    "load_metrics",
    "load_notes",
    "load_version_model",
    "model_dir",
    "train_solution_version",
    "train_version",
]
