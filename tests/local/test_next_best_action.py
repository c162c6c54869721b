"""Next-Best-Action on the local target through boto3: Actions and Action_Interactions
datasets import, aws-next-best-action trains a propensity per user and action, and
GetActionRecommendations serves it.

Planted pattern (on the item interactions of ``planted_data``): comedy fans
``c000``-``c099`` took ``comedy-club``, drama fans ``d000``-``d099`` took
``drama-newsletter``. Fans ``c100``-``c149`` and ``d100``-``d149`` never took an action: the
model must still put their genre's action first, from their item interactions alone.
"""

from __future__ import annotations

import pytest
from personalize_steps import make_group
from planted_data import (
    ACTION_INTERACTIONS_SCHEMA,
    ACTIONS_SCHEMA,
    action_interactions_csv,
    actions_csv,
    as_csv,
    interactions_csv,
)
from schemas import INTERACTIONS


def train(personalize, wait, group, name):
    sol = personalize.create_solution(
        name=name,
        datasetGroupArn=group,
        performAutoTraining=False,
        recipeArn="arn:aws:personalize:::recipe/aws-next-best-action",
    )["solutionArn"]
    wait(lambda: personalize.describe_solution(solutionArn=sol), "solution")
    ver = personalize.create_solution_version(solutionArn=sol)["solutionVersionArn"]
    return wait(
        lambda: personalize.describe_solution_version(solutionVersionArn=ver), "solutionVersion"
    )


@pytest.fixture
def campaign(personalize, wait, state_dir):
    group = make_group(
        personalize,
        wait,
        state_dir,
        "nba",
        [
            ("Interactions", INTERACTIONS, interactions_csv()),
            ("Actions", ACTIONS_SCHEMA, actions_csv()),
            ("Action_Interactions", ACTION_INTERACTIONS_SCHEMA, action_interactions_csv()),
        ],
    )
    version = train(personalize, wait, group, "nba")
    assert version["status"] == "ACTIVE", version.get("failureReason")
    arn = personalize.create_campaign(
        name="nba", solutionVersionArn=version["solutionVersionArn"], minProvisionedTPS=1
    )["campaignArn"]
    done = wait(lambda: personalize.describe_campaign(campaignArn=arn), "campaign")
    assert done["status"] == "ACTIVE", done.get("failureReason")
    return version["solutionVersionArn"], arn


def ranked(runtime, campaign_arn, **params):
    got = runtime.get_action_recommendations(campaignArn=campaign_arn, **params)
    assert got["recommendationId"].startswith("RID-")
    return [(a["actionId"], a["score"]) for a in got["actionList"]]


def test_users_get_their_groups_action_first(runtime, campaign):
    _, arn = campaign
    for user, first, second in (
        ("c120", "comedy-club", "drama-newsletter"),
        ("d120", "drama-newsletter", "comedy-club"),
        ("c005", "comedy-club", "drama-newsletter"),
    ):
        actions = ranked(runtime, arn, userId=user)
        assert [a for a, _ in actions] == [first, second, "app-download"]
        assert actions[0][1] > 0.5 > actions[1][1] and actions[2][1] == 0.0


def test_unknown_users_get_the_share_of_users_who_took_each_action(runtime, campaign):
    _, arn = campaign
    expected = [("comedy-club", 0.333333), ("drama-newsletter", 0.333333), ("app-download", 0.0)]
    assert ranked(runtime, arn, userId="nobody") == expected
    assert ranked(runtime, arn) == expected
    assert ranked(runtime, arn, userId="nobody", numResults=1) == expected[:1]


