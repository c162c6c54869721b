"""Where the local control plane hands work to the modules that do it: CSV import,
training and the personalize-runtime API.

One job: name each seam, state its contract, and find its implementation. The job runner
(``personalize_reconcile.local.lifecycle``) and the protocol layer
(``personalize_reconcile.local.responses``) call only the functions here. The dependency
runs one way: this module imports training, the import modules and the runtime; none of
them imports it (the training seam's types live in ``training.job`` and
``training.errors`` and are re-exported here).

Seam 1: training (solution versions)
------------------------------------
``personalize_reconcile.local.training.train_solution_version(job: TrainingJob)
-> TrainingOutcome | None``, or a callable installed with :func:`register_trainer`
(a registered one wins; tests use that).

* Called in a worker thread, outside any database transaction, when a solution version's
  CREATE IN_PROGRESS phase is due. The version is CREATE IN_PROGRESS meanwhile; the call
  may take as long as it needs (the claim is kept alive).
* ``job`` (:class:`TrainingJob`) carries the ARNs and the Describe-shaped solution,
  solution version and datasets of the group, the state dir, and ``artefact_dir``
  (``<state_dir>/models/<solution name>/<version id>/``, created, empty on a first run; on a
  run resumed after a crash it may hold a partial artefact: overwrite it).
* ``job.should_stop()`` turns True after StopSolutionVersionCreation; return early then
  (anything returned is ignored and the version becomes CREATE STOPPED).
* Return a :class:`TrainingOutcome` (metrics for GetSolutionMetrics, ``trainingHours``,
  optional tuned hyperparameters) or ``None`` (no metrics). The version becomes ACTIVE.
* Raise :class:`TrainingFailed` (message = the failureReason the service would show,
  e.g. "fewer than 1000 interactions ...") for data or configuration the service would
  reject: the version becomes CREATE FAILED with that reason. Any other exception is a
  bug: it is logged and the version becomes CREATE FAILED with an internal-error reason.
* The call may run again for the same version after a process was killed mid-run (at
  most 3 attempts); it must be idempotent.

Seam 1b: training (recommenders)
--------------------------------
:func:`recommender_trainer` gives ``training.recommenders.train_recommender(job:
RecommenderJob) -> TrainingOutcome``, called like the solution-version trainer when a
recommender's CREATE IN_PROGRESS phase is due; ``job.artefact_dir`` is
:func:`recommender_model_dir` (``<state_dir>/recommenders/<name>/<model id>/``). It raises
:class:`TrainingFailed` with the failureReason (a use case's missing event type or data).

Seam 2: dataset import jobs
---------------------------
:func:`run_import` reads ``dataLocation`` with ``csvimport.read_import`` against the
dataset's schema and keeps the rows with ``datastore.DatasetStore.store_import``. It
returns the number of records read, or raises :class:`ImportFailed` whose message is the
failureReason. The import job enforces the 1000-record minimum and the rule that
INCREMENTAL needs an earlier import (reference §5) around it.

Seam 2b: batch jobs
-------------------
:func:`run_batch` runs a batch inference job over the version's served model
(``batch.run_batch_inference``), or a batch segment job over a USER_SEGMENTATION model
(``batch_segments.run_batch_segments``): JSON Lines in from ``jobInput``, the service's
output format out to ``jobOutput``. It returns the number of lines answered, or raises
:class:`BatchFailed` whose message is the failureReason.

Seam 2c/2d: dataset export and data deletion jobs
-------------------------------------------------
:func:`run_export` writes a dataset's records as CSV to the job's output path
(``exports``); :func:`run_deletion` removes the users listed at a job's dataLocation from
the group's datasets (``deletions``). Each returns a record count or raises
:class:`DataJobFailed` whose message is the failureReason.

Seam 3: personalize-runtime
---------------------------
``personalize_reconcile.local.runtime.dispatch(ctx: RequestContext, operation: str,
params: dict) -> dict`` answers one runtime operation (``GetRecommendations``,
``GetPersonalizedRanking``, ``GetActionRecommendations``). ``params`` is the parsed JSON
body, already validated against the botocore input shape; the return value is the output
shape as plain data. ``runtime.answer(ctx, operation, params) -> bytes`` is the same
answer as its JSON body (``json.dumps(..., separators=(",", ":"))``); the protocol layer
calls that one (GetRecommendations writes its JSON without building the dicts). Raise
:mod:`personalize_reconcile.local.exceptions` errors
(ResourceNotFoundException becomes HTTP 404, InvalidInputException 400). ``ctx`` gives
``account``, ``region`` and ``service`` (a :class:`~personalize_reconcile.local.service.
LocalService`: ``service.store.get(arn)`` reads a campaign/solution version/filter row,
``service.config.state_dir`` locates artefacts and data).

Seam 4: personalize-events
--------------------------
``personalize_reconcile.local.events.dispatch(ctx, operation, params) -> dict`` answers
PutEvents, PutItems, PutUsers, PutActions and PutActionInteractions like seam 3 (params
validated, errors from ``exceptions``); the records go to the dataset store.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from personalize_reconcile.local.training.errors import TrainingFailed
from personalize_reconcile.local.training.job import (
    RecommenderJob,
    TrainingJob,
    TrainingOutcome,
)

__all__ = [
    "BatchFailed",
    "DataJobFailed",
    "ImportFailed",
    "RecommenderJob",
    "TrainingFailed",
    "TrainingJob",
    "TrainingOutcome",
    "drop_dataset",
    "events_dispatch",
    "has_import",
    "recommender_model_dir",
    "recommender_trainer",
    "register_trainer",
    "run_batch",
    "run_deletion",
    "run_export",
    "run_import",
    "runtime_answer",
    "runtime_dispatch",
    "trainer",
]

log = logging.getLogger(__name__)

S3_ENDPOINT_ENV = "PRECONCILE_LOCAL_S3_ENDPOINT_URL"
"""Set to an S3 endpoint URL to make import jobs read ``s3://`` data through it (with the
usual boto3 credentials) instead of the state dir's object store."""


