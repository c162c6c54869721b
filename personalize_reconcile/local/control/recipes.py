"""Recipes and what they are made of: DescribeRecipe, ListRecipes, DescribeAlgorithm and
DescribeFeatureTransformation, from the service catalogue.

One job: answer the catalogue operations from ``personalize_reconcile.rules.recipes`` and
``rules.hyperparameters`` (the tables the manifest checks use too): custom recipes and
domain use cases, without the retired HRNN recipes, all ACTIVE since :data:`RECIPE_EPOCH`.
A recipe's algorithm (``arn:aws:personalize:::algorithm/<recipe>``) answers the recipe's
documented hyperparameters with their defaults and HPO ranges; its feature transformation
(``arn:aws:personalize:::feature-transformation/<recipe>``, for recipes with featurization
parameters) answers those. Local extensions (``local=True`` in the tables) are left out:
they are not the service's. Callers: ``control.call``.

Which parameters are featurization: the history and interaction-count percentiles and
Trending-Now's ``trend_discovery_frequency`` (the recipe pages list them under
featureTransformationParameters); every other one is an algorithm hyperparameter.

Sources: reference §6 (recipes, domains); the recipe pages of the developer guide (through
``rules.hyperparameters``); the botocore model for the shapes.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.errors import not_found
from personalize_reconcile.local.control.pagination import (
    DEFAULT_PAGE,
    decode_token,
    encode_token,
    summary_fields,
)
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import ResourceNotFoundException
from personalize_reconcile.local.statuses import ACTIVE
from personalize_reconcile.rules import hyperparameters as hp
from personalize_reconcile.rules import recipes

RECIPE_EPOCH = 1546300800.0
"""creationDateTime of the service recipes (2019-01-01T00:00:00Z)."""


FEATURE_TRANSFORMATION_PREFIX = "arn:aws:personalize:::feature-transformation/"
ALGORITHM_PREFIX = "arn:aws:personalize:::algorithm/"


def _params(name: str, featurization: bool) -> list[hp.Hyperparameter]:
    """The service's documented parameters of recipe ``name`` of one kind."""
    table = hp.TABLES.get(name)
    if table is None:
        return []
    return [p for p in table.params if not p.local and _is_featurization(p) == featurization]


def _is_featurization(param: hp.Hyperparameter) -> bool:
    return "percentile" in param.name or param.name == "trend_discovery_frequency"


def _recipe(entry: recipes.Recipe) -> dict:
    out = {
        "name": entry.name,
        "recipeArn": entry.arn,
        "algorithmArn": entry.algorithm_arn,
        "status": ACTIVE,
        "description": entry.description,
        "creationDateTime": RECIPE_EPOCH,
        "recipeType": entry.recipe_type,
        "lastUpdatedDateTime": RECIPE_EPOCH,
    }
    if entry.domain:
        out["domain"] = entry.domain
    if _params(entry.name, featurization=True):
        out["featureTransformationArn"] = FEATURE_TRANSFORMATION_PREFIX + entry.name
    return out


def _catalogued(arn: str, prefix: str) -> recipes.Recipe:
    """The active recipe an algorithm or feature-transformation ARN names.

    Raises:
        ResourceNotFoundException: no such ARN in the catalogue.
    """
    entry = recipes.lookup(arn[len(prefix) :]) if arn.startswith(prefix) else None
    if entry is None or entry.legacy_replacement:
        raise not_found(arn)
    return entry


def _ranges(params: list[hp.Hyperparameter]) -> dict:
    out: dict[str, list] = {
        "integerHyperParameterRanges": [],
        "continuousHyperParameterRanges": [],
        "categoricalHyperParameterRanges": [],
    }
    for p in params:
        if p.hpo_only or p.kind in (hp.INTEGER, hp.CONTINUOUS):
            if p.low is None or p.high is None:
                continue
            key = "integer" if p.kind == hp.INTEGER else "continuous"
            number = int if p.kind == hp.INTEGER else float
            out[key + "HyperParameterRanges"].append(
                {
                    "name": p.name,
                    "minValue": number(p.low),
                    "maxValue": number(p.high),
                    "isTunable": p.tunable,
                }
            )
        else:
            values = list(p.values) or ["true", "false"]
            out["categoricalHyperParameterRanges"].append(
                {"name": p.name, "values": values, "isTunable": p.tunable}
            )
    return out


