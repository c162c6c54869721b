"""Recommenders: CreateRecommender, DescribeRecommender, ListRecommenders,
UpdateRecommender, StopRecommender, StartRecommender, DeleteRecommender.

One job: the rules of a domain dataset group's recommenders: the group ACTIVE and of a
domain, the recipe a use case of that domain (``rules.usecases``), the datasets the use
case trains on present with imported data, at most :data:`RECOMMENDERS_PER_GROUP`, and
``recommenderConfig`` (``itemExplorationConfig`` only for the use cases that take it,
``minRecommendationRequestsPerSecond`` defaulting to 1, ``trainingDataConfig`` naming
fields of the group's datasets); updates that keep serving the old configuration until
``latestRecommenderUpdate`` is ACTIVE; stopping and starting; and ``modelMetrics`` in the
Describe shape. Creating a recommender trains its model: the status machine
(``lifecycle``) runs the trainer through ``seams`` in CREATE IN_PROGRESS, and a use case's
missing event types end it in CREATE FAILED with a reason. Callers: ``control.call``.

Not modeled: the weekly full retraining and 2-hourly item updates (reference §7); an
update does not retrain (the local models do not use the columns ``trainingDataConfig``
names).

Sources: reference §1 (ARN ``recommender/<name>``), §2 (fields, statuses, stop and start,
``latestRecommenderUpdate``, ``modelMetrics``), §3 (prerequisites, delete preconditions,
error codes), §6 (domain use cases), §7 (recommenderConfig), §9 (quota).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.errors import busy
from personalize_reconcile.local.control.exploration import check_exploration
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import describer, operation
from personalize_reconcile.local.exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceInUseException,
)
from personalize_reconcile.local.statuses import (
    ACTIVE,
    CREATE_FAILED,
    CREATING,
    DELETING,
    INACTIVE,
    TOGGLES,
    TOGGLING,
)
from personalize_reconcile.local.store import Resource, Store
from personalize_reconcile.rules import avro, usecases

KIND = "recommender"
RECOMMENDERS_PER_GROUP = 5
"""Reference §9: 5 recommenders per dataset group."""

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeRecommender", "ListRecommenders", "datasetGroupArn")


@describer(KIND)
def _model_metrics(res: Resource, out: dict, conn: sqlite3.Connection | None, store: Store) -> None:
    """``modelMetrics``: the trained model's metrics, absent while creating or deleting
    (reference §2) and after a failed creation."""
    busy_states = (*CREATING, *DELETING, CREATE_FAILED)
    if res.status not in busy_states and "metrics" in res.extra:
        out["modelMetrics"] = dict(res.extra["metrics"])


def _use_case(group: Resource, recipe_arn: str) -> usecases.UseCase:
    domain = group.body.get("domain")
    if not domain:
        raise InvalidInputException(
            f"Dataset group {group.arn} has no domain; recommenders need a domain dataset "
            "group (ECOMMERCE or VIDEO_ON_DEMAND). Use a solution and a campaign instead."
        )
    use_case = usecases.lookup(recipe_arn)
    if use_case is None or use_case.domain != domain:
        valid = ", ".join(u.arn for u in usecases.of_domain(domain))
        raise InvalidInputException(
            f"Recipe {recipe_arn} is not a use case of the {domain} domain; use one of: {valid}."
        )
    return use_case


def _group_datasets(ctx: RequestContext, conn: sqlite3.Connection, group: str) -> dict:
    rows = ctx.store.select(conn, "kind='dataset' AND grp=? AND status=?", (group, ACTIVE))
    return {ds.body["datasetType"]: ds for ds in rows}


def _check_datasets(
    ctx: RequestContext, conn: sqlite3.Connection, group: Resource, use_case: usecases.UseCase
) -> None:
    datasets = _group_datasets(ctx, conn, group.arn)
    for dtype in use_case.datasets:
        word = usecases.dataset_word(dtype)
        ds = datasets.get(dtype)
        if ds is None:
            raise InvalidInputException(
                f"Use case {use_case.name} trains on an {word} dataset, and dataset group "
                f"{group.arn} has no ACTIVE one; create it and import data first."
            )
        imported = records.count(
            conn, "kind='dataset-import-job' AND parent=? AND status=?", (ds.arn, ACTIVE)
        )
        if not imported:
            raise InvalidInputException(
                f"Use case {use_case.name} trains on the {word} dataset {ds.arn}, which has "
                "no finished import; import data into it first."
            )


def _check_columns(
    ctx: RequestContext, conn: sqlite3.Connection, group: Resource, training: dict
) -> None:
    datasets = _group_datasets(ctx, conn, group.arn)
    for member in ("excludedDatasetColumns", "includedDatasetColumns"):
        for dtype, columns in (training.get(member) or {}).items():
            ds = datasets.get(dtype.upper())
            where = f"recommenderConfig.trainingDataConfig.{member}.{dtype}"
            if ds is None:
                raise InvalidInputException(
                    f"{where}: dataset group {group.arn} has no {dtype} dataset."
                )
            schema = ctx.store.get(ds.body["schemaArn"], conn)
            fields = (
                {f.name for f in avro.parse_fields(json.loads(schema.body["schema"]))}
                if schema is not None
                else set()
            )
            for column in columns:
                if column not in fields:
                    raise InvalidInputException(
                        f"{where}: {column} is not a field of the {dtype} dataset's schema."
                    )


def _config(
    ctx: RequestContext,
    conn: sqlite3.Connection,
    group: Resource,
    use_case: usecases.UseCase,
    config: dict,
) -> dict:
    """The complete configuration to store (defaults filled in), after its checks."""
    explore = config.get("itemExplorationConfig")
    if explore:
        if not use_case.exploration:
            takers = [u.name for u in usecases.USE_CASES.values() if u.exploration]
            raise InvalidInputException(
                "itemExplorationConfig is only supported by the "
                + " and ".join(takers)
                + f" use cases, not {use_case.name}."
            )
        check_exploration(explore)
    if config.get("trainingDataConfig"):
        _check_columns(ctx, conn, group, config["trainingDataConfig"])
    out = dict(config)
    out["minRecommendationRequestsPerSecond"] = (
        config.get("minRecommendationRequestsPerSecond") or 1
    )
    return out


@operation("CreateRecommender")
def create_recommender(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateRecommender: the group ACTIVE and of a domain; the recipe a use case of that
    domain; the use case's datasets present with imported data; at most 5 per group;
    recommenderConfig checked and completed (reference §2, §3, §6, §7, §9).

    Raises:
        ResourceNotFoundException / ResourceInUseException: the group is missing / not
            ACTIVE.
        InvalidInputException: no domain, another domain's or an unknown use case, a
            dataset missing or not imported, a bad recommenderConfig.
        LimitExceededException: the group already has 5 recommenders.
        ResourceAlreadyExistsException: the name is taken.
    """
    group = records.load_parent(ctx, conn, params["datasetGroupArn"], "dataset-group")
    use_case = _use_case(group, params["recipeArn"])
    config = _config(ctx, conn, group, use_case, params.get("recommenderConfig") or {})
    _check_datasets(ctx, conn, group, use_case)
    if (
        records.count(
            conn, "kind='recommender' AND grp=? AND status NOT IN (?,?)", (group.arn, *DELETING)
        )
        >= RECOMMENDERS_PER_GROUP
    ):
        raise LimitExceededException(
            f"Dataset group {group.arn} already has {RECOMMENDERS_PER_GROUP} recommenders, "
            "the limit."
        )
    name = params["name"]
    arn = make_arn(ctx, f"recommender/{name}")
    body: dict[str, Any] = {
        "name": name,
        "recommenderArn": arn,
        "datasetGroupArn": group.arn,
        "recipeArn": use_case.arn,
        "recommenderConfig": config,
    }
    res = records.create_under(ctx, conn, group, KIND, arn, body, params)
    # Each incarnation of a name (same ARN) trains into its own folder (lifecycle).
    res.extra["modelId"] = uuid.uuid4().hex[:8]
    ctx.store.save(conn, res)
    return {"recommenderArn": arn}


