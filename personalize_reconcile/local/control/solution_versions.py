"""Solution versions: CreateSolutionVersion, DescribeSolutionVersion,
ListSolutionVersions, StopSolutionVersionCreation, GetSolutionMetrics.

One job: the rules of a training request: the solution ACTIVE, ``trainingMode`` UPDATE
only where it has a meaning and after an ACTIVE FULL version, at most
:data:`SOLUTION_VERSIONS_IN_PROGRESS_PER_REGION` training; stopping; and the metrics a
finished version reports. The version copies its solution's configuration when it is
created; the training itself runs in a worker (``lifecycle`` through ``seams.trainer``).
Versions cannot be deleted: they go with their solution. A version's optional ``name`` is
checked like every name (1-63 characters, the name pattern) and is unique only within its
solution: its ARN is ``<solution arn>/<generated id>``, nested under the solution and not
made of the name, so two solutions may each have a version of the same name (the
reference states no account-wide rule for it, as it does for names the ARN embeds).
Callers: ``control.call``.

Sources: reference §1 (ARN ``<solution arn>/<id>``; names are unique only where the ARN
embeds them), §2 (statuses, stopping), §6 (training modes), §9 (quota).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from typing import Any

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.errors import already_exists
from personalize_reconcile.local.control.pagination import list_page
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceInUseException,
)
from personalize_reconcile.local.statuses import (
    ACTIVE,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    CREATE_STOPPED,
    CREATE_STOPPING,
    CREATING,
    STOP_REQUESTED,
)
from personalize_reconcile.local.store import Resource
from personalize_reconcile.rules import recipes

KIND = "solution-version"
SOLUTION_VERSIONS_IN_PROGRESS_PER_REGION = 20
"""Reference §9, the documented default quota."""
UPDATE_RECIPES = ("aws-user-personalization", "aws-hrnn-coldstart")
"""Recipes whose solutions accept trainingMode UPDATE (reference §6)."""
COPIED_FROM_SOLUTION = (
    "performHPO",
    "performAutoML",
    "performIncrementalUpdate",
    "recipeArn",
    "eventType",
    "datasetGroupArn",
    "solutionConfig",
)
"""Solution fields a version keeps as they were when it was created."""

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeSolutionVersion")


def _check_update_mode(ctx: RequestContext, conn: sqlite3.Connection, sol: Resource) -> None:
    if recipes.recipe_name(sol.body.get("recipeArn", "")) not in UPDATE_RECIPES:
        raise InvalidInputException(
            "trainingMode UPDATE is only supported by aws-user-personalization."
        )
    full = ctx.store.select(
        conn, "kind='solution-version' AND parent=? AND status=?", (sol.arn, ACTIVE)
    )
    if not any(v.body.get("trainingMode") == "FULL" for v in full):
        raise InvalidInputException(
            "trainingMode UPDATE needs an ACTIVE solution version trained with trainingMode FULL."
        )


@operation("CreateSolutionVersion")
def create_solution_version(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateSolutionVersion: solution ACTIVE; trainingMode UPDATE only for
    aws-user-personalization after an ACTIVE FULL version; at most 20 versions
    training per region (reference §6, §9); a ``name`` unused among the solution's
    versions (another solution's versions may use it: the ARN is the solution's ARN and a
    generated id, reference §1).

    Raises:
        ResourceAlreadyExistsException: a version of this solution has the name.
    """
    sol = records.load_parent(ctx, conn, params["solutionArn"], "solution")
    mode = params.get("trainingMode") or "FULL"
    if mode == "UPDATE":
        _check_update_mode(ctx, conn, sol)
    running = records.count(
        conn,
        "kind='solution-version' AND account=? AND region=? AND status IN (?,?,?)",
        (ctx.account, ctx.region, *CREATING, CREATE_STOPPING),
    )
    if running >= SOLUTION_VERSIONS_IN_PROGRESS_PER_REGION:
        raise LimitExceededException(
            f"You have reached the limit of {SOLUTION_VERSIONS_IN_PROGRESS_PER_REGION} "
            "solution versions pending or in progress in this region."
        )
    name = params.get("name")
    if name:
        taken = [
            v
            for v in ctx.store.select(conn, "kind='solution-version' AND parent=?", (sol.arn,))
            if v.body.get("name") == name
        ]
        if taken:
            raise already_exists(taken[0].arn)
    version = new_version(ctx, conn, sol, mode, "MANUAL", params)
    return {"solutionVersionArn": version.arn}


