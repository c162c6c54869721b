"""Drift: a field changed outside preconcile shows in plan as an update with before and
after, and ``ignoreChanges`` makes plan leave it alone (issue 14), through the CLI on the
local target, with the outside change made through boto3."""

from __future__ import annotations

import json

from edits import replaced
from engine_helpers import plan_json

from personalize_reconcile.backends.local import local_client

CAMPAIGN = "arn:aws:personalize:us-east-1:000000000000:campaign/segment-workshop-campaign"
DRIFT = (
    "minProvisionedTPS changed outside preconcile, or in the manifest since the last apply: "
    "the live value differs from what the manifest says"
)


def _campaign(state) -> dict:
    return local_client("personalize", state_dir=state).describe_campaign(campaignArn=CAMPAIGN)[
        "campaign"
    ]


def _tune_outside(state, tps: int) -> None:
    """What a capacity tool does: UpdateCampaign minProvisionedTPS, through boto3."""
    local_client("personalize", state_dir=state).update_campaign(
        campaignArn=CAMPAIGN, minProvisionedTPS=tps
    )


def test_a_change_outside_preconcile_shows_with_before_and_after(pc, state):
    assert pc("apply", "--auto-approve").code == 0
    _tune_outside(state, 4)
    doc = plan_json(pc)
    change = next(c for c in doc["resource_changes"] if c["type"] == "campaign")
    assert (change["actions"], change["reason"]) == (["update"], DRIFT)
    assert change["changes"] == [
        {"path": "minProvisionedTPS", "before": 4, "after": 1, "forces_replacement": False}
    ]
    shown = pc("plan", "--detailed-exitcode")
    assert shown.code == 2
    assert (
        f"    ~ campaign.segment-workshop-campaign will be updated in place: {DRIFT}\n"
        "      ~ minProvisionedTPS: 4 -> 1\n"
    ) in shown.out
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert _campaign(state)["minProvisionedTPS"] == 1
    assert pc("plan", "--detailed-exitcode").code == 0


def test_ignore_changes_leaves_the_field_alone_in_plan_and_apply(pc, workshop, state):
    text = replaced(
        workshop.read_text(),
        "    minProvisionedTPS: 1",
        "    minProvisionedTPS: 1\n    ignoreChanges: [minProvisionedTPS]",
    )
    workshop.write_text(text)
    assert pc("apply", "--auto-approve").code == 0
    assert _campaign(state)["minProvisionedTPS"] == 1  # used when creating
    _tune_outside(state, 4)
    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert again.out.startswith("No changes.")

    # another field of the campaign changes: the update leaves minProvisionedTPS as it is
    workshop.write_text(
        text.replace(
            "    ignoreChanges: [minProvisionedTPS]",
            "    ignoreChanges: [minProvisionedTPS]\n"
            "    campaignConfig: {enableMetadataWithRecommendations: true}",
        )
    )
    doc = plan_json(pc)
    change = next(c for c in doc["resource_changes"] if c["type"] == "campaign")
    assert change["changes"] == [
        {
            "path": "campaignConfig",
            "before": None,
            "after": {"enableMetadataWithRecommendations": True},
            "forces_replacement": False,
        }
    ]
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    live = _campaign(state)
    assert live["minProvisionedTPS"] == 4
    assert live["campaignConfig"]["enableMetadataWithRecommendations"] is True
    assert pc("plan", "--detailed-exitcode").code == 0


def test_ignore_changes_on_tags_of_the_dataset_group(pc, workshop, state):
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "datasetGroup:\n  name: segment-workshop\n",
            "datasetGroup:\n  name: segment-workshop\n  ignoreChanges: [tags]\n",
        )
    )
    assert pc("apply", "--auto-approve").code == 0
    client = local_client("personalize", state_dir=state)
    group = "arn:aws:personalize:us-east-1:000000000000:dataset-group/segment-workshop"
    client.tag_resource(resourceArn=group, tags=[{"tagKey": "costCenter", "tagValue": "42"}])
    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def test_validate_checks_ignore_changes_names(cli, workshop):
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "    minProvisionedTPS: 1",
            "    minProvisionedTPS: 1\n    ignoreChanges: [minProvisionedTps, solution]",
        )
    )
    result = cli("validate", str(workshop))
    assert result.code == 1
    assert json.loads(cli("validate", str(workshop), "--json").out)["error_count"] == 2
    assert (
        "campaigns.segment-workshop-campaign.ignoreChanges[0]: 'minProvisionedTps' is not a "
        "field of a campaign\n"
    ) in result.err
    assert "hint: did you mean 'minProvisionedTPS'?" in result.err
    assert (
        "campaigns.segment-workshop-campaign.ignoreChanges[1]: 'solution' cannot be ignored: "
        "only fields the service changes in place can drift\n"
    ) in result.err
    assert "hint: ignoreChanges of a campaign takes minProvisionedTPS, campaignConfig, tags" in (
        result.err
    )


def test_ignore_changes_on_a_solution_leaves_auto_training_to_the_console(pc, workshop, state):
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "    performAutoTraining: false\n",
            "    performAutoTraining: false\n    ignoreChanges: [performAutoTraining]\n",
        )
    )
    assert pc("apply", "--auto-approve").code == 0
    client = local_client("personalize", state_dir=state)
    solution = "arn:aws:personalize:us-east-1:000000000000:solution/segment-workshop-solution"
    client.update_solution(solutionArn=solution, performAutoTraining=True)
    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert again.out.startswith("No changes.")

    workshop.write_text(
        workshop.read_text().replace("    ignoreChanges: [performAutoTraining]\n", "")
    )
    doc = plan_json(pc)
    change = next(c for c in doc["resource_changes"] if c["type"] == "solution")
    assert change["actions"] == ["update"]
    assert change["reason"] == (
        "autoTrainingConfig, performAutoTraining changed outside preconcile, or in the "
        "manifest since the last apply: the live value differs from what the manifest says"
    )
    assert [(c["path"], c["before"], c["after"]) for c in change["changes"]] == [
        ("autoTrainingConfig", {"schedulingExpression": "rate(7 days)"}, None),
        ("performAutoTraining", True, False),
    ]
