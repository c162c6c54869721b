"""What the job runner hands a trainer and what it gets back (seam 1 of
``personalize_reconcile.local.seams``).

One job: define :class:`TrainingJob` and :class:`TrainingOutcome`, plain data with no
reference to the control plane, so training depends on nothing of the local target but
the dataset rows it reads. Callers: ``lifecycle`` builds a job (through ``seams``),
``trainer.train_solution_version`` reads it and returns an outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TrainingJob:
    """What a trainer gets for one solution version.

    Attributes:
        state_dir: the local target's state dir.
        account, region: where the resources live.
        solution_version_arn, solution_arn, dataset_group_arn: the ARNs.
        solution: the DescribeSolution ``solution`` object (recipeArn, solutionConfig...).
        solution_version: the DescribeSolutionVersion ``solutionVersion`` object
            (trainingMode, ...).
        datasets: dataset type in upper case (``INTERACTIONS``, ``ITEMS``...) -> the
            DescribeDataset ``dataset`` object, for the group's ACTIVE datasets. Their rows
            are in ``datastore.DatasetStore(state_dir)`` under each ``datasetArn``.
        artefact_dir: where to write the model (created before the call).
        should_stop: returns True once StopSolutionVersionCreation was called.
        attempt: 1 on the first run, 2 or 3 when resumed after an interruption.
        schemas: dataset type in upper case -> that dataset's Avro schema (JSON text), for
            the datasets in ``datasets``; empty when the caller has none to give.
    """

    state_dir: Path
    account: str
    region: str
    solution_version_arn: str
    solution_arn: str
    dataset_group_arn: str
    solution: dict
    solution_version: dict
    datasets: dict[str, dict]
    artefact_dir: Path
    should_stop: Callable[[], bool]
    attempt: int = 1
    schemas: dict[str, str] = field(default_factory=dict)


@dataclass
class TrainingOutcome:
    """What a trainer returns.

    Attributes:
        metrics: GetSolutionMetrics ``metrics`` (name -> float, at most 100 entries).
        training_hours: ``trainingHours`` shown by DescribeSolutionVersion (>= 0).
        tuned_hyperparameters: ``tunedHPOParams.algorithmHyperParameters`` (str -> str),
            or ``None`` when no HPO ran.
    """

    metrics: dict[str, float] = field(default_factory=dict)
    training_hours: float = 0.0
    tuned_hyperparameters: dict[str, str] | None = None


@dataclass
class RecommenderJob:
    """What the recommender trainer gets for one recommender (``training.recommenders``).

    Attributes:
        state_dir: the local target's state dir.
        recommender_arn: the recommender being created.
        recipe_arn: its domain use case's recipe ARN.
        datasets: dataset type in upper case -> the DescribeDataset ``dataset`` object,
            for the group's ACTIVE datasets (rows in ``datastore.DatasetStore(state_dir)``).
        artefact_dir: where to write the model (``model.recommender_model_dir``).
    """

    state_dir: Path
    recommender_arn: str
    recipe_arn: str
    datasets: dict[str, dict]
    artefact_dir: Path
