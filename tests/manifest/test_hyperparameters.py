"""``validate`` checks each solution's hyperparameters against its recipe's table
(``rules/hyperparameters.py``): every problem in one run, with file:line:col and a fix.
"""

from __future__ import annotations

from shop_files import write_shop

SOLUTIONS = (
    "solutions:\n"
    "  shop-solution:\n"
    "    recipe: aws-user-personalization\n"
    "    solutionConfig:\n"
    "      algorithmHyperParameters:\n"
    "        hiden_dimension: '64'\n"
    "        hidden_dimension: '16'\n"
    "        bptt: 'ten'\n"
    "        recency_mask: 'yes'\n"
    "        exploration_weight: '0.3'\n"
    "      hpoConfig:\n"
    "        algorithmHyperParameterRanges:\n"
    "          integerHyperParameterRanges:\n"
    "            - {name: bptt, minValue: 30, maxValue: 20}\n"
    "          categoricalHyperParameterRanges:\n"
    "            - {name: recency_mask, values: ['true', 'maybe']}\n"
    "  related:\n"
    "    recipe: aws-sims\n"
    "    performHPO: true\n"
    "    solutionConfig:\n"
    "      algorithmHyperParameters: {colour: blue}\n"
    "      featureTransformationParameters: {min_hist_length_percentile: '0.01'}\n"
    "      hpoConfig:\n"
    "        algorithmHyperParameterRanges:\n"
    "          continuousHyperParameterRanges:\n"
    "            - {name: popularity_discount_factor, minValue: 0.2, maxValue: 1.5}\n"
    "            - {name: max_item_interaction_count_percentile, minValue: 0.5, maxValue: 0.9}\n"
    "          integerHyperParameterRanges:\n"
    "            - {name: popularity_discount_factor, minValue: 0, maxValue: 1}\n"
    "  popular:\n"
    "    recipe: aws-popularity-count\n"
    "    solutionConfig:\n"
    "      algorithmHyperParameters: {hidden_dimension: '64'}\n"
    "  trending:\n"
    "    recipe: aws-trending-now\n"
    "    solutionConfig:\n"
    "      featureTransformationParameters: {trend_discovery_frequency: '2 days'}\n"
    "  actions:\n"
    "    recipe: aws-next-best-action\n"
    "    solutionConfig:\n"
    "      featureTransformationParameters: {action_optimization_period: '30'}\n"
    "      hpoConfig:\n"
    "        algorithmHyperParameterRanges:\n"
    "          integerHyperParameterRanges:\n"
    "            - {name: action_optimization_period, minValue: 7, maxValue: 14}\n"
    "  similar:\n"
    "    recipe: aws-similar-items\n"
    "    solutionConfig:\n"
    "      algorithmHyperParameters: {item_id_hidden_dimension: '100'}\n"
    "  v2:\n"
    "    recipe: aws-user-personalization-v2\n"
    "    solutionConfig:\n"
    "      algorithmHyperParameters: {apply_recency_bias: 'False', hidden_dimension: '2000'}\n"
)