class ImportFailed(Exception):
    """Raised by :func:`run_import`: ``str(e)`` becomes the import job's failureReason."""


class BatchFailed(Exception):
    """Raised by :func:`run_batch`: ``str(e)`` becomes the batch job's failureReason."""


Trainer = Callable[[TrainingJob], "TrainingOutcome | None"]
_registered: list[Trainer] = []


def register_trainer(trainer: Trainer | None) -> None:
    """Install ``trainer`` for every solution version this process trains (``None``
    removes it, falling back to ``personalize_reconcile.local.training``)."""
    _registered.clear()
    if trainer is not None:
        _registered.append(trainer)


def trainer() -> Trainer:
    """The trainer to call: the registered one, else
    ``personalize_reconcile.local.training.train_solution_version`` (loaded on first use:
    the algorithms' libraries take a while to import)."""
    if _registered:
        return _registered[0]
    from personalize_reconcile.local.training import trainer as training

    return training.train_solution_version


def recommender_trainer() -> Callable[[RecommenderJob], TrainingOutcome]:
    """``personalize_reconcile.local.training.recommenders.train_recommender`` (loaded on
    first use)."""
    from personalize_reconcile.local.training import recommenders

    return recommenders.train_recommender


def recommender_model_dir(state_dir: Path, recommender_arn: str, model_id: str) -> Path:
    """Where a recommender's model lives (``training.model.recommender_model_dir``).

    Raises:
        ValueError: not a recommender ARN or model id.
    """
    from personalize_reconcile.local.training.model import recommender_model_dir as where

    return where(state_dir, recommender_arn, model_id)


def runtime_dispatch() -> Callable[[Any, str, dict], dict]:
    """``personalize_reconcile.local.runtime.dispatch`` (loaded on first use, as the
    trainer is)."""
    from personalize_reconcile.local import runtime

    return runtime.dispatch


def runtime_answer() -> Callable[[Any, str, dict], bytes]:
    """``personalize_reconcile.local.runtime.answer``: the same answer as
    :func:`runtime_dispatch`'s, as the JSON body the protocol layer sends (loaded on
    first use)."""
    from personalize_reconcile.local import runtime

    return runtime.answer


def events_dispatch() -> Callable[[Any, str, dict], dict]:
    """``personalize_reconcile.local.events.dispatch`` (seam 4: personalize-events;
    loaded on first use)."""
    from personalize_reconcile.local import events

    return events.dispatch


def run_import(
    state_dir: Path,
    dataset_arn: str,
    dataset_type: str,
    schema: str,
    data_location: str,
    import_mode: str,
) -> int:
    """Read ``data_location`` against ``schema`` and store the rows for ``dataset_arn``.

    Args:
        state_dir: the local target's state dir (object store and dataset store live in it).
        dataset_arn: the dataset being imported into.
        dataset_type: upper-case type (``INTERACTIONS``...).
        schema: the dataset's Avro schema (JSON text).
        data_location: ``s3://bucket/key`` or ``s3://bucket/prefix/``.
        import_mode: ``FULL`` or ``INCREMENTAL``.

    Returns:
        The number of records the job read.

    Raises:
        ImportFailed: the data cannot be imported; the message is the failureReason
            (from ``csvimport.CsvImportError``, ``objectstore.ObjectStoreError`` or
            ``datastore.DatastoreError``), or the 1000-record minimum (reference §5).
    """
    from personalize_reconcile.local import csvimport, datastore, objectstore

    # The object store is the state dir's, unless `preconcile local serve
    # --s3-endpoint-url` (or PRECONCILE_LOCAL_S3_ENDPOINT_URL) names an S3 endpoint.
    store = objectstore.open_object_store(state_dir, os.environ.get(S3_ENDPOINT_ENV) or None)
    try:
        table = csvimport.read_import(store, data_location, schema)
    except (csvimport.CsvImportError, objectstore.ObjectStoreError) as exc:
        raise ImportFailed(str(exc)) from None
    too_few = csvimport.too_few_records(table.num_rows, dataset_type, data_location)
    if too_few:
        raise ImportFailed(too_few)
    try:
        datastore.DatasetStore(state_dir).store_import(
            dataset_arn, table, mode=import_mode, dataset_type=dataset_type
        )
    except datastore.DatastoreError as exc:
        raise ImportFailed(str(exc)) from None
    return int(table.num_rows)


