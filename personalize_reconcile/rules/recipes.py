"""The service's recipe catalogue (reference §6) and the checks on a solution's recipe.

Recipe ARNs are global: ``arn:aws:personalize:::recipe/<name>`` (reference §1), so the
region and account parts are empty.

Callers: ``manifest/checks.py``, ``engine/desired.py`` and the local target (control plane,
runtime, trainer).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from personalize_reconcile.rules.problems import a_or_an, shown

RECIPE_ARN_PREFIX = "arn:aws:personalize:::recipe/"

USER_PERSONALIZATION = "USER_PERSONALIZATION"
PERSONALIZED_RANKING = "PERSONALIZED_RANKING"
RELATED_ITEMS = "RELATED_ITEMS"
POPULAR_ITEMS = "POPULAR_ITEMS"
PERSONALIZED_ACTIONS = "PERSONALIZED_ACTIONS"
USER_SEGMENTATION = "USER_SEGMENTATION"


@dataclass(frozen=True)
class Recipe:
    """One entry of the catalogue.

    Attributes:
        name: the short name (``aws-user-personalization-v2``).
        recipe_type: the service's ``recipeType`` (USER_PERSONALIZATION, ...).
        description: one line, as ListRecipes would show it.
        domain: ``ECOMMERCE`` or ``VIDEO_ON_DEMAND`` for domain use cases (recommenders
            only), ``None`` for custom recipes (solutions).
        legacy_replacement: for retired recipes, the recipe to use instead.
    """

    name: str
    recipe_type: str
    description: str
    domain: str | None = None
    legacy_replacement: str | None = None

    @property
    def arn(self) -> str:
        """The recipe's global ARN."""
        return RECIPE_ARN_PREFIX + self.name

    @property
    def algorithm_arn(self) -> str:
        """The ARN of the algorithm behind the recipe (``arn:aws:personalize:::algorithm/...``)."""
        return "arn:aws:personalize:::algorithm/" + self.name


_CUSTOM = [
    Recipe(
        "aws-user-personalization-v2",
        USER_PERSONALIZATION,
        "Recommends items for a user, trained on up to 5 million items.",
    ),
    Recipe(
        "aws-user-personalization",
        USER_PERSONALIZATION,
        "Recommends items for a user, with item exploration.",
    ),
    Recipe(
        "aws-popularity-count",
        USER_PERSONALIZATION,
        "Recommends the items that the most distinct users interacted with.",
    ),
    Recipe(
        "aws-trending-now", POPULAR_ITEMS, "Recommends the items whose interactions grow fastest."
    ),
    Recipe(
        "aws-personalized-ranking-v2",
        PERSONALIZED_RANKING,
        "Ranks a list of items for a user, trained on up to 5 million items.",
    ),
    Recipe("aws-personalized-ranking", PERSONALIZED_RANKING, "Ranks a list of items for a user."),
    Recipe(
        "aws-similar-items",
        RELATED_ITEMS,
        "Recommends items similar to an item, from co-occurrence and item metadata.",
    ),
    Recipe(
        "aws-sims",
        RELATED_ITEMS,
        "Recommends items that users interact with together with an item.",
    ),
    Recipe(
        "aws-semantic-similarity",
        RELATED_ITEMS,
        "Recommends items semantically similar to an item, from its text.",
    ),
    Recipe(
        "aws-next-best-action", PERSONALIZED_ACTIONS, "Recommends the next best actions for a user."
    ),
    Recipe(
        "aws-item-affinity",
        USER_SEGMENTATION,
        "Finds the users most likely to interact with an item (batch segments only).",
    ),
    Recipe(
        "aws-item-attribute-affinity",
        USER_SEGMENTATION,
        "Finds the users most likely to like an item attribute (batch segments only).",
    ),
]

_LEGACY = [
    Recipe(
        "aws-hrnn",
        USER_PERSONALIZATION,
        "Retired.",
        legacy_replacement="aws-user-personalization-v2",
    ),
    Recipe(
        "aws-hrnn-metadata",
        USER_PERSONALIZATION,
        "Retired.",
        legacy_replacement="aws-user-personalization-v2",
    ),
    Recipe(
        "aws-hrnn-coldstart",
        USER_PERSONALIZATION,
        "Retired.",
        legacy_replacement="aws-user-personalization",
    ),
]

