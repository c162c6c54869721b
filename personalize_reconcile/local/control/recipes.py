"""Recipes: DescribeRecipe and ListRecipes, from the service catalogue.

One job: answer the recipe operations from ``personalize_reconcile.rules.recipes`` (the
catalogue the manifest checks use too): custom recipes and domain use cases, without the
retired HRNN recipes, all ACTIVE since :data:`RECIPE_EPOCH`. Callers: ``control.call``.

Sources: reference §6 (recipes, domains); the botocore model for the shapes.
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
from personalize_reconcile.local.statuses import ACTIVE
from personalize_reconcile.rules import recipes

RECIPE_EPOCH = 1546300800.0
"""creationDateTime of the service recipes (2019-01-01T00:00:00Z)."""


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
    return out


@operation("DescribeRecipe", read_only=True)
def describe_recipe(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DescribeRecipe: the service catalogue (``rules.recipes``); retired HRNN recipes
    are gone (ResourceNotFoundException)."""
    arn = params["recipeArn"]
    entry = recipes.lookup(arn) if arn.startswith(recipes.RECIPE_ARN_PREFIX) else None
    if entry is None or entry.legacy_replacement:
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