def has_import(state_dir: Path, dataset_arn: str) -> bool:
    """Whether the dataset already holds a bulk import (datastore's record of it)."""
    from personalize_reconcile.local import datastore

    return bool(datastore.DatasetStore(state_dir).has_import(dataset_arn))


def drop_dataset(state_dir: Path, dataset_arn: str) -> None:
    """Forget a deleted dataset's rows (no error when there are none).

    Raises:
        OSError: a file of the rows could not be removed; the rows are still there, so
            the dataset must not be forgotten either (a dataset created again under the
            same name, hence the same ARN, would find them).
    """
    from personalize_reconcile.local import datastore

    datastore.DatasetStore(state_dir).drop(dataset_arn)


class DataJobFailed(Exception):
    """Raised by :func:`run_export` and :func:`run_deletion`: ``str(e)`` becomes the
    job's failureReason."""


def run_export(state_dir: Path, job: dict, dataset_arn: str) -> int:
    """Run a dataset export job (seam 2c): ``exports.export_dataset`` with the job's
    ``ingestionMode`` (default PUT) and ``jobOutput.s3DataDestination.path``.

    Returns:
        The number of records written.

    Raises:
        DataJobFailed: the failureReason.
    """
    from personalize_reconcile.local import datastore, exports, objectstore

    store = objectstore.open_object_store(state_dir, os.environ.get(S3_ENDPOINT_ENV) or None)
    try:
        return exports.export_dataset(
            datastore.DatasetStore(state_dir),
            store,
            dataset_arn,
            job.get("ingestionMode") or "PUT",
            job["jobOutput"]["s3DataDestination"]["path"],
            job["jobName"],
        )
    except exports.ExportFailed as exc:
        raise DataJobFailed(str(exc)) from None


def run_deletion(state_dir: Path, data_location: str, dataset_arns: list[str]) -> int:
    """Run a data deletion job (seam 2d): read the USER_IDs at ``data_location`` and
    remove their records from ``dataset_arns`` (``deletions``).

    Returns:
        The number of records deleted (``numDeleted``).

    Raises:
        DataJobFailed: the failureReason.
    """
    from personalize_reconcile.local import datastore, deletions, objectstore

    store = objectstore.open_object_store(state_dir, os.environ.get(S3_ENDPOINT_ENV) or None)
    try:
        users = deletions.read_user_ids(store, data_location)
        return deletions.delete_users(datastore.DatasetStore(state_dir), dataset_arns, users)
    except deletions.DeletionFailed as exc:
        raise DataJobFailed(str(exc)) from None


def run_batch(
    state_dir: Path, kind: str, job: dict, recipe_name: str, job_filter: dict | None = None
) -> int:
    """Run a batch job (seam 2b).

    Args:
        state_dir: the local target's state dir (object store and models live in it).
        kind: ``batch-inference-job`` or ``batch-segment-job``.
        job: the job's Describe shape (solutionVersionArn, numResults, jobInput, jobOutput).
        recipe_name: the short name of the version's recipe.
        job_filter: the job's filter (``filterArn``, ``datasetGroupArn``,
            ``filterExpression``) or None.

    Returns:
        The number of output lines written.

    Raises:
        BatchFailed: the job cannot run; the message is the failureReason.
    """
    from personalize_reconcile.local import batch, batch_segments, objectstore
    from personalize_reconcile.local.training.serving import load_version_model
    from personalize_reconcile.rules import recipes

    recipe = recipes.lookup(recipe_name)
    if recipe is None:
        raise BatchFailed(f"The local target cannot run a batch job for recipe {recipe_name}.")
    try:
        model = load_version_model(state_dir, job["solutionVersionArn"])
    except (FileNotFoundError, ValueError):
        raise BatchFailed(
            f"Solution version {job['solutionVersionArn']} has no trained model."
        ) from None
    store = objectstore.open_object_store(state_dir, os.environ.get(S3_ENDPOINT_ENV) or None)
    source = job["jobInput"]["s3DataSource"]["path"]
    destination = job["jobOutput"]["s3DataDestination"]["path"]
    n = int(job.get("numResults") or 25)
    try:
        if kind == "batch-segment-job":
            return batch_segments.run_batch_segments(
                store,
                model,
                recipe.name,
                source,
                destination,
                n,  # type: ignore[arg-type]
            )
        explore = (job.get("batchInferenceJobConfig") or {}).get("itemExplorationConfig")
        return batch.run_batch_inference(
            store,
            model,
            recipe,
            source,
            destination,
            n,
            exploration=explore or None,
            job_name=str(job.get("jobName", "")),
            line_filter=batch.LineFilter(
                state_dir,
                job_filter["filterArn"],
                job_filter["datasetGroupArn"],
                job_filter["filterExpression"],
            )
            if job_filter
            else None,
        )
    except batch.BatchFailed as exc:
        raise BatchFailed(str(exc)) from None