def new_version(
    ctx: RequestContext,
    conn: sqlite3.Connection,
    sol: Resource,
    mode: str,
    training_type: str,
    params: dict | None = None,
) -> Resource:
    """Store a new version of ``sol`` (CREATE PENDING, its training scheduled) with the
    solution's configuration copied, ``trainingMode`` ``mode`` and ``trainingType``
    ``training_type`` (``MANUAL`` for CreateSolutionVersion, ``AUTOMATIC`` for a version
    the solution's auto-training starts, reference §6); ``params`` are the request's
    ``name`` and ``tags``. Checks nothing: the callers do. Returns the stored version."""
    params = params or {}
    arn = f"{sol.arn}/{uuid.uuid4().hex[:8]}"
    body: dict[str, Any] = {"solutionVersionArn": arn, "solutionArn": sol.arn}
    if params.get("name"):
        body["name"] = params["name"]
    for key in COPIED_FROM_SOLUTION:
        if key in sol.body:
            body[key] = sol.body[key]
    body.update(trainingMode=mode, trainingType=training_type)
    return records.create_under(ctx, conn, sol, KIND, arn, body, params, unique_name=False)


@operation("ListSolutionVersions", read_only=True)
def list_solution_versions(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """ListSolutionVersions: a given solutionArn must exist (NotFound)."""
    if params.get("solutionArn"):
        records.load(ctx, conn, params["solutionArn"], "solution")
    return list_page(ctx, conn, "ListSolutionVersions", KIND, params, "solutionArn")


@operation("StopSolutionVersionCreation")
def stop_solution_version_creation(
    ctx: RequestContext, conn: sqlite3.Connection, params: dict
) -> dict:
    """StopSolutionVersionCreation: CREATE PENDING -> CREATE STOPPED at once;
    CREATE IN_PROGRESS -> CREATE STOPPING -> CREATE STOPPED (reference §2), STOPPING held
    for at least 0.2 of the kind's minimum duration (``lifecycle.STOP_SHARE``) and until a
    running training run has stopped."""
    ver = records.load(ctx, conn, params["solutionVersionArn"], KIND)
    if ver.status == CREATE_PENDING:
        ver.status = CREATE_STOPPED
        ctx.store.save(conn, ver)
        conn.execute("DELETE FROM jobs WHERE arn=?", (ver.arn,))
    elif ver.status == CREATE_IN_PROGRESS:
        ver.status = CREATE_STOPPING
        ver.extra[STOP_REQUESTED] = time.time()
        ctx.store.save(conn, ver)
        # A step not yet claimed runs now (and holds STOPPING for the stop's minimum
        # duration); a running trainer sees should_stop.
        conn.execute(
            "UPDATE jobs SET due=?, heavy=0 WHERE arn=? AND owner IS NULL",
            (time.time(), ver.arn),
        )
    else:
        raise ResourceInUseException(
            f"Resource Arn {ver.arn} is in {ver.status} state; only a solution version "
            "in CREATE PENDING or CREATE IN_PROGRESS can be stopped."
        )
    return {}


@operation("GetSolutionMetrics", read_only=True)
def get_solution_metrics(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """GetSolutionMetrics: the version must be ACTIVE; metrics are what the trainer
    returned (empty when it returned none)."""
    ver = records.require_active(records.load(ctx, conn, params["solutionVersionArn"], KIND))
    return {"solutionVersionArn": ver.arn, "metrics": dict(ver.extra.get("metrics", {}))}
