"""Train a recommender's model: a domain use case's algorithm over the events it uses.

One job: the entry point the local job runner calls (through ``seams``) when a
recommender is CREATE IN_PROGRESS. It reads the group's Interactions rows (and Items rows),
checks the use case's data (reference §6; ``rules.usecases``: the datasets it trains on,
at least 1000 events of each required event type), keeps the event types the use case
trains on (event types compared without regard to case), and trains the local algorithm
that stands in for the service's model with ``trainer.train_version``: ALS for
"Recommended for you" and "Top picks for you", item co-occurrence for the related-items
use cases (over Purchase events only for "Frequently bought together"), distinct users
per item over the use case's event type for the popular-items use cases, and recent growth
for "Trending now". The model and its metrics (``modelMetrics``) are saved into
``job.artefact_dir``; the runtime reads it through ``serving.load_recommender_model``.

Callers: ``seams.recommender_trainer`` (the job runner).
"""

from __future__ import annotations

import logging

import numpy as np

from personalize_reconcile.local.training.errors import TrainingFailed
from personalize_reconcile.local.training.job import RecommenderJob, TrainingOutcome
from personalize_reconcile.rules import usecases

log = logging.getLogger(__name__)


def _event_types(columns: dict[str, np.ndarray], n: int) -> np.ndarray:
    """EVENT_TYPE per row, lower-cased (``""`` where missing or without the column)."""
    raw = next((np.asarray(v) for k, v in columns.items() if k.upper() == "EVENT_TYPE"), None)
    if raw is None:
        return np.full(n, "", dtype="<U1")
    return np.char.lower(np.array(["" if v is None else str(v) for v in raw.tolist()], dtype=str))


def _rows(columns: dict[str, np.ndarray]) -> int:
    return int(next(iter(columns.values())).shape[0]) if columns else 0


def select_events(
    use_case: usecases.UseCase, columns: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The Interactions rows ``use_case`` trains on, after checking its required event
    types.

    Args:
        use_case: the recommender's use case.
        columns: the Interactions rows, column name -> array (as the dataset store loads).

    Returns:
        The same columns, holding only the rows of ``use_case.train_events`` (all rows
        when it is ``None``).

    Raises:
        TrainingFailed: an event type the use case requires has fewer than 1000 events,
            e.g. ``Use case aws-ecomm-frequently-bought-together needs at least 1000
            Purchase events in the Interactions dataset; it has 0 (event types are compared
            without regard to case).``
    """
    n = _rows(columns)
    types = _event_types(columns, n)
    short = []
    for etype in use_case.required_events:
        count = int(np.count_nonzero(types == etype.lower()))
        if count < usecases.MIN_EVENTS_PER_REQUIRED_TYPE:
            short.append(f"{etype} events in the Interactions dataset; it has {count}")
    if short:
        raise TrainingFailed(
            f"Use case {use_case.name} needs at least {usecases.MIN_EVENTS_PER_REQUIRED_TYPE} "
            + f" and at least {usecases.MIN_EVENTS_PER_REQUIRED_TYPE} ".join(short)
            + " (event types are compared without regard to case)."
        )
    if use_case.train_events is None:
        return dict(columns)
    keep = np.isin(types, [e.lower() for e in use_case.train_events])
    return {k: np.asarray(v)[keep] for k, v in columns.items()}


TRENDING_CONFIG = {"featureTransformationParameters": {"trend_discovery_frequency": "1 day"}}
"""The trending use cases measure growth over the last day (the Trending-Now recipe's own
default interval is 2 hours)."""


def train_recommender(job: RecommenderJob) -> TrainingOutcome:
    """Train ``job.recommender_arn``'s model (see the module docstring).

    Returns:
        ``TrainingOutcome`` with the holdout metrics (``modelMetrics``, reference §6
        "GetSolutionMetrics": same split and names) and the training time.

    Raises:
        TrainingFailed: a dataset the use case trains on is missing or empty, a required
            event type is short (:func:`select_events`), or the kept events are below the
            minimum data (``data.check_minimum``); the reason becomes the failureReason.
    """
    from personalize_reconcile.local.datastore import DatasetStore
    from personalize_reconcile.local.training.trainer import train_version

    use_case = usecases.lookup(job.recipe_arn)
    if use_case is None:
        raise TrainingFailed(f"Recipe {job.recipe_arn} is not a domain use case.")
    data = DatasetStore(job.state_dir)
    loaded: dict[str, dict[str, np.ndarray]] = {}
    for dtype in use_case.datasets:
        ds = job.datasets.get(dtype)
        columns = data.load(ds["datasetArn"]).columns if ds else None
        if not columns:
            word = usecases.dataset_word(dtype)
            raise TrainingFailed(
                f"Use case {use_case.name} trains on the {word} dataset, which holds no "
                "imported records; import data into it first."
            )
        loaded[dtype] = columns
    items_ds = job.datasets.get("ITEMS")
    items = loaded.get("ITEMS") or (data.load(items_ds["datasetArn"]).columns if items_ds else None)
    kept = select_events(use_case, loaded["INTERACTIONS"])
    result = train_version(
        state_dir=job.state_dir,
        solution_version_arn=job.recommender_arn,
        recipe_arn=use_case.algorithm,
        interactions=kept,
        items=items or None,
        solution_config=TRENDING_CONFIG if use_case.algorithm == "aws-trending-now" else None,
        artefact_dir=job.artefact_dir,
    )
    assert result is not None  # no should_stop: a recommender's creation cannot be stopped
    for note in result.notes:
        log.info("%s: %s", job.recommender_arn, note)
    return TrainingOutcome(
        metrics=dict(result.metrics), training_hours=round(result.seconds / 3600.0, 6)
    )
