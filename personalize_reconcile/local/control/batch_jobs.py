"""Batch inference jobs and batch segment jobs: Create, Describe and List of each.

One job: the rules checked when a batch job is requested: the solution version ACTIVE; a
recipe that gives batch recommendations (not Trending-Now or Next-Best-Action) for an
inference job and a USER_SEGMENTATION recipe for a segment job; a
``batchInferenceJobConfig.itemExplorationConfig`` only for aws-user-personalization, with
the campaigns' keys and bounds (``exploration``); ``s3://`` input and
output paths; ``numResults`` 1-500; at most :data:`JOBS_IN_PROGRESS_PER_REGION` of each
kind running. The input is read and the output written when the job runs (``lifecycle``
through ``seams.run_batch``), where a failure becomes the job's CREATE FAILED; a bad input
line is reported in its own output line. Jobs cannot be deleted. Callers: ``control.call``.

``filterArn`` must name a filter of the version's dataset group; the job applies it to
every line (with the line's ``filterValues``, ``local.batch``). Not modelled, and refused
rather than ignored: ``batchInferenceJobMode`` THEME_GENERATION (no text generation
offline).

Sources: reference §1 (ARNs ``batch-inference-job/<name>``, ``batch-segment-job/<name>``),
§3 (a version ACTIVE before batch jobs), §6 (which recipes give batch recommendations),
§9 (5 pending or in progress per region); the developer guide's "Batch inference job
output examples" for the recipe kinds.
"""

from __future__ import annotations

import sqlite3

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.exploration import check_exploration
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import InvalidInputException, LimitExceededException
from personalize_reconcile.local.statuses import CREATING
from personalize_reconcile.rules import recipes

INFERENCE = "batch-inference-job"
SEGMENT = "batch-segment-job"
JOBS_IN_PROGRESS_PER_REGION = 5
"""Reference §9: batch inference and batch segment jobs pending or in progress."""
DEFAULT_NUM_RESULTS = 25
MAX_NUM_RESULTS = 500
NO_BATCH_RECIPES = ("aws-trending-now", "aws-next-best-action")
"""Recipes without batch recommendations (reference §6)."""

# Describe (and List) answer the stored shape; see reads.py.
register_reads(
    INFERENCE, "DescribeBatchInferenceJob", "ListBatchInferenceJobs", "solutionVersionArn"
)
register_reads(SEGMENT, "DescribeBatchSegmentJob", "ListBatchSegmentJobs", "solutionVersionArn")


def _recipe_of(ctx: RequestContext, conn: sqlite3.Connection, version) -> recipes.Recipe | None:
    recipe_arn = version.body.get("recipeArn")
    if not recipe_arn:
        solution = ctx.store.get(version.parent or "", conn)
        recipe_arn = solution.body.get("recipeArn") if solution is not None else None
    return recipes.lookup(recipe_arn or "")


def _s3(params: dict, member: str, inner: str) -> str:
    path = (params[member].get(inner) or {}).get("path", "")
    if not path.startswith("s3://"):
        raise InvalidInputException(f"{member}.{inner}.path {path!r} must be an s3:// location.")
    return path


