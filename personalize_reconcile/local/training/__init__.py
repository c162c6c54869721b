"""Training for the local target: real algorithms over imported rows (design §6).

The seam for the job runner and the handlers:

- :func:`train_solution_version` (keyword arguments; see its docstring) trains a version
  and saves its artefacts under ``<state_dir>/models/``. It raises :class:`TrainingFailed`
  whose ``reason`` is the version's ``failureReason`` (CREATE FAILED); anything else it
  raises is a bug or an I/O error. It returns :class:`TrainingResult` (metrics, notes,
  seconds, counts).
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
)

__all__ = [
    "TrainingFailed",
    "TrainingResult",
    "load_metrics",
    "load_notes",
    "load_version_model",
    "model_dir",
    "train_solution_version",
]
