"""CreateSolution on the local target refuses the hyperparameters ``validate`` refuses
(``rules/hyperparameters.py``), with InvalidInputException naming the key, through boto3.
"""

from __future__ import annotations

import pytest
from schemas import INTERACTIONS

R = "arn:aws:personalize:::recipe/"


@pytest.fixture
def group(personalize) -> str:
    g = personalize.create_dataset_group(name="g")["datasetGroupArn"]
    s = personalize.create_schema(name="s", schema=INTERACTIONS)["schemaArn"]
    personalize.create_dataset(name="d", datasetGroupArn=g, datasetType="Interactions", schemaArn=s)
    return g


def _ranges(**lists) -> dict:
    return {"hpoConfig": {"algorithmHyperParameterRanges": lists}}


REFUSED = {
    "unknown-with-did-you-mean": (
        "aws-user-personalization",
        False,
        {"algorithmHyperParameters": {"hiden_dimension": "64"}},
        "Invalid solutionConfig.algorithmHyperParameters.hiden_dimension: "
        "aws-user-personalization has no hyperparameter 'hiden_dimension'. "
        "Did you mean 'hidden_dimension'?",
    ),
    "unknown-on-a-recipe-without-any": (
        "aws-popularity-count",
        False,
        {"algorithmHyperParameters": {"hidden_dimension": "64"}},
        "Invalid solutionConfig.algorithmHyperParameters.hidden_dimension: "
        "aws-popularity-count has no hyperparameters, so it cannot take 'hidden_dimension'. "
        "Remove it.",
    ),
    "not-a-number": (
        "aws-sims",
        False,
        {"algorithmHyperParameters": {"popularity_discount_factor": "half"}},
        "Invalid solutionConfig.algorithmHyperParameters.popularity_discount_factor: "
        "popularity_discount_factor must be a number written as a string, not 'half'. "
        "For example '0.5'.",
    ),
    "outside-the-range": (
        "aws-personalized-ranking",
        False,
        {"algorithmHyperParameters": {"bptt": "64"}},
        "Invalid solutionConfig.algorithmHyperParameters.bptt: bptt must be between 2 and "
        "32, not '64'. The service's range for aws-personalized-ranking (default 32).",
    ),
    "deprecated": (
        "aws-user-personalization",
        False,
        {"algorithmHyperParameters": {"exploration_item_age_cut_off": "10"}},
        "Invalid solutionConfig.algorithmHyperParameters.exploration_item_age_cut_off: "
        "exploration_item_age_cut_off is deprecated as a hyperparameter of "
        "aws-user-personalization. Set campaignConfig.itemExplorationConfig."
        "explorationItemAgeCutOff on the campaign instead.",
    ),
    "ranges-without-hpo": (
        "aws-user-personalization",
        False,
        _ranges(integerHyperParameterRanges=[{"name": "bptt", "minValue": 8, "maxValue": 16}]),
        "Invalid solutionConfig.hpoConfig.algorithmHyperParameterRanges: hyperparameter "
        "ranges are given but performHPO is false, so the service would not tune them. "
        "Set performHPO: true, or remove hpoConfig.algorithmHyperParameterRanges.",
    ),
    "min-above-max": (
        "aws-user-personalization",
        True,
        _ranges(integerHyperParameterRanges=[{"name": "bptt", "minValue": 16, "maxValue": 8}]),
        "Invalid solutionConfig.hpoConfig.algorithmHyperParameterRanges."
        "integerHyperParameterRanges[0].minValue: the range of bptt has minValue 16 above "
        "maxValue 8. Swap minValue and maxValue.",
    ),
    "not-tunable": (
        "aws-user-personalization-v2",
        True,
        _ranges(categoricalHyperParameterRanges=[{"name": "apply_recency_bias", "values": []}]),
        "Invalid solutionConfig.hpoConfig.algorithmHyperParameterRanges."
        "categoricalHyperParameterRanges[0].name: apply_recency_bias cannot be tuned by "
        "HPO on aws-user-personalization-v2. Give it one fixed value instead, or leave it out.",
    ),
    "not-a-trend-frequency": (
        "aws-trending-now",
        False,
        {"featureTransformationParameters": {"trend_discovery_frequency": "2 days"}},
        "Invalid solutionConfig.featureTransformationParameters.trend_discovery_frequency: "
        "trend_discovery_frequency must be one of '30 minutes', '1 hour', '2 hours', "
        "'3 hours', '1 day', not '2 days'.",
    ),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_create_solution_refuses_bad_hyperparameters(case, personalize, group, expect_error):
    recipe, hpo, config, message = REFUSED[case]
    expect_error(
        lambda: personalize.create_solution(
            name="h",
            datasetGroupArn=group,
            recipeArn=R + recipe,
            performHPO=hpo,
            solutionConfig=config,
        ),
        "InvalidInputException",
        message,
    )
    assert personalize.list_solutions(datasetGroupArn=group)["solutions"] == []


def test_aliases_and_local_knobs_are_accepted_and_stored_as_given(personalize, group):
    config = {
        "featureTransformationParameters": {"min_hist_length_percentile": "0.01"},
        "algorithmHyperParameters": {"min_cointeraction_count": "1e1"},
    }
    arn = personalize.create_solution(
        name="sims",
        datasetGroupArn=group,
        recipeArn=R + "aws-sims",
        performAutoTraining=False,
        solutionConfig=config,
    )["solutionArn"]
    assert personalize.describe_solution(solutionArn=arn)["solution"]["solutionConfig"] == config
    local = {"algorithmHyperParameters": {"iterations": "3", "hidden_dimension": "8"}}
    arn = personalize.create_solution(
        name="v2",
        datasetGroupArn=group,
        recipeArn=R + "aws-user-personalization-v2",
        performAutoTraining=False,
        solutionConfig=local,
    )["solutionArn"]
    assert personalize.describe_solution(solutionArn=arn)["solution"]["solutionConfig"] == local