EXPECTED = (
    "shop.yaml:23:9  solutions.shop-solution.solutionConfig.algorithmHyperParameters.hiden_dimension: aws-user-personalization has no hyperparameter 'hiden_dimension'\n"
    "    hint: did you mean 'hidden_dimension'?\n"
    "shop.yaml:24:27  solutions.shop-solution.solutionConfig.algorithmHyperParameters.hidden_dimension: hidden_dimension must be between 32 and 256, not '16'\n"
    "    hint: the service's range for aws-user-personalization (default 149)\n"
    "shop.yaml:25:15  solutions.shop-solution.solutionConfig.algorithmHyperParameters.bptt: bptt must be a whole number written as a string, not 'ten'\n"
    "    hint: for example '32'\n"
    "shop.yaml:26:23  solutions.shop-solution.solutionConfig.algorithmHyperParameters.recency_mask: recency_mask must be 'true' or 'false', not 'yes'\n"
    "shop.yaml:27:9  solutions.shop-solution.solutionConfig.algorithmHyperParameters.exploration_weight: exploration_weight is deprecated as a hyperparameter of aws-user-personalization\n"
    "    hint: set campaignConfig.itemExplorationConfig.explorationWeight on the campaign instead\n"
    "shop.yaml:29:9  solutions.shop-solution.solutionConfig.hpoConfig.algorithmHyperParameterRanges: hyperparameter ranges are given but performHPO is false, so the service would not tune them\n"
    "    hint: set performHPO: true, or remove hpoConfig.algorithmHyperParameterRanges\n"
    "shop.yaml:31:38  solutions.shop-solution.solutionConfig.hpoConfig.algorithmHyperParameterRanges.integerHyperParameterRanges[0].minValue: the range of bptt has minValue 30 above maxValue 20\n"
    "    hint: swap minValue and maxValue\n"
    "shop.yaml:33:53  solutions.shop-solution.solutionConfig.hpoConfig.algorithmHyperParameterRanges.categoricalHyperParameterRanges[0].values[1]: recency_mask must be 'true' or 'false', not 'maybe'\n"
    "shop.yaml:38:34  solutions.related.solutionConfig.algorithmHyperParameters.colour: aws-sims has no hyperparameter 'colour'\n"
    "    hint: aws-sims takes popularity_discount_factor, min_cointeraction_count, min_user_history_length_percentile, max_user_history_length_percentile, min_item_interaction_count_percentile, max_item_interaction_count_percentile\n"
    "shop.yaml:43:75  solutions.related.solutionConfig.hpoConfig.algorithmHyperParameterRanges.continuousHyperParameterRanges[0].maxValue: maxValue of popularity_discount_factor must be between 0 and 1, not 1.5\n"
    "    hint: the service's range for aws-sims (default 0.5)\n"
    "shop.yaml:44:22  solutions.related.solutionConfig.hpoConfig.algorithmHyperParameterRanges.continuousHyperParameterRanges[1].name: max_item_interaction_count_percentile cannot be tuned by HPO on aws-sims\n"
    "    hint: give it one fixed value instead, or leave it out\n"
    "shop.yaml:46:22  solutions.related.solutionConfig.hpoConfig.algorithmHyperParameterRanges.integerHyperParameterRanges[0].name: popularity_discount_factor is a continuous hyperparameter, so its range belongs under continuousHyperParameterRanges\n"
    "    hint: move this entry to continuousHyperParameterRanges\n"
    "shop.yaml:50:34  solutions.popular.solutionConfig.algorithmHyperParameters.hidden_dimension: aws-popularity-count has no hyperparameters, so it cannot take 'hidden_dimension'\n"
    "    hint: remove it\n"
    "shop.yaml:54:68  solutions.trending.solutionConfig.featureTransformationParameters.trend_discovery_frequency: trend_discovery_frequency must be one of '30 minutes', '1 hour', '2 hours', '3 hours', '1 day', not '2 days'\n"
    "shop.yaml:56:13  solutions.actions.recipe: recipe aws-next-best-action trains on an Action_Interactions dataset, and the manifest declares none\n"
    "    hint: add datasets.Action_Interactions\n"
    "shop.yaml:56:13  solutions.actions.recipe: recipe aws-next-best-action trains on an Actions dataset, and the manifest declares none\n"
    "    hint: add datasets.Actions\n"
    "shop.yaml:58:69  solutions.actions.solutionConfig.featureTransformationParameters.action_optimization_period: action_optimization_period must be between 7 and 28, not '30'\n"
    "    hint: the service's range for aws-next-best-action (default 14)\n"
    "shop.yaml:60:9  solutions.actions.solutionConfig.hpoConfig.algorithmHyperParameterRanges: aws-next-best-action does not support hyperparameter optimisation\n"
    "    hint: remove hpoConfig.algorithmHyperParameterRanges\n"
    "shop.yaml:66:34  solutions.similar.solutionConfig.algorithmHyperParameters.item_id_hidden_dimension: item_id_hidden_dimension is only set through HPO on aws-similar-items\n"
    "    hint: set performHPO: true and give it a range under hpoConfig.algorithmHyperParameterRanges.integerHyperParameterRanges\n"
    "shop.yaml:70:81  solutions.v2.solutionConfig.algorithmHyperParameters.hidden_dimension: hidden_dimension must be between 1 and 1024, not '2000'\n"
    "    hint: the local target's range for aws-user-personalization-v2\n"
)


def test_every_hyperparameter_problem_in_one_run(tmp_path, cli):
    write_shop(
        tmp_path,
        [("solutions:\n  shop-solution:\n    recipe: aws-user-personalization-v2\n", SOLUTIONS)],
    )
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert (result.code, result.out) == (1, "")
    assert result.err == EXPECTED + "\n20 problems found in shop.yaml.\n"


def test_aliases_number_spellings_defaults_and_local_knobs_are_valid(tmp_path, cli):
    write_shop(
        tmp_path,
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n"
                "    solutionConfig:\n"
                "      algorithmHyperParameters:\n"
                "        apply_recency_bias: 'TRUE'\n"
                "        hidden_dimension: '6.4e1'\n"
                "        iterations: '5'\n"
                "        random_seed: '7'\n"
                "  related:\n"
                "    recipe: aws-sims\n"
                "    performHPO: true\n"
                "    solutionConfig:\n"
                "      featureTransformationParameters: {min_hist_length_percentile: '0.01'}\n"
                "      hpoConfig:\n"
                "        algorithmHyperParameterRanges:\n"
                "          integerHyperParameterRanges:\n"
                "            - {name: min_cointeraction_count, minValue: 1, maxValue: 10}\n"
                "  trending:\n"
                "    recipe: aws-trending-now\n"
                "    solutionConfig:\n"
                "      featureTransformationParameters: {trend_discovery_frequency: 1h}\n",
            )
        ],
    )
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")


def test_local_knobs_are_refused_for_the_aws_target(tmp_path, cli):
    write_shop(
        tmp_path,
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n"
                "    solutionConfig:\n"
                "      algorithmHyperParameters: {apply_recency_bias: 'false', iterations: '5'}\n",
            )
        ],
    )
    assert cli("validate", "shop.yaml", cwd=tmp_path).code == 0
    result = cli("plan", "shop.yaml", "--target", "aws", cwd=tmp_path)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "shop.yaml:22:63  solutions.shop-solution.solutionConfig.algorithmHyperParameters."
        "iterations: iterations is read by the local target only; Amazon Personalize does not "
        "document it for aws-user-personalization-v2\n"
        "    hint: remove it from a manifest for --target aws\n"
        "\n1 problem found in shop.yaml; nothing was changed.\n"
    )
