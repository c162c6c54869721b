"""Train one solution version end to end and keep its artefacts under the state dir.

One job: the entry point the local job runner calls for CreateSolutionVersion (through
``seams``). Steps: resolve hyperparameters (unused
names become notes), filter and weight the interactions, apply the minimum-data rules
(reference §5), compute holdout metrics (reference §6), train the served model on all
users, and save ``model.npz`` / ``model.json`` / ``metrics.json`` / ``notes.json`` into
``<state_dir>/models/<solution name>/<version id>/``. The readers of those files are in
``serving``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from personalize_reconcile.local.training import hyperparams
from personalize_reconcile.local.training.action_metrics import evaluate_actions
from personalize_reconcile.local.training.actions import (
    MIN_TAKEN,
    ActionModel,
    actions_as_interactions,
    read_actions,
    taken_counts,
    taken_pairs,
)
from personalize_reconcile.local.training.als import AlsModel
from personalize_reconcile.local.training.attributes import profile
from personalize_reconcile.local.training.cold_factors import with_cold_items, with_cold_users
from personalize_reconcile.local.training.cooccurrence import CooccurrenceModel
from personalize_reconcile.local.training.data import Interactions, check_minimum, prepare
from personalize_reconcile.local.training.errors import TrainingFailed
from personalize_reconcile.local.training.exploration import cold_items
from personalize_reconcile.local.training.item_features import item_features
from personalize_reconcile.local.training.job import TrainingJob, TrainingOutcome
from personalize_reconcile.local.training.metrics import evaluate
from personalize_reconcile.local.training.model import Model, load, model_dir
from personalize_reconcile.local.training.popularity import (
    TREND_METRIC,
    PopularityModel,
    TrendingModel,
    trend_prediction_accuracy,
)
from personalize_reconcile.local.training.segment_metrics import evaluate_segments
from personalize_reconcile.local.training.segments import SegmentModel
from personalize_reconcile.local.training.serving import load_metrics
from personalize_reconcile.local.training.similar_items import SimilarItemsModel
from personalize_reconcile.rules.recipes import recipe_name

log = logging.getLogger(__name__)

_FITTERS: dict[str, Any] = {
    "als": AlsModel,
    "sims": CooccurrenceModel,
    "popularity": PopularityModel,
    "trending": TrendingModel,
    "segment": SegmentModel,
    "actions": ActionModel,  # fitted by _train_actions
}

METADATA_RECIPES = frozenset(
    {"aws-similar-items", "aws-user-personalization-v2", "aws-personalized-ranking-v2"}
)
"""Recipes whose local model uses Items metadata (``item_features``)."""
USER_METADATA_RECIPES = frozenset({"aws-user-personalization-v2", "aws-personalized-ranking-v2"})
"""Recipes whose local model uses Users metadata for users without interactions."""
EXPLORATION_RECIPES = frozenset({"aws-user-personalization"})
"""Reference §7: itemExplorationConfig is only for aws-user-personalization."""
UPDATE_RECIPES = frozenset({"aws-user-personalization"})
"""Reference §6 "trainingMode": UPDATE only for aws-user-personalization."""


@dataclass(frozen=True)
class TrainingResult:
    """What a finished training run reports back to the job runner.

    Attributes:
        metrics: GetSolutionMetrics' ``metrics`` map (name -> float).
        notes: sentences for the version's record: filters applied, hyperparameters
            ignored by the local algorithm, the training mode used.
        seconds: wall-clock training time in seconds (``trainingHours`` = seconds / 3600).
        counts: ``interactions``, ``users`` and ``items`` after filtering.
    """

    metrics: dict[str, float]
    notes: tuple[str, ...]
    seconds: float
    counts: dict[str, int]


def _catalogue_size(inter: Interactions, items: Mapping[str, np.ndarray] | None) -> int:
    if not items:
        return inter.n_items
    column = next((np.asarray(v) for k, v in items.items() if k.upper() == "ITEM_ID"), None)
    if column is None:
        return inter.n_items
    return int(np.union1d(inter.item_ids, column.astype(str)).shape[0])


def train_version(
    *,
    state_dir: Path,
    solution_version_arn: str,
    recipe_arn: str,
    interactions: Mapping[str, np.ndarray],
    items: Mapping[str, np.ndarray] | None = None,
    items_schema: str | None = None,
    users: Mapping[str, np.ndarray] | None = None,
    users_schema: str | None = None,
    actions: Mapping[str, np.ndarray] | None = None,
    action_interactions: Mapping[str, np.ndarray] | None = None,
    event_type: str | None = None,
    solution_config: Mapping[str, Any] | None = None,
    training_mode: str = "FULL",
    base_version_arn: str | None = None,
    should_stop: Callable[[], bool] | None = None,
    artefact_dir: Path | None = None,
) -> TrainingResult | None:
    """Train ``solution_version_arn`` and save its artefacts (see the module docstring).

    The job runner calls :func:`train_solution_version`, which reads the job and the
    imported rows and calls this; tests and benchmarks call this directly.

    Args:
        state_dir: the local target's state directory.
        solution_version_arn: the version being created (names the artefact directory).
        recipe_arn: the solution's recipe, ARN or short name.
        interactions: the dataset group's Interactions rows, column name -> array
            (USER_ID, ITEM_ID, TIMESTAMP in epoch seconds; EVENT_TYPE, EVENT_VALUE optional).
        items: the Items rows if the group has an Items dataset (ITEM_ID widens the
            catalogue that ``coverage`` divides by; aws-item-attribute-affinity profiles
            its categorical columns, ``attributes.profile``).
        items_schema: the Items dataset's Avro schema (JSON text), which tells the
            categorical columns apart; ``None``: every string column counts.
        users, users_schema: the Users rows and schema; the v2 recipes give users
            without interactions factors from their metadata (``cold_factors``).
        actions: the Actions rows (aws-next-best-action: ACTION_ID, VALUE,
            EXPIRATION_TIMESTAMP).
        action_interactions: the Action_Interactions rows (USER_ID, ACTION_ID,
            EVENT_TYPE; TAKEN events train aws-next-best-action).
        event_type: the solution's ``eventType``.
        solution_config: the solution's ``solutionConfig``.
        training_mode: ``FULL`` or ``UPDATE`` (``AUTOTRAIN`` is treated as FULL).
        base_version_arn: for UPDATE, the latest ACTIVE FULL version of the same solution;
            its item factors are kept and its metrics reported (the service computes no new
            metrics for updates, reference §6).
        should_stop: polled between phases; when it returns True training stops and
            returns ``None`` without saving anything (StopSolutionVersionCreation).
        artefact_dir: where to save the model; ``None``: the version's
            ``model_dir`` (a recommender's model goes to its own folder).

    Returns:
        The metrics, notes, training time and counts; ``None`` when stopped.

    Raises:
        TrainingFailed: the recipe cannot be trained locally, UPDATE is not allowed or has
            no base, a hyperparameter is malformed, the event type matches no event, or
            the data is below the minimum (the reason names every count, exact duplicate
            rows left out), or aws-item-attribute-affinity finds no Items dataset or
            Items columns without signal (``attributes.profile``), or aws-next-best-action
            has no Actions dataset (``actions.read_actions``). The job runner turns it into
            CREATE FAILED.
    """
    started = time.perf_counter()
    recipe = recipe_name(recipe_arn)
    settings = hyperparams.resolve(recipe, solution_config)
    filtered = prepare(
        interactions, event_type=event_type, solution_config=solution_config, now=time.time()
    )
    inter = filtered.interactions
    check_minimum(inter, filtered.duplicates)
    attributes = None
    if recipe == "aws-item-attribute-affinity":  # refuse silent columns before training
        attributes = profile(
            items, inter.item_ids, schema=items_schema, solution_config=solution_config
        )
    stop = should_stop or (lambda: False)
    notes = list(filtered.notes)
    if settings.ignored:
        notes.append(
            "ignored hyperparameters (no meaning for the local "
            f"{settings.kind} algorithm): " + ", ".join(settings.ignored)
        )
    meta = {
        "recipe": recipe,
        "settings": settings.values,
        "trainingMode": training_mode,
        "versionArn": solution_version_arn,
        "trainedAt": time.time(),
        "interactions": inter.n,
        "users": inter.n_users,
        "items": inter.n_items,
    }
    fitter = _FITTERS[settings.kind]

    if training_mode == "UPDATE":
        if recipe not in UPDATE_RECIPES:
            raise TrainingFailed(
                f"trainingMode UPDATE is only supported for aws-user-personalization, not {recipe}."
            )
        if not base_version_arn:
            raise TrainingFailed(
                "trainingMode UPDATE needs an ACTIVE solution version "
                "trained with trainingMode FULL."
            )
        try:
            base = load(model_dir(state_dir, base_version_arn))
            metrics = load_metrics(state_dir, base_version_arn)
        except (OSError, ValueError):
            base = None
        if not isinstance(base, AlsModel):
            raise TrainingFailed(f"{base_version_arn} has no ALS model to update.")
        model: Model = base.update(inter, meta)
        notes.append(f"updated from {base_version_arn}; metrics are that version's")
    else:
        features = (
            item_features(items, schema=items_schema, solution_config=solution_config)
            if recipe in METADATA_RECIPES
            else None
        )
        user_features = (
            item_features(
                users, schema=users_schema, solution_config=solution_config, dataset="USERS"
            )
            if recipe in USER_METADATA_RECIPES
            else None
        )

        def fit(subset: Interactions) -> Model:
            if features is not None and recipe == "aws-similar-items":
                return SimilarItemsModel.fit_blended(subset, settings.values, meta, features)
            fitted = fitter.fit(subset, settings.values, meta)
            if features is not None and isinstance(fitted, AlsModel):
                return with_cold_items(fitted, features)  # the v2 recipes
            return fitted

        if stop():
            return None
        if settings.kind == "actions":
            metrics, action_model = _train_actions(
                inter, settings.values, meta, actions, action_interactions, notes
            )
        elif settings.kind == "segment":
            metrics = evaluate_segments(inter, fit)  # type: ignore[arg-type]
        else:
            metrics = evaluate(inter, fit, _catalogue_size(inter, items))
            if settings.kind == "trending":
                metrics[TREND_METRIC] = round(
                    trend_prediction_accuracy(inter, int(settings.values["interval_seconds"])), 4
                )
        if stop():
            return None
        model = action_model if settings.kind == "actions" else fit(inter)
        if user_features is not None and isinstance(model, AlsModel):
            model = with_cold_users(model, user_features)  # served model only
        if attributes is not None and isinstance(model, SegmentModel):
            model = model.with_attributes(attributes)
    if recipe in EXPLORATION_RECIPES and isinstance(model, AlsModel):
        model.cold = cold_items(inter, items)  # FULL and UPDATE alike: new items are cold
    if stop():
        return None

    seconds = time.perf_counter() - started
    meta["trainingSeconds"] = round(seconds, 3)
    model.save(
        artefact_dir or model_dir(state_dir, solution_version_arn),
        {"metrics.json": metrics, "notes.json": notes},
    )
    return TrainingResult(
        metrics=metrics,
        notes=tuple(notes),
        seconds=seconds,
        counts={"interactions": inter.n, "users": inter.n_users, "items": inter.n_items},
    )


def _train_actions(
    inter: Interactions,
    values: dict[str, Any],
    meta: dict[str, Any],
    actions: Mapping[str, np.ndarray] | None,
    action_interactions: Mapping[str, np.ndarray] | None,
    notes: list[str],
) -> tuple[dict[str, float], Model]:
    """aws-next-best-action: the holdout metrics (``action_metrics``) and the served
    :class:`ActionModel`; actions short of TAKEN events are named in ``notes``.

    Raises:
        TrainingFailed: no Actions dataset, or every action expired.
    """
    action_ids, action_values = read_actions(actions, time.time())
    pairs = taken_pairs(action_interactions, inter.user_ids, action_ids)
    counts = taken_counts(action_interactions, action_ids)
    few = [
        str(a) for a, c in zip(action_ids.tolist(), counts.tolist(), strict=True) if c < MIN_TAKEN
    ]
    if few:
        notes.append(
            f"actions with fewer than {MIN_TAKEN} TAKEN action interactions score 0.0: "
            + ", ".join(few)
        )

    def fit(taken: tuple[np.ndarray, np.ndarray]) -> ActionModel:
        return ActionModel.fit_actions(
            inter, values, meta, action_ids, action_values, taken, counts
        )

    return evaluate_actions(inter.n_users, pairs, fit), fit(pairs)


def latest_full_version(state_dir: Path, solution_version_arn: str) -> str | None:
    """The newest other version of the same solution that has a FULL-trained model saved
    under the state dir (the base of a trainingMode UPDATE), or ``None``."""
    own = model_dir(state_dir, solution_version_arn)
    best: tuple[float, str] | None = None
    for doc_path in own.parent.glob("*/model.json"):
        if doc_path.parent.name in (own.name,) or doc_path.parent.name.startswith("."):
            continue
        try:
            meta = json.loads(doc_path.read_text()).get("meta", {})
        except (OSError, ValueError):
            continue
        if meta.get("trainingMode", "FULL") == "UPDATE" or not meta.get("versionArn"):
            continue
        stamp = float(meta.get("trainedAt", 0.0))
        if best is None or stamp > best[0]:
            best = (stamp, meta["versionArn"])
    return None if best is None else best[1]


def train_solution_version(job: TrainingJob) -> TrainingOutcome | None:
    """The job runner's training seam (``personalize_reconcile.local.seams``, seam 1).

    Reads the group's Interactions (and Items, Users, Actions, Action_Interactions) rows
    from the dataset store (aws-next-best-action without an Interactions dataset describes
    users by their action interactions, ``actions.actions_as_interactions``), trains with
    the solution's recipe, eventType and solutionConfig and the version's trainingMode,
    and writes the artefacts into ``job.artefact_dir``. Idempotent: a rerun overwrites.

    Returns:
        ``TrainingOutcome`` with the metrics and trainingHours, or ``None`` when
        ``job.should_stop()`` turned True.

    Raises:
        TrainingFailed: no Interactions dataset or rows (aws-next-best-action: no
            Action_Interactions dataset), or anything
            :func:`train_version` refuses; the reason becomes the failureReason.
    """
    from personalize_reconcile.local.datastore import DatasetStore

    data = DatasetStore(job.state_dir)

    def rows(dtype: str) -> dict[str, np.ndarray] | None:
        ds = job.datasets.get(dtype)
        return data.load(ds["datasetArn"]).columns if ds else None

    items, users = rows("ITEMS"), rows("USERS")
    actions, action_interactions = rows("ACTIONS"), rows("ACTION_INTERACTIONS")
    recipe = recipe_name(
        job.solution_version.get("recipeArn") or job.solution.get("recipeArn") or ""
    )
    if recipe in hyperparams.ACTION_RECIPES and not action_interactions:
        raise TrainingFailed(
            "aws-next-best-action needs an Action_Interactions dataset with imported action "
            "interactions; create one and import them before training."
        )
    interactions_ds = job.datasets.get("INTERACTIONS")
    if interactions_ds:
        columns = data.load(interactions_ds["datasetArn"]).columns
    elif recipe in hyperparams.ACTION_RECIPES and action_interactions:
        columns = actions_as_interactions(action_interactions)
    else:
        raise TrainingFailed(
            "The dataset group has no ACTIVE Interactions dataset; "
            "create one and import interactions before training."
        )
    if not columns:
        raise TrainingFailed(
            "The Interactions dataset holds no imported records; run a dataset import job first."
        )
    mode = job.solution_version.get("trainingMode") or "FULL"
    mode = "FULL" if mode == "AUTOTRAIN" else mode
    base = (
        latest_full_version(job.state_dir, job.solution_version_arn) if mode == "UPDATE" else None
    )

    def setting(key: str) -> Any:
        # the configuration copied onto the version when it was created, else the solution's
        if key in job.solution_version:
            return job.solution_version[key]
        return job.solution.get(key)

    result = train_version(
        state_dir=job.state_dir,
        solution_version_arn=job.solution_version_arn,
        recipe_arn=setting("recipeArn") or "",
        interactions=columns,
        items=items,
        items_schema=job.schemas.get("ITEMS"),
        users=users,
        users_schema=job.schemas.get("USERS"),
        actions=actions,
        action_interactions=action_interactions,
        event_type=setting("eventType"),
        solution_config=setting("solutionConfig"),
        training_mode=mode,
        base_version_arn=base,
        should_stop=job.should_stop,
    )
    if result is None:
        return None
    for note in result.notes:
        log.info("%s: %s", job.solution_version_arn, note)
    return TrainingOutcome(
        metrics=dict(result.metrics), training_hours=round(result.seconds / 3600.0, 6)
    )