def _create(ctx: RequestContext, conn: sqlite3.Connection, params: dict, kind: str) -> dict:
    version = records.load_parent(ctx, conn, params["solutionVersionArn"], "solution-version")
    recipe = _recipe_of(ctx, conn, version)
    name = recipe.name if recipe else "an unknown recipe"
    segments = recipe is not None and recipe.recipe_type == recipes.USER_SEGMENTATION
    if kind == INFERENCE and (recipe is None or name in NO_BATCH_RECIPES or segments):
        why = (
            "use CreateBatchSegmentJob for a USER_SEGMENTATION recipe"
            if segments
            else "the Trending-Now and Next-Best-Action recipes give no batch recommendations"
        )
        raise InvalidInputException(
            f"Solution version {version.arn} uses {name}, which has no batch inference; {why}."
        )
    if kind == SEGMENT and not segments:
        raise InvalidInputException(
            f"Solution version {version.arn} uses {name}; a batch segment job needs a "
            "USER_SEGMENTATION recipe (aws-item-affinity or aws-item-attribute-affinity)."
        )
    filter_row = None
    if params.get("filterArn"):
        filter_row = records.load(ctx, conn, params["filterArn"], "filter")
        solution = ctx.store.get(version.parent or "", conn)
        group = solution.body.get("datasetGroupArn") if solution is not None else None
        if filter_row.body.get("datasetGroupArn") != group:
            raise InvalidInputException(
                f"Filter {filter_row.arn} belongs to dataset group "
                f"{filter_row.body.get('datasetGroupArn')}, not to {group}, the group of "
                f"solution version {version.arn}."
            )
    if params.get("batchInferenceJobMode") == "THEME_GENERATION":
        raise InvalidInputException(
            "The local target does not generate themes; use batchInferenceJobMode BATCH_INFERENCE."
        )
    explore = (params.get("batchInferenceJobConfig") or {}).get("itemExplorationConfig")
    if kind == INFERENCE and explore:
        if name != "aws-user-personalization":  # reference §7, as for campaigns
            raise InvalidInputException(
                "itemExplorationConfig is only supported by aws-user-personalization."
            )
        check_exploration(explore)
    n = params.get("numResults") or DEFAULT_NUM_RESULTS
    if not 1 <= n <= MAX_NUM_RESULTS:
        raise InvalidInputException(f"numResults must be between 1 and {MAX_NUM_RESULTS}, not {n}.")
    source = _s3(params, "jobInput", "s3DataSource")
    destination = _s3(params, "jobOutput", "s3DataDestination")
    running = records.count(
        conn,
        "kind=? AND account=? AND region=? AND status IN (?,?)",
        (kind, ctx.account, ctx.region, *CREATING),
    )
    if running >= JOBS_IN_PROGRESS_PER_REGION:
        noun = "batch inference" if kind == INFERENCE else "batch segment"
        raise LimitExceededException(
            f"You have reached the limit of {JOBS_IN_PROGRESS_PER_REGION} {noun} jobs pending "
            "or in progress in this region."
        )
    arn_key = "batchInferenceJobArn" if kind == INFERENCE else "batchSegmentJobArn"
    arn = make_arn(ctx, f"{kind}/{params['jobName']}")
    body = {
        "jobName": params["jobName"],
        arn_key: arn,
        "solutionVersionArn": version.arn,
        "numResults": n,
        "jobInput": {"s3DataSource": dict(params["jobInput"]["s3DataSource"], path=source)},
        "jobOutput": {
            "s3DataDestination": dict(params["jobOutput"]["s3DataDestination"], path=destination)
        },
        "roleArn": params["roleArn"],
    }
    if kind == INFERENCE:
        body["batchInferenceJobMode"] = params.get("batchInferenceJobMode") or "BATCH_INFERENCE"
        if filter_row is not None:
            body["filterArn"] = filter_row.arn
        if params.get("batchInferenceJobConfig"):
            body["batchInferenceJobConfig"] = params["batchInferenceJobConfig"]
    res = records.create_under(ctx, conn, version, kind, arn, body, params, name_key="jobName")
    res.extra["recipe"] = name
    if filter_row is not None:
        res.extra["filter"] = {
            "filterArn": filter_row.arn,
            "datasetGroupArn": filter_row.body.get("datasetGroupArn"),
            "filterExpression": filter_row.body.get("filterExpression"),
        }
    ctx.store.save(conn, res, touch=False)
    return {arn_key: arn}


@operation("CreateBatchInferenceJob")
def create_batch_inference_job(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateBatchInferenceJob (rules in the module docstring)."""
    return _create(ctx, conn, params, INFERENCE)


@operation("CreateBatchSegmentJob")
def create_batch_segment_job(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateBatchSegmentJob (rules in the module docstring)."""
    return _create(ctx, conn, params, SEGMENT)