@operation("UpdateRecommender")
def update_recommender(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """UpdateRecommender: ACTIVE, no update running; the request's recommenderConfig is
    the whole new configuration and serves once ``latestRecommenderUpdate`` is ACTIVE
    (reference §2, §7).

    Raises:
        ResourceInUseException: not ACTIVE, or an update is pending.
        InvalidInputException: see CreateRecommender's recommenderConfig rules.
    """
    rec = records.require_active(records.load(ctx, conn, params["recommenderArn"], KIND))
    records.no_update_running(rec)
    group = records.load(ctx, conn, rec.body["datasetGroupArn"], "dataset-group")
    use_case = usecases.lookup(rec.body["recipeArn"])
    assert use_case is not None  # checked when created
    config = _config(ctx, conn, group, use_case, params["recommenderConfig"])
    records.start_update(ctx, conn, rec, {"recommenderConfig": config})
    return {"recommenderArn": rec.arn}


def _toggle(
    ctx: RequestContext, conn: sqlite3.Connection, params: dict, action: str, needed: str
) -> dict:
    """Start ``action`` (``stop`` or ``start``) of a recommender that is in ``needed``."""
    rec = records.load(ctx, conn, params["recommenderArn"], KIND)
    if rec.status != needed:
        article = "an" if needed[0] in "AEIOU" else "a"
        raise ResourceInUseException(
            f"Resource Arn {rec.arn} is in {rec.status} state; only {article} {needed} "
            f"recommender can be {action}{'ped' if action == 'stop' else 'ed'}."
        )
    records.start_transition(ctx, conn, rec, action, TOGGLES[action][0])
    return {"recommenderArn": rec.arn}


@operation("StopRecommender")
def stop_recommender(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """StopRecommender: ACTIVE -> STOP PENDING -> STOP IN_PROGRESS -> INACTIVE
    (reference §2).

    Raises:
        ResourceInUseException: ``Resource Arn <arn> is in <status> state; only an ACTIVE
            recommender can be stopped.``
    """
    return _toggle(ctx, conn, params, "stop", ACTIVE)


@operation("StartRecommender")
def start_recommender(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """StartRecommender: INACTIVE -> START PENDING -> START IN_PROGRESS -> ACTIVE
    (reference §2).

    Raises:
        ResourceInUseException: ``Resource Arn <arn> is in <status> state; only an
            INACTIVE recommender can be started.``
    """
    return _toggle(ctx, conn, params, "start", INACTIVE)


@operation("DeleteRecommender")
def delete_recommender(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DeleteRecommender: no dependents; not while being created, stopped, started or
    deleted (reference §3).

    Raises:
        ResourceInUseException: ``Resource Arn <arn> is in <status> state and cannot be
            deleted.``
    """
    rec = records.load(ctx, conn, params["recommenderArn"], KIND)
    if rec.status in TOGGLING:
        raise busy(rec)
    records.delete(ctx, conn, rec)
    return {}