@operation("DescribeAlgorithm", read_only=True)
def describe_algorithm(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DescribeAlgorithm: the algorithm of a catalogue recipe, with the recipe's documented
    hyperparameters' defaults and ranges (ResourceNotFoundException: not in the catalogue)."""
    entry = _catalogued(params["algorithmArn"], ALGORITHM_PREFIX)
    algo = _params(entry.name, featurization=False)
    return {
        "algorithm": {
            "name": entry.name,
            "algorithmArn": entry.algorithm_arn,
            "algorithmImage": {"name": entry.name, "dockerURI": f"local/{entry.name}"},
            "defaultHyperParameters": {p.name: p.default for p in algo if p.default is not None},
            "defaultHyperParameterRanges": _ranges(algo),
            "defaultResourceConfig": {},
            "trainingInputMode": "File",
            "creationDateTime": RECIPE_EPOCH,
            "lastUpdatedDateTime": RECIPE_EPOCH,
        }
    }


@operation("DescribeFeatureTransformation", read_only=True)
def describe_feature_transformation(
    ctx: RequestContext, conn: sqlite3.Connection, params: dict
) -> dict:
    """DescribeFeatureTransformation: a catalogue recipe's featurization parameters and
    their defaults (ResourceNotFoundException: not in the catalogue, or a recipe without
    featurization parameters)."""
    arn = params["featureTransformationArn"]
    entry = _catalogued(arn, FEATURE_TRANSFORMATION_PREFIX)
    featurization = _params(entry.name, featurization=True)
    if not featurization:
        raise not_found(arn)
    return {
        "featureTransformation": {
            "name": entry.name,
            "featureTransformationArn": arn,
            "defaultParameters": {
                p.name: p.default for p in featurization if p.default is not None
            },
            "creationDateTime": RECIPE_EPOCH,
            "lastUpdatedDateTime": RECIPE_EPOCH,
            "status": ACTIVE,
        }
    }


@operation("DescribeRecipe", read_only=True)
def describe_recipe(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DescribeRecipe: the service catalogue (``rules.recipes``). A retired HRNN recipe is
    gone (ResourceNotFoundException), and the message says so in the words CreateSolution
    refuses it with (reference §6): ``Resource Arn <arn> does not exist. Recipe 'aws-hrnn'
    is a legacy recipe that the service no longer offers. Use aws-user-personalization-v2
    instead.``"""
    arn = params["recipeArn"]
    entry = recipes.lookup(arn) if arn.startswith(recipes.RECIPE_ARN_PREFIX) else None
    if entry is not None and entry.legacy_replacement:
        raise ResourceNotFoundException(
            f"Resource Arn {arn} does not exist. {recipes.legacy_recipe_message(arn)}"
        )
    if entry is None:
        raise not_found(arn)
    recipe = _recipe(entry)
    recipe.pop("domain", None)  # only RecipeSummary (ListRecipes) has it
    return {"recipe": recipe}


@operation("ListRecipes", read_only=True)
def list_recipes(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """ListRecipes: custom recipes and domain use cases; ``domain`` keeps only that
    domain's use cases (reference §6)."""
    entries = [r for r in recipes.CATALOGUE.values() if not r.legacy_replacement]
    if params.get("domain"):
        entries = [r for r in entries if r.domain == params["domain"]]
    key = params.get("domain") or ""
    start = 0
    if params.get("nextToken"):
        start = decode_token(params["nextToken"], "ListRecipes", key)
    limit = params.get("maxResults") or DEFAULT_PAGE
    _, fields = summary_fields("ListRecipes")
    page = entries[start : start + limit]
    out: dict[str, Any] = {
        "recipes": [{k: v for k, v in _recipe(r).items() if k in fields} for r in page]
    }
    if start + limit < len(entries):
        out["nextToken"] = encode_token("ListRecipes", key, start + limit)
    return out
