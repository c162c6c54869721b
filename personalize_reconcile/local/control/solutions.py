"""Solutions: CreateSolution, DescribeSolution, ListSolutions, UpdateSolution,
DeleteSolution.

One job: the rules of a solution's recipe and flags: ``recipeArn`` xor ``performAutoML``,
legacy HRNN and domain recipes refused, the recipe's hyperparameters
(``rules/hyperparameters.py``, as ``validate`` checks them), ``performIncrementalUpdate`` only for
aws-semantic-similarity, ``autoTrainingConfig`` defaults, at most
:data:`SOLUTIONS_PER_GROUP`; what UpdateSolution may change (``latestSolutionUpdate``);
and the Describe shape's ``latestSolutionVersion``. Callers: ``control.call``.

Automatic training (``performAutoTraining``) is run by ``local/autotraining.py`` once the
solution is ACTIVE. Not modeled (stored and shown, never acted on): HPO and AutoML runs
(``autoMLResult`` names the first listed recipe).

Sources: reference §1 (ARN), §2 (fields, ``latestSolutionUpdate``), §3 (delete
preconditions), §6 (recipes, solution flags), §9 (quota).
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import describer, operation
from personalize_reconcile.local.exceptions import InvalidInputException, LimitExceededException
from personalize_reconcile.local.statuses import CREATE_STOPPING, CREATING, DELETING
from personalize_reconcile.local.store import Resource, Store
from personalize_reconcile.rules import hyperparameters, limits, recipes
from personalize_reconcile.rules.problems import dotted

KIND = "solution"
SOLUTIONS_PER_GROUP = limits.SOLUTIONS_PER_GROUP.default
"""Reference §9, the documented default quota (shared with ``validate``: ``rules/limits.py``)."""
DEFAULT_AUTO_TRAINING = {"schedulingExpression": "rate(7 days)"}
"""``autoTrainingConfig`` when ``performAutoTraining`` is on and none is given."""

_RATE_RE = re.compile(r"rate\((\d+) days?\)")

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeSolution", "ListSolutions", "datasetGroupArn")


@describer(KIND)
def _latest_version(
    res: Resource, out: dict, conn: sqlite3.Connection | None, store: Store
) -> None:
    versions = (
        store.conn()
        .execute(
            "SELECT arn FROM resources WHERE kind='solution-version' AND parent=?"
            " ORDER BY seq DESC LIMIT 1",
            (res.arn,),
        )
        .fetchone()
    )
    if versions:
        v = store.get(versions[0], conn)
        if v is not None:
            latest = {
                k: v.body[k]
                for k in ("solutionVersionArn", "trainingMode", "trainingType")
                if k in v.body
            }
            latest.update(
                status=v.status, creationDateTime=v.created, lastUpdatedDateTime=v.updated
            )
            if "failureReason" in v.body:
                latest["failureReason"] = v.body["failureReason"]
            out["latestSolutionVersion"] = latest


def _sentence(text: str) -> str:
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _check_solution_config(config: dict) -> None:
    """Rules on solutionConfig that the shape cannot express (reference §6)."""
    expr = (config.get("autoTrainingConfig") or {}).get("schedulingExpression")
    if expr is not None:
        m = _RATE_RE.fullmatch(expr)
        if not m or not 1 <= int(m.group(1)) <= 30:
            raise InvalidInputException(
                f"Invalid schedulingExpression {expr!r}: use rate(N days) with N from 1 to 30."
            )
    hpo = config.get("hpoConfig") or {}
    if hpo.get("hpoObjective"):
        raise InvalidInputException("hpoObjective is not supported.")


def _check_hyperparameters(recipe: str, perform_hpo: bool, config: dict) -> None:
    """The recipe's hyperparameter table (``rules/hyperparameters.py``, reference §6), the
    same rules ``validate`` applies; the first problem is the refusal."""
    problems = hyperparameters.config_problems(recipes.recipe_name(recipe), perform_hpo, config)
    if problems:
        p = problems[0]
        text = f"Invalid solutionConfig.{dotted(p.path)}: {p.message}."
        raise InvalidInputException(text + (" " + _sentence(p.hint) if p.hint else ""))


def _check_recipe(recipe: str) -> None:
    legacy = recipes.legacy_recipe_message(recipe)
    if legacy is not None:  # the words DescribeRecipe uses too (reference §6)
        raise InvalidInputException(legacy)
    problem = recipes.solution_recipe_problem(recipe)
    if problem is not None:
        message, hint = problem
        text = _sentence(message) + (" " + _sentence(hint) if hint else "")
        raise InvalidInputException(text)
    if not recipe.startswith("arn:"):
        raise InvalidInputException(
            f"recipeArn {recipe!r} is not an ARN; use {recipes.recipe_arn(recipe)}."
        )


def _check_incremental(incremental: Any, recipe: str) -> None:
    if incremental and recipes.recipe_name(recipe) != "aws-semantic-similarity":
        raise InvalidInputException(
            "performIncrementalUpdate is only supported by aws-semantic-similarity."
        )


@operation("CreateSolution")
def create_solution(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateSolution (reference §6): recipeArn xor performAutoML; legacy HRNN and
    domain recipes refused; hyperparameters checked against the recipe's table
    (InvalidInputException naming the first problem); performIncrementalUpdate only for
    aws-semantic-similarity;
    at most 10 solutions per group."""
    group = records.load_parent(ctx, conn, params["datasetGroupArn"], "dataset-group")
    recipe = params.get("recipeArn")
    auto_ml = bool(params.get("performAutoML", False))
    if auto_ml and recipe:
        raise InvalidInputException("recipeArn cannot be specified when performAutoML is true.")
    if not auto_ml and not recipe:
        raise InvalidInputException("recipeArn is required unless performAutoML is true.")
    if recipe:
        _check_recipe(recipe)
    incremental = bool(params.get("performIncrementalUpdate", False))
    _check_incremental(incremental, recipe or "")
    if (
        records.count(
            conn, "kind='solution' AND grp=? AND status NOT IN (?,?)", (group.arn, *DELETING)
        )
        >= SOLUTIONS_PER_GROUP
    ):
        raise LimitExceededException(
            f"Dataset group {group.arn} already has {SOLUTIONS_PER_GROUP} solutions, the limit."
        )
    name = params["name"]
    arn = make_arn(ctx, f"solution/{name}")
    auto_training = params.get("performAutoTraining")
    auto_training = True if auto_training is None else bool(auto_training)
    config = json.loads(json.dumps(params.get("solutionConfig") or {}))
    _check_solution_config(config)
    if recipe:
        _check_hyperparameters(recipe, bool(params.get("performHPO", False)), config)
    if auto_training:
        config.setdefault("autoTrainingConfig", dict(DEFAULT_AUTO_TRAINING))
    body: dict[str, Any] = {
        "name": name,
        "solutionArn": arn,
        "performHPO": bool(params.get("performHPO", False)) or auto_ml,
        "performAutoML": auto_ml,
        "performAutoTraining": auto_training,
        "performIncrementalUpdate": incremental,
        "datasetGroupArn": group.arn,
    }
    if recipe:
        body["recipeArn"] = recipe
    if params.get("eventType"):
        body["eventType"] = params["eventType"]
    if config:
        body["solutionConfig"] = config
    if auto_ml:
        recipe_list = (config.get("autoMLConfig") or {}).get("recipeList") or [
            recipes.recipe_arn("aws-user-personalization")
        ]
        body["autoMLResult"] = {"bestRecipeArn": recipe_list[0]}
    records.create_under(ctx, conn, group, KIND, arn, body, params)
    return {"solutionArn": arn}