def test_metrics_and_runtime_refusals(personalize, runtime, campaign, expect_error):
    version, arn = campaign
    metrics = personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
    # every held-out user who took an action finds it first: the pattern is found
    assert metrics == {
        "coverage": 1.0,
        "mean_reciprocal_rank_at_25": 1.0,
        "normalized_discounted_cumulative_gain_at_5": 0.9911,
        "normalized_discounted_cumulative_gain_at_10": 0.9911,
        "normalized_discounted_cumulative_gain_at_25": 0.9911,
        "precision_at_5": 0.2222,
        "precision_at_10": 0.1111,
        "precision_at_25": 0.0444,
    }
    expect_error(
        lambda: runtime.get_recommendations(campaignArn=arn, userId="c000"),
        "InvalidInputException",
        f"Campaign {arn} uses aws-next-best-action, a PERSONALIZED_ACTIONS recipe; call "
        "GetActionRecommendations instead.",
    )
    expect_error(
        lambda: runtime.get_action_recommendations(campaignArn=arn, numResults=101),
        "InvalidInputException",
        "1 validation error detected: Value '101' at 'numResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 100",
    )


@pytest.mark.parametrize(
    ("datasets", "reason"),
    [
        (
            [("Interactions", INTERACTIONS, interactions_csv())],
            "aws-next-best-action needs an Action_Interactions dataset with imported action "
            "interactions; create one and import them before training.",
        ),
        (
            [
                ("Interactions", INTERACTIONS, interactions_csv()),
                ("Action_Interactions", ACTION_INTERACTIONS_SCHEMA, action_interactions_csv()),
            ],
            "aws-next-best-action needs an Actions dataset with imported actions; create one "
            "and import actions before training.",
        ),
        (  # without Interactions the action interactions (less NOT_TAKEN) describe the
            # users and must meet the minimum-data rules: 210 TAKEN rows
            [
                ("Actions", ACTIONS_SCHEMA, actions_csv()),
                ("Action_Interactions", ACTION_INTERACTIONS_SCHEMA, action_interactions_csv()),
            ],
            "Insufficient data to train after filtering: 210 interactions (at least 1000 "
            "required); 10 users with 2 or more interactions (at least 25 required); 10 of "
            "200 users (5.00%) have 2 or more interactions (at least 1% required).",
        ),
    ],
)
def test_next_best_action_data_requirements(personalize, wait, state_dir, datasets, reason):
    group = make_group(personalize, wait, state_dir, "nba-short", datasets)
    version = train(personalize, wait, group, "nba-short")
    assert version["status"] == "CREATE FAILED"
    assert version["failureReason"] == reason


def test_without_interactions_users_are_described_by_their_action_interactions(
    personalize, runtime, wait, state_dir
):
    rows = []
    for n in range(150):
        for fans, own, other in (
            ("c", "comedy-club", "drama-newsletter"),
            ("d", "drama-newsletter", "comedy-club"),
        ):
            user = f"{fans}{n:03d}"
            rows += [
                [user, own, "TAKEN", 1_700_500_000 + n],
                [user, own, "VIEWED", 1_700_400_000 + n],
                [user, own, "VIEWED", 1_700_450_000 + n],
                [user, other, "NOT_TAKEN", 1_700_500_000 + n],
                [user, other, "VIEWED", 1_700_300_000 + n],
            ]
    taken = as_csv(["USER_ID", "ACTION_ID", "EVENT_TYPE", "TIMESTAMP"], rows)
    group = make_group(
        personalize,
        wait,
        state_dir,
        "nba-actions-only",
        [
            ("Actions", ACTIONS_SCHEMA, actions_csv()),
            ("Action_Interactions", ACTION_INTERACTIONS_SCHEMA, taken),
        ],
    )
    version = train(personalize, wait, group, "nba-actions-only")
    assert version["status"] == "ACTIVE", version.get("failureReason")
    arn = personalize.create_campaign(
        name="nba-actions-only", solutionVersionArn=version["solutionVersionArn"]
    )["campaignArn"]
    wait(lambda: personalize.describe_campaign(campaignArn=arn), "campaign")
    assert [a for a, _ in ranked(runtime, arn, userId="c120")][:2] == [
        "comedy-club",
        "drama-newsletter",
    ]
    assert [a for a, _ in ranked(runtime, arn, userId="d120")][:2] == [
        "drama-newsletter",
        "comedy-club",
    ]
