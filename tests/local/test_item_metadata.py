"""Items metadata in the local models, through boto3: aws-similar-items blends the items'
categorical metadata into co-occurrence, so an item nobody interacted with gets the items
of its own genre rather than popular ones; the v2 recipes give such items factors borrowed
from the items whose metadata they share, so they are ranked and recommended.

Data: ``planted_data``'s interactions (comedies ``i00``-``i19``, dramas ``i20``-``i39``) and
Items with GENRES for those plus ``n00``-``n04`` (Comedy) and ``n05``-``n09`` (Drama), never
interacted with.
"""

from __future__ import annotations

import pytest
from personalize_steps import make_group
from planted_data import COMEDIES, COMEDY_FANS, DRAMA_FANS, DRAMAS, as_csv, interactions_csv
from schemas import INTERACTIONS, ITEM_ID, record

NEW_COMEDIES = [f"n{i:02d}" for i in range(5)]
NEW_DRAMAS = [f"n{i:02d}" for i in range(5, 10)]
ITEMS_SCHEMA = record("Items", [ITEM_ID, {"name": "GENRES", "type": "string", "categorical": True}])


def items_csv() -> bytes:
    comedies = [[i, "Comedy"] for i in COMEDIES + NEW_COMEDIES]
    return as_csv(["ITEM_ID", "GENRES"], comedies + [[i, "Drama"] for i in DRAMAS + NEW_DRAMAS])


def campaign(personalize, wait, state_dir, name, datasets, recipe="aws-similar-items"):
    group = make_group(personalize, wait, state_dir, name, datasets)
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
    return ver, arn


@pytest.fixture
def with_metadata(personalize, wait, state_dir):
    return campaign(
        personalize,
        wait,
        state_dir,
        "similar-meta",
        [("Interactions", INTERACTIONS, interactions_csv()), ("Items", ITEMS_SCHEMA, items_csv())],
    )


def related(runtime, arn, item, n=10):
    got = runtime.get_recommendations(campaignArn=arn, itemId=item, numResults=n)
    return [i["itemId"] for i in got["itemList"]]


def test_cold_items_get_their_genre_from_metadata(personalize, runtime, with_metadata):
    version, arn = with_metadata
    # coverage divides by the 50 items of Interactions and Items: 40 are ever recommended
    assert personalize.get_solution_metrics(solutionVersionArn=version)["metrics"] == {
        "coverage": 0.8,
        "mean_reciprocal_rank_at_25": 0.298,
        "normalized_discounted_cumulative_gain_at_5": 0.3071,
        "normalized_discounted_cumulative_gain_at_10": 0.3644,
        "normalized_discounted_cumulative_gain_at_25": 0.4235,
        "precision_at_5": 0.0933,
        "precision_at_10": 0.0633,
        "precision_at_25": 0.0347,
    }
    assert set(related(runtime, arn, "n00", 24)) == set(COMEDIES + NEW_COMEDIES) - {"n00"}
    assert set(related(runtime, arn, "n07", 24)) == set(DRAMAS + NEW_DRAMAS) - {"n07"}


def test_warm_items_keep_co_occurrence_first_and_metadata_after(runtime, with_metadata):
    _, arn = with_metadata
    got = related(runtime, arn, "i00", 30)
    assert set(got[:19]) == set(COMEDIES) - {"i00"}
    assert got[19:24] == NEW_COMEDIES
    assert set(got[24:]) <= set(DRAMAS)


def test_without_items_a_cold_item_gets_popular_items(personalize, runtime, wait, state_dir):
    _, arn = campaign(
        personalize,
        wait,
        state_dir,
        "similar-plain",
        [("Interactions", INTERACTIONS, interactions_csv())],
    )
    assert related(runtime, arn, "n00", 2) == ["i00", "i20"]


@pytest.mark.parametrize("with_items", [True, False])
def test_ranking_v2_ranks_cold_items_by_their_metadata(
    personalize, runtime, wait, state_dir, with_items
):
    datasets = [("Interactions", INTERACTIONS, interactions_csv())]
    if with_items:
        datasets.append(("Items", ITEMS_SCHEMA, items_csv()))
    name = f"rank-v2-{'meta' if with_items else 'plain'}"
    _, arn = campaign(personalize, wait, state_dir, name, datasets, "aws-personalized-ranking-v2")
    got = runtime.get_personalized_ranking(
        campaignArn=arn, userId="c000", inputList=["i25", "n07", "n00", "i05"]
    )["personalizedRanking"]
    order = [i["itemId"] for i in got]
    scored = [i["itemId"] for i in got if "score" in i]
    if with_items:
        assert set(order[:2]) == {"n00", "i05"} and set(order[2:]) == {"i25", "n07"}
        assert scored == order
    else:
        assert order == ["i05", "i25", "n07", "n00"]
        assert scored == ["i05", "i25"]


def test_user_personalization_v2_recommends_cold_items_of_the_users_genre(
    personalize, runtime, wait, state_dir
):
    datasets = [
        ("Interactions", INTERACTIONS, interactions_csv()),
        ("Items", ITEMS_SCHEMA, items_csv()),
    ]
    _, arn = campaign(
        personalize, wait, state_dir, "up-v2-meta", datasets, "aws-user-personalization-v2"
    )
    for user, new, other in (
        ("c000", NEW_COMEDIES, NEW_DRAMAS),
        ("d000", NEW_DRAMAS, NEW_COMEDIES),
    ):
        got = runtime.get_recommendations(campaignArn=arn, userId=user, numResults=25)
        ids = {i["itemId"] for i in got["itemList"]}
        assert set(new) <= ids and not set(other) & ids


USERS_SCHEMA = record(
    "Users",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "TASTE", "type": "string", "categorical": True},
    ],
)


def users_csv() -> bytes:
    """The fans' tastes, plus x000 (comedy) and y000 (drama), who never interacted."""
    rows = [[u, "comedy"] for u in sorted(COMEDY_FANS) + ["x000"]]
    rows += [[u, "drama"] for u in sorted(DRAMA_FANS) + ["y000"]]
    return as_csv(["USER_ID", "TASTE"], rows)


def test_user_personalization_v2_serves_new_users_by_their_metadata(
    personalize, runtime, wait, state_dir
):
    datasets = [
        ("Interactions", INTERACTIONS, interactions_csv()),
        ("Users", USERS_SCHEMA, users_csv()),
    ]
    _, arn = campaign(
        personalize, wait, state_dir, "up-v2-users", datasets, "aws-user-personalization-v2"
    )

    def top(user):
        got = runtime.get_recommendations(campaignArn=arn, userId=user, numResults=10)
        return {i["itemId"] for i in got["itemList"]}

    assert top("x000") <= set(COMEDIES)
    assert top("y000") <= set(DRAMAS)
    assert top("nobody") & set(COMEDIES) and top("nobody") & set(DRAMAS)  # popular items