_DOMAIN = [
    Recipe(f"aws-ecomm-{n}", t, d, domain="ECOMMERCE")
    for n, t, d in [
        (
            "customers-who-viewed-x-also-viewed",
            RELATED_ITEMS,
            "Customers who viewed X also viewed.",
        ),
        ("frequently-bought-together", RELATED_ITEMS, "Frequently bought together."),
        ("popular-items-by-purchases", POPULAR_ITEMS, "Best sellers."),
        ("popular-items-by-views", POPULAR_ITEMS, "Most viewed."),
        ("recommended-for-you", USER_PERSONALIZATION, "Recommended for you."),
    ]
] + [
    Recipe(f"aws-vod-{n}", t, d, domain="VIDEO_ON_DEMAND")
    for n, t, d in [
        ("because-you-watched-x", RELATED_ITEMS, "Because you watched X."),
        ("more-like-x", RELATED_ITEMS, "More like X."),
        ("most-popular", POPULAR_ITEMS, "Most popular."),
        ("trending-now", POPULAR_ITEMS, "Trending now."),
        ("top-picks", USER_PERSONALIZATION, "Top picks for you."),
    ]
]

CATALOGUE: dict[str, Recipe] = {r.name: r for r in _CUSTOM + _LEGACY + _DOMAIN}
"""Every recipe the service knows, by short name, legacy ones included."""

ACTIVE_CUSTOM: tuple[str, ...] = tuple(r.name for r in _CUSTOM)
"""Recipes a new solution may use, in catalogue order."""


def recipe_name(recipe: str) -> str:
    """Return the short name of ``recipe``, given a short name or a recipe ARN."""
    if recipe.startswith(RECIPE_ARN_PREFIX):
        return recipe[len(RECIPE_ARN_PREFIX) :]
    return recipe


def recipe_arn(recipe: str) -> str:
    """Return the ARN of ``recipe``, given a short name or a recipe ARN."""
    return RECIPE_ARN_PREFIX + recipe_name(recipe)


def lookup(recipe: str) -> Recipe | None:
    """Return the catalogue entry for a short name or ARN, or ``None`` if unknown."""
    return CATALOGUE.get(recipe_name(recipe))


def legacy_recipe_message(recipe: str) -> str | None:
    """The sentence that says ``recipe`` (short name or ARN) is retired, with its
    replacement, or ``None`` for any other recipe. DescribeRecipe and CreateSolution both
    say it, so the two agree (reference §6: the HRNN recipes are "no longer available").

    Example: ``Recipe 'aws-hrnn' is a legacy recipe that the service no longer offers.
    Use aws-user-personalization-v2 instead.``
    """
    entry = lookup(recipe)
    if entry is None or not entry.legacy_replacement:
        return None
    return (
        f"Recipe {shown(recipe_name(recipe))} is a legacy recipe that the service no longer "
        f"offers. Use {entry.legacy_replacement} instead."
    )


def solution_recipe_problem(recipe: str) -> tuple[str, str | None] | None:
    """Check ``recipe`` as the recipe of a new solution (CreateSolution's ``recipeArn``).

    Returns ``None`` when it is acceptable, else ``(message, hint)``: unknown names get the
    closest known names; the retired HRNN recipes get their replacement (reference §6);
    domain use cases are refused because they belong to recommenders.
    """
    if recipe.startswith("arn:") and not recipe.startswith(RECIPE_ARN_PREFIX):
        return (
            f"{shown(recipe)} is not a recipe ARN",
            f"use a short name such as aws-user-personalization-v2 or an ARN that "
            f"starts with {RECIPE_ARN_PREFIX}",
        )
    entry = lookup(recipe)
    name = recipe_name(recipe)
    if entry is None:
        close = difflib.get_close_matches(name, ACTIVE_CUSTOM, n=3, cutoff=0.6)
        hint = (
            ("did you mean " + " or ".join(close) + "?")
            if close
            else ("known recipes: " + ", ".join(ACTIVE_CUSTOM))
        )
        return f"unknown recipe {shown(name)}", hint
    if entry.legacy_replacement:
        return (
            f"recipe {shown(name)} is a legacy recipe that the service no longer offers",
            f"use {entry.legacy_replacement} instead",
        )
    if entry.domain:
        return (
            f"recipe {shown(name)} is {a_or_an(entry.domain)} domain use case, which only a "
            f"recommender can use",
            "pick a custom recipe such as aws-user-personalization-v2 for a solution",
        )
    return None