@operation("UpdateSolution")
def update_solution(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """UpdateSolution: only auto-training, incremental update and eventsConfig change
    (reference §6); the change shows in ``latestSolutionUpdate`` until ACTIVE."""
    sol = records.require_active(records.load(ctx, conn, params["solutionArn"], KIND))
    records.no_update_running(sol)
    update: dict[str, Any] = {}
    auto = params.get("performAutoTraining")
    update["performAutoTraining"] = (
        sol.body.get("performAutoTraining", True) if auto is None else bool(auto)
    )
    inc = params.get("performIncrementalUpdate")
    _check_incremental(inc, sol.body.get("recipeArn", ""))
    update["performIncrementalUpdate"] = (
        sol.body.get("performIncrementalUpdate", False) if inc is None else bool(inc)
    )
    cfg = json.loads(json.dumps(params.get("solutionUpdateConfig") or {}))
    _check_solution_config(cfg)
    current = sol.body.get("solutionConfig", {})
    merged = {}
    for key in ("autoTrainingConfig", "eventsConfig"):
        if key in cfg:
            merged[key] = cfg[key]
        elif key in current:
            merged[key] = current[key]
    if update["performAutoTraining"]:
        merged.setdefault("autoTrainingConfig", dict(DEFAULT_AUTO_TRAINING))
    if merged:
        update["solutionUpdateConfig"] = merged
    records.start_update(ctx, conn, sol, update)
    return {"solutionArn": sol.arn}


@operation("DeleteSolution")
def delete_solution(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DeleteSolution: no campaign uses any of its versions; no version training
    (reference §3). Its versions go with it."""
    sol = records.load(ctx, conn, params["solutionArn"], KIND)
    records.check_deletable(sol)
    store = ctx.store
    records.refuse_if_used(sol, store.select(conn, "kind='campaign' AND parent=?", (sol.arn,), 1))
    records.refuse_if_used(
        sol,
        store.select(
            conn,
            "kind='solution-version' AND parent=? AND status IN (?,?,?)",
            (sol.arn, *CREATING, CREATE_STOPPING),
            1,
        ),
    )
    records.delete(ctx, conn, sol)
    return {}
