"""No false diffs from hyperparameters: an alias, another number spelling or a default the
service fills in plans as no change (``rules/hyperparameters.py``, used by
``resources/solution.py`` on both sides of the diff).
"""

from __future__ import annotations

from edits import replaced
from engine_helpers import actions, four_runs, plan_json

from personalize_reconcile.backends.target import open_target

SOLUTION = "    recipe: aws-user-personalization-v2\n    performAutoTraining: false\n"
CANONICAL = (
    "    recipe: aws-sims\n"
    "    performAutoTraining: false\n"
    "    solutionConfig:\n"
    "      algorithmHyperParameters: {min_cointeraction_count: '1'}\n"
    "      featureTransformationParameters: {min_user_history_length_percentile: '0.01'}\n"
)
ALIASED = (
    "    recipe: aws-sims\n"
    "    performAutoTraining: false\n"
    "    solutionConfig:\n"
    "      algorithmHyperParameters:\n"
    "        min_cointeraction_count: '1.0'\n"
    "        popularity_discount_factor: '0.50'\n"
    "      featureTransformationParameters:\n"
    "        min_hist_length_percentile: '1e-2'\n"
    "        max_user_history_length_percentile: '0.995'\n"
)


def test_a_manifest_with_an_alias_passes_the_four_runs(pc, workshop, state):
    workshop.write_text(replaced(workshop.read_text(), SOLUTION, ALIASED))
    four_runs(pc, 7)
    # what was sent: the canonical names and numbers, and no defaults
    personalize = open_target("local", state_dir=state).personalize
    arn = personalize.list_solutions()["solutions"][0]["solutionArn"]
    assert personalize.describe_solution(solutionArn=arn)["solution"]["solutionConfig"] == {
        "algorithmHyperParameters": {"min_cointeraction_count": "1"},
        "featureTransformationParameters": {"min_user_history_length_percentile": "0.01"},
    }


def test_live_spellings_and_filled_in_defaults_plan_no_change(pc, workshop, state):
    text = workshop.read_text()
    groundwork, _, _ = text.partition("solutions:\n")
    workshop.write_text(groundwork)
    assert pc("apply", "--auto-approve").code == 0
    personalize = open_target("local", state_dir=state).personalize
    group = personalize.list_dataset_groups()["datasetGroups"][0]["datasetGroupArn"]
    personalize.create_solution(
        name="segment-workshop-solution",
        datasetGroupArn=group,
        recipeArn="arn:aws:personalize:::recipe/aws-sims",
        performAutoTraining=False,
        # the manifest's own, so only the spellings are compared, not who owns it
        tags=[{"tagKey": "preconcile:manifest", "tagValue": "segment-workshop"}],
        solutionConfig={
            "algorithmHyperParameters": {
                "min_cointeraction_count": "1e0",  # another number spelling
                "popularity_discount_factor": "0.5",  # the default, filled in
            },
            "featureTransformationParameters": {
                "min_hist_length_percentile": "0.010",  # the short name, another spelling
                "max_user_history_length_percentile": "0.995",  # the default
                "min_item_interaction_count_percentile": "0.01",  # the default
            },
        },
    )
    workshop.write_text(replaced(text, SOLUTION, CANONICAL))
    doc = plan_json(pc)
    assert actions(doc) == {
        "dataset_group.segment-workshop": "no-op",
        "schema.segment-workshop-interactions": "no-op",
        "dataset.Interactions": "no-op",
        "import.segment-workshop-interactions": "no-op",
        "solution.segment-workshop-solution": "no-op",
        "solution_version.segment-workshop-solution": "create",
        "campaign.segment-workshop-campaign": "create",
    }
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.err
    again = pc("plan", "--detailed-exitcode")
    assert (again.code, again.out.startswith("No changes.")) == (0, True), again.out
