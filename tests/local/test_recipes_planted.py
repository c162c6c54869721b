"""The item recipes find the pattern planted in ``planted_data`` (comedy fans ``c...`` only
touch comedies ``i00``-``i19``, drama fans ``d...`` only dramas ``i20``-``i39``), through
boto3: user personalization (v1, v2) and personalized ranking (v1, v2) keep each fan in
their genre, SIMS relates an item to its genre, Popularity-Count gives everybody the most
watched items; and GetSolutionMetrics reports each version's holdout metrics."""

from __future__ import annotations

import pytest
from personalize_steps import make_group
from planted_data import COMEDIES, DRAMAS, interactions_csv
from schemas import INTERACTIONS

ALS_METRICS = {
    "coverage": 1.0,
    "mean_reciprocal_rank_at_25": 0.3096,
    "normalized_discounted_cumulative_gain_at_5": 0.3507,
    "normalized_discounted_cumulative_gain_at_10": 0.38,
    "normalized_discounted_cumulative_gain_at_25": 0.4122,
    "precision_at_5": 0.1067,
    "precision_at_10": 0.0633,
    "precision_at_25": 0.0307,
}
"""The four ALS recipes train the same model with their default settings."""
METRICS: dict[str, dict[str, float]] = {
    "aws-user-personalization-v2": ALS_METRICS,
    "aws-user-personalization": ALS_METRICS,
    "aws-personalized-ranking-v2": ALS_METRICS,
    "aws-personalized-ranking": ALS_METRICS,
    "aws-sims": {
        "coverage": 1.0,
        "mean_reciprocal_rank_at_25": 0.296,
        "normalized_discounted_cumulative_gain_at_5": 0.3071,
        "normalized_discounted_cumulative_gain_at_10": 0.3644,
        "normalized_discounted_cumulative_gain_at_25": 0.4155,
        "precision_at_5": 0.0933,
        "precision_at_10": 0.0633,
        "precision_at_25": 0.0333,
    },
    # the same 25 items for everybody: 25 of the 40 items are ever recommended
    "aws-popularity-count": {
        "coverage": 0.625,
        "mean_reciprocal_rank_at_25": 0.3114,
        "normalized_discounted_cumulative_gain_at_5": 0.3176,
        "normalized_discounted_cumulative_gain_at_10": 0.3714,
        "normalized_discounted_cumulative_gain_at_25": 0.4464,
        "precision_at_5": 0.0933,
        "precision_at_10": 0.0633,
        "precision_at_25": 0.0373,
    },
}


@pytest.fixture
def group(personalize, wait, state_dir):
    return make_group(
        personalize,
        wait,
        state_dir,
        "planted",
        [("Interactions", INTERACTIONS, interactions_csv())],
    )


def deploy(personalize, wait, group, recipe):
    """Train ``recipe`` on the group, deploy it; (metrics, campaign ARN)."""
    name = recipe.removeprefix("aws-")
    sol = personalize.create_solution(
        name=name,
        datasetGroupArn=group,
        performAutoTraining=False,
        recipeArn=f"arn:aws:personalize:::recipe/{recipe}",
    )["solutionArn"]
    wait(lambda: personalize.describe_solution(solutionArn=sol), "solution")
    ver = personalize.create_solution_version(solutionArn=sol)["solutionVersionArn"]
    done = wait(
        lambda: personalize.describe_solution_version(solutionVersionArn=ver), "solutionVersion"
    )
    assert done["status"] == "ACTIVE", done.get("failureReason")
    arn = personalize.create_campaign(name=name, solutionVersionArn=ver, minProvisionedTPS=1)[
        "campaignArn"
    ]
    got = wait(lambda: personalize.describe_campaign(campaignArn=arn), "campaign")
    assert got["status"] == "ACTIVE", got.get("failureReason")
    return personalize.get_solution_metrics(solutionVersionArn=ver)["metrics"], arn


def recommended(runtime, arn, n=10, **who):
    got = runtime.get_recommendations(campaignArn=arn, numResults=n, **who)
    return [i["itemId"] for i in got["itemList"]]


@pytest.mark.parametrize("recipe", ["aws-user-personalization-v2", "aws-user-personalization"])
def test_user_personalization_keeps_fans_in_their_genre(personalize, runtime, wait, group, recipe):
    metrics, arn = deploy(personalize, wait, group, recipe)
    for user in ("c010", "c140"):
        assert set(recommended(runtime, arn, n=5, userId=user)) <= set(COMEDIES)
    for user in ("d010", "d140"):
        assert set(recommended(runtime, arn, n=5, userId=user)) <= set(DRAMAS)
    assert metrics == METRICS[recipe]


@pytest.mark.parametrize("recipe", ["aws-personalized-ranking-v2", "aws-personalized-ranking"])
def test_personalized_ranking_puts_the_fans_genre_first(personalize, runtime, wait, group, recipe):
    metrics, arn = deploy(personalize, wait, group, recipe)
    listed = ["i21", "i01", "i22", "i02"]
    for user, first in (("c010", {"i01", "i02"}), ("d010", {"i21", "i22"})):
        got = runtime.get_personalized_ranking(campaignArn=arn, userId=user, inputList=listed)
        assert {i["itemId"] for i in got["personalizedRanking"][:2]} == first
    assert metrics == METRICS[recipe]


def test_sims_relates_items_of_one_genre(personalize, runtime, wait, group):
    metrics, arn = deploy(personalize, wait, group, "aws-sims")
    assert set(recommended(runtime, arn, itemId="i03")) <= set(COMEDIES)
    assert set(recommended(runtime, arn, itemId="i23")) <= set(DRAMAS)
    assert metrics == METRICS["aws-sims"]


def test_popularity_count_gives_everybody_the_most_watched(personalize, runtime, wait, group):
    metrics, arn = deploy(personalize, wait, group, "aws-popularity-count")
    top = recommended(runtime, arn, n=4, userId="c010")
    assert top == recommended(runtime, arn, n=4, userId="d010")
    assert set(top[:2]) == {"i00", "i20"}  # the items with the most distinct users
    assert metrics == METRICS["aws-popularity-count"]
