"""Training, metrics and serving end to end through unmodified boto3 clients on the local
target: the Segment workshop interactions (``tests/data/segment-workshop``), four
recipes, the minimum-data failure, and UpdateCampaign switching the served version.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from personalize_steps import TIMEOUT, WORKSHOP, Group, workshop_facts, workshop_with_renamed_items

from personalize_reconcile.local.training.metrics import METRIC_NAMES


@pytest.fixture
def workshop(personalize, wait, state_dir):
    schema = (WORKSHOP / "interactions.avsc").read_text()
    return Group(personalize, wait, state_dir, WORKSHOP / "interactions.csv", schema)


def test_workshop_four_recipes_train_report_metrics_and_serve(workshop, personalize, runtime):
    rows, popular = workshop_facts()
    items = {r["ITEM_ID"] for r in rows}
    known_user = rows[0]["USER_ID"]
    for recipe, scored in (
        ("aws-user-personalization-v2", True),
        ("aws-popularity-count", False),
        ("aws-sims", False),
        ("aws-trending-now", True),
    ):
        short = recipe.removeprefix("aws-")
        version = workshop.version(f"ws-{short}", recipe)
        assert version["status"] == "ACTIVE", version.get("failureReason")
        metrics = personalize.get_solution_metrics(
            solutionVersionArn=version["solutionVersionArn"]
        )["metrics"]
        extra = {"trend_prediction_accuracy"} if recipe == "aws-trending-now" else set()
        assert set(metrics) == set(METRIC_NAMES) | extra
        assert 0 < metrics["coverage"] <= 1
        assert 0 < metrics["normalized_discounted_cumulative_gain_at_25"] <= 1
        campaign = workshop.campaign(f"ws-{short}-campaign", version["solutionVersionArn"])

        if recipe == "aws-sims":
            args = {"itemId": rows[0]["ITEM_ID"]}
        else:
            args = {"userId": known_user}
        out = runtime.get_recommendations(campaignArn=campaign, **args)
        ids = [i["itemId"] for i in out["itemList"]]
        assert len(ids) == 25 and len(set(ids)) == 25, recipe
        assert set(ids) <= items
        assert out["recommendationId"].startswith("RID-")
        assert all(("score" in i) is scored for i in out["itemList"]), recipe

        if recipe == "aws-sims":
            made_up = runtime.get_recommendations(campaignArn=campaign, itemId="made-up-item")
        else:
            made_up = runtime.get_recommendations(campaignArn=campaign, userId="made-up-user")
        made_up_ids = [i["itemId"] for i in made_up["itemList"]]
        if recipe == "aws-trending-now":
            assert made_up_ids == ids  # the same trending list for everyone
        else:
            assert made_up_ids == popular[:25], recipe


def test_update_campaign_serves_the_new_version_once_active(
    workshop, personalize, runtime, wait, state_dir, tmp_path
):
    """Version 2 of the same solution is trained on re-imported data whose item ids carry a
    ``v2-`` prefix; the campaign serves version 1 until its update is ACTIVE."""
    v1 = workshop.version("ws-up", "aws-user-personalization-v2")
    campaign = workshop.campaign("ws-moving", v1["solutionVersionArn"])
    user = workshop_facts()[0][0]["USER_ID"]

    def served():
        out = runtime.get_recommendations(campaignArn=campaign, userId=user)["itemList"]
        assert len(out) == 25  # the default numResults: any()/all() below see every item
        return [i["itemId"] for i in out]

    assert not any(s.startswith("v2-") for s in served())
    renamed = workshop_with_renamed_items(tmp_path / "v2.csv", "v2-")
    workshop.reimport(state_dir, renamed, "v2")
    v2 = workshop.new_version(v1["solutionArn"])
    assert v2["status"] == "ACTIVE", v2.get("failureReason")
    assert not any(s.startswith("v2-") for s in served())  # still version 1
    personalize.update_campaign(campaignArn=campaign, solutionVersionArn=v2["solutionVersionArn"])

    def settled():
        got = personalize.describe_campaign(campaignArn=campaign)["campaign"]
        return {"campaign": {"status": got.get("latestCampaignUpdate", {}).get("status")}}

    wait(settled, "campaign", timeout=TIMEOUT)
    assert (
        personalize.describe_campaign(campaignArn=campaign)["campaign"]["solutionVersionArn"]
        == v2["solutionVersionArn"]
    )
    assert all(s.startswith("v2-") for s in served())


def _shortfall_csv(path: Path) -> Path:
    """1500 rows (an import needs >= 1000): 999 'purchase' events from 333 users (3 each)
    and 501 'view' events from 167 other users."""
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"])
        t = 1_600_000_000
        for u in range(333):
            for k in range(3):
                w.writerow([f"p{u}", f"item{(u + k) % 40}", "purchase", t + u * 10 + k])
        for u in range(167):
            for k in range(3):
                w.writerow([f"v{u}", f"item{(u + k) % 40}", "view", t + u * 10 + k])
    return path


def test_999_interactions_after_event_type_filter_fail_training(
    personalize, wait, state_dir, tmp_path
):
    """Import jobs need >= 1000 records, so the shortfall comes from the solution's
    eventType: 1500 rows are imported and 999 of them are 'purchase' events."""
    schema = (WORKSHOP / "interactions.avsc").read_text()
    group = Group(
        personalize, wait, state_dir, _shortfall_csv(tmp_path / "few.csv"), schema, name="few"
    )
    version = group.version("few-purchases", "aws-user-personalization-v2", eventType="purchase")
    assert version["status"] == "CREATE FAILED"
    assert version["failureReason"] == (
        "Insufficient data to train after filtering: 999 interactions (at least 1000 "
        "required); 333 users with 2 or more interactions (at least 25 required); 333 of "
        "333 users (100.00%) have 2 or more interactions (at least 1% required)."
    )
    # the same data trains when nothing is filtered out
    assert group.version("few-all", "aws-popularity-count")["status"] == "ACTIVE"


def test_exact_duplicates_do_not_count_towards_the_minimum(personalize, wait, state_dir, tmp_path):
    """1010 rows of which 10 repeat an earlier row exactly: 1000 imported records, 1000
    distinct interactions would train, but 990 distinct purchases do not."""
    path = tmp_path / "dups.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"])
        rows = [[f"p{u}", f"item{(u + k) % 40}", "purchase", 1_600_000_000 + u * 10 + k]
                for u in range(330) for k in range(3)]  # fmt: skip
        rows += rows[:10] + [[f"v{u}", "item1", "view", 1_600_000_000 + u] for u in range(10)]
        w.writerows(rows)
    schema = (WORKSHOP / "interactions.avsc").read_text()
    group = Group(personalize, wait, state_dir, path, schema, name="dups")
    version = group.version("dups-purchases", "aws-user-personalization-v2", eventType="purchase")
    assert version["status"] == "CREATE FAILED"
    assert version["failureReason"] == (
        "Insufficient data to train after filtering: 990 interactions (at least 1000 "
        "required; 10 exact duplicate rows not counted); 330 users with 2 or more "
        "interactions (at least 25 required); 330 of 330 users (100.00%) have 2 or more "
        "interactions (at least 1% required)."
    )


def test_an_event_type_absent_from_the_data_fails_training_naming_the_types(
    personalize, wait, state_dir, tmp_path
):
    schema = (WORKSHOP / "interactions.avsc").read_text()
    group = Group(
        personalize, wait, state_dir, _shortfall_csv(tmp_path / "few.csv"), schema, name="typo"
    )
    version = group.version("typo", "aws-user-personalization-v2", eventType="Purchase")
    assert version["status"] == "CREATE FAILED"
    assert version["failureReason"] == (
        "eventType 'Purchase' matches no event in the Interactions data; its event types are "
        "'purchase' and 'view'; did you mean 'purchase'?"
    )


def test_event_value_threshold_shortfall_through_events_config(
    personalize, wait, state_dir, tmp_path
):
    """eventsConfig keeps only the listed event types: 'view' alone is 501 interactions."""
    schema = (WORKSHOP / "interactions.avsc").read_text()
    group = Group(
        personalize, wait, state_dir, _shortfall_csv(tmp_path / "few.csv"), schema, name="views"
    )
    version = group.version(
        "views-only",
        "aws-sims",
        solutionConfig={
            "eventsConfig": {"eventParametersList": [{"eventType": "view", "weight": 1.0}]}
        },
    )
    assert version["status"] == "CREATE FAILED"
    assert version["failureReason"] == (
        "Insufficient data to train after filtering: 501 interactions (at least 1000 "
        "required); 167 users with 2 or more interactions (at least 25 required); 167 of "
        "167 users (100.00%) have 2 or more interactions (at least 1% required)."
    )


def test_runtime_errors_over_the_wire(workshop, runtime):
    from botocore.exceptions import ClientError

    version = workshop.version("ws-errs", "aws-popularity-count")
    campaign = workshop.campaign("ws-errs-campaign", version["solutionVersionArn"])
    with pytest.raises(ClientError) as err:
        runtime.get_recommendations(campaignArn=campaign, userId="u", numResults=501)
    assert err.value.response["Error"]["Code"] == "InvalidInputException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '501' at 'numResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 500"
    )
    missing = campaign.replace("ws-errs-campaign", "nope")
    with pytest.raises(ClientError) as err:
        runtime.get_recommendations(campaignArn=missing, userId="u")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert err.value.response["Error"]["Message"] == f"Campaign {missing} does not exist."


def test_training_mode_update_keeps_the_full_versions_metrics(workshop, personalize, runtime):
    full = workshop.version("ws-up1", "aws-user-personalization")
    assert full["status"] == "ACTIVE", full.get("failureReason")
    upd_arn = personalize.create_solution_version(
        solutionArn=full["solutionArn"], trainingMode="UPDATE"
    )["solutionVersionArn"]
    upd = workshop.wait(
        lambda: personalize.describe_solution_version(solutionVersionArn=upd_arn),
        "solutionVersion",
        timeout=TIMEOUT,
    )
    assert upd["status"] == "ACTIVE", upd.get("failureReason")
    assert upd["trainingMode"] == "UPDATE"
    metrics = [
        personalize.get_solution_metrics(solutionVersionArn=arn)["metrics"]
        for arn in (full["solutionVersionArn"], upd_arn)
    ]
    assert metrics[0] == metrics[1]
    campaign = workshop.campaign("ws-up1-campaign", upd_arn)
    items = runtime.get_recommendations(
        campaignArn=campaign, userId=workshop_facts()[0][0]["USER_ID"]
    )["itemList"]
    assert len({i["itemId"] for i in items}) == 25


def test_events_config_from_update_solution_applies_to_the_next_version(
    personalize, wait, state_dir, tmp_path
):
    """UpdateSolution's eventsConfig (reference §6) filters the versions trained after it."""
    schema = (WORKSHOP / "interactions.avsc").read_text()
    group = Group(
        personalize, wait, state_dir, _shortfall_csv(tmp_path / "few.csv"), schema, name="upd"
    )
    first = group.version("upd-sims", "aws-sims")
    assert first["status"] == "ACTIVE", first.get("failureReason")
    sol = first["solutionArn"]
    personalize.update_solution(
        solutionArn=sol,
        performAutoTraining=False,
        solutionUpdateConfig={
            "eventsConfig": {"eventParametersList": [{"eventType": "view", "weight": 1.0}]}
        },
    )

    def settled():
        got = personalize.describe_solution(solutionArn=sol)["solution"]
        return {"solution": {"status": got.get("latestSolutionUpdate", {}).get("status")}}

    wait(settled, "solution", timeout=TIMEOUT)
    second = group.new_version(sol)
    assert second["status"] == "CREATE FAILED"
    assert second["failureReason"].startswith(
        "Insufficient data to train after filtering: 501 interactions (at least 1000 required)"
    )
