"""The catalogue operations through boto3: DescribeRecipe names the recipe's algorithm and
feature transformation, and DescribeAlgorithm / DescribeFeatureTransformation answer the
documented defaults and HPO ranges of ``rules.hyperparameters`` (local extensions left
out)."""

from __future__ import annotations

ALGO = "arn:aws:personalize:::algorithm/"
FT = "arn:aws:personalize:::feature-transformation/"


def test_user_personalization_algorithm_and_featurization(personalize):
    recipe = personalize.describe_recipe(
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization"
    )["recipe"]
    assert recipe["algorithmArn"] == ALGO + "aws-user-personalization"
    assert recipe["featureTransformationArn"] == FT + "aws-user-personalization"
    algo = personalize.describe_algorithm(algorithmArn=recipe["algorithmArn"])["algorithm"]
    assert algo["name"] == "aws-user-personalization"
    assert algo["defaultHyperParameters"] == {
        "hidden_dimension": "149",
        "bptt": "32",
        "recency_mask": "true",
    }
    ranges = algo["defaultHyperParameterRanges"]
    assert ranges["integerHyperParameterRanges"] == [
        {"name": "hidden_dimension", "minValue": 32, "maxValue": 256, "isTunable": True},
        {"name": "bptt", "minValue": 2, "maxValue": 32, "isTunable": True},
    ]
    assert ranges["categoricalHyperParameterRanges"] == [
        {"name": "recency_mask", "values": ["true", "false"], "isTunable": True}
    ]
    ft = personalize.describe_feature_transformation(
        featureTransformationArn=recipe["featureTransformationArn"]
    )["featureTransformation"]
    assert ft["defaultParameters"] == {
        "min_user_history_length_percentile": "0",
        "max_user_history_length_percentile": "0.99",
    }
    assert ft["status"] == "ACTIVE"


def test_local_extensions_are_not_the_services(personalize):
    algo = personalize.describe_algorithm(algorithmArn=ALGO + "aws-user-personalization-v2")
    names = [
        r["name"]
        for group in algo["algorithm"]["defaultHyperParameterRanges"].values()
        for r in group
    ]
    assert "iterations" not in names and "alpha" not in names
    assert algo["algorithm"]["defaultHyperParameters"] == {"apply_recency_bias": "true"}


def test_trending_now_featurization_and_popularity_without_any(personalize, expect_error):
    ft = personalize.describe_feature_transformation(
        featureTransformationArn=FT + "aws-trending-now"
    )
    assert ft["featureTransformation"]["defaultParameters"] == {
        "trend_discovery_frequency": "2 hours"
    }
    recipe = personalize.describe_recipe(
        recipeArn="arn:aws:personalize:::recipe/aws-popularity-count"
    )["recipe"]
    assert "featureTransformationArn" not in recipe
    expect_error(
        lambda: personalize.describe_feature_transformation(
            featureTransformationArn=FT + "aws-popularity-count"
        ),
        "ResourceNotFoundException",
        f"Resource Arn {FT}aws-popularity-count does not exist.",
    )


def test_unknown_and_retired_algorithms_are_not_found(personalize, expect_error):
    for name in ("aws-nothing", "aws-hrnn"):
        expect_error(
            lambda name=name: personalize.describe_algorithm(algorithmArn=ALGO + name),
            "ResourceNotFoundException",
            f"Resource Arn {ALGO}{name} does not exist.",
        )
