"""Automatic training in the local target (reference §6): a solution with
performAutoTraining trains AUTOMATIC versions on its schedule, which ``local fast-forward``
brings forward; a campaign on ``<solution>/$LATEST`` serves the newest of them."""

from __future__ import annotations

import pytest
from personalize_steps import WORKSHOP, Group, workshop_with_renamed_items

R = "arn:aws:personalize:::recipe/"


@pytest.fixture
def workshop(personalize, wait, state_dir):
    schema = (WORKSHOP / "interactions.avsc").read_text()
    return Group(personalize, wait, state_dir, WORKSHOP / "interactions.csv", schema)


def _auto_solution(workshop, name: str = "auto", rate: str = "rate(1 day)") -> str:
    p = workshop.p
    arn = p.create_solution(
        name=name,
        datasetGroupArn=workshop.arn,
        recipeArn=R + "aws-popularity-count",
        performAutoTraining=True,
        solutionConfig={"autoTrainingConfig": {"schedulingExpression": rate}},
    )["solutionArn"]
    workshop.wait(lambda: p.describe_solution(solutionArn=arn), "solution")
    return arn


def _versions(personalize, solution: str) -> list[dict]:
    return personalize.list_solution_versions(solutionArn=solution)["solutionVersions"]


def _settled(workshop, arn: str) -> dict:
    return workshop.wait(
        lambda: workshop.p.describe_solution_version(solutionVersionArn=arn),
        "solutionVersion",
    )


def test_the_schedule_trains_automatic_versions(workshop, personalize, fast_forward):
    solution = _auto_solution(workshop)
    assert _versions(personalize, solution) == []  # the first run is an hour away

    out = fast_forward(solution)
    assert out.startswith(f"autotrain first of {solution}: due now (was in ")
    assert out.endswith("1 step(s) brought forward.\n")
    [summary] = _versions(personalize, solution)
    assert (summary["trainingMode"], summary["trainingType"]) == ("AUTOTRAIN", "AUTOMATIC")
    first = _settled(workshop, summary["solutionVersionArn"])
    assert (first["status"], first["trainingType"], first["trainingMode"]) == (
        "ACTIVE",
        "AUTOMATIC",
        "AUTOTRAIN",
    )
    latest = personalize.describe_solution(solutionArn=solution)["solution"][
        "latestSolutionVersion"
    ]
    assert (latest["solutionVersionArn"], latest["trainingType"]) == (
        first["solutionVersionArn"],
        "AUTOMATIC",
    )

    # then one run per rate(1 day)
    out = fast_forward(solution)
    assert out.startswith(f"autotrain scheduled of {solution}: due now (was in 86")
    versions = _versions(personalize, solution)
    assert len(versions) == 2
    assert all(v["trainingType"] == "AUTOMATIC" for v in versions)


def test_a_version_made_by_hand_in_the_first_hour_skips_the_first_run(
    workshop, personalize, fast_forward
):
    solution = _auto_solution(workshop)
    manual = workshop.new_version(solution)
    assert manual["trainingType"] == "MANUAL"
    out = fast_forward(solution)
    assert out.startswith(f"autotrain first of {solution}: due now (was in ")
    assert [v["trainingType"] for v in _versions(personalize, solution)] == ["MANUAL"]
    out = fast_forward(solution)  # the next scheduled run, a day after ACTIVE
    assert out.startswith(f"autotrain scheduled of {solution}: due now (was in ")
    types = sorted(v["trainingType"] for v in _versions(personalize, solution))
    assert types == ["AUTOMATIC", "MANUAL"]


def test_turning_auto_training_off_ends_the_schedule(workshop, personalize, fast_forward, wait):
    solution = _auto_solution(workshop)
    personalize.update_solution(solutionArn=solution, performAutoTraining=False)
    got = wait(
        lambda: personalize.describe_solution(solutionArn=solution)["solution"],
        "latestSolutionUpdate",
    )
    assert got["status"] == "ACTIVE"
    assert fast_forward(solution) == "0 step(s) brought forward.\n"
    assert _versions(personalize, solution) == []


def test_a_solution_without_auto_training_has_no_schedule(workshop, personalize, fast_forward):
    version = workshop.version("manual-only", "aws-popularity-count")
    assert fast_forward(version["solutionArn"]) == "0 step(s) brought forward.\n"
    assert len(_versions(personalize, version["solutionArn"])) == 1


def test_a_latest_campaign_serves_the_newest_automatic_version(
    workshop, personalize, runtime, fast_forward, state_dir, tmp_path, wait
):
    solution = _auto_solution(workshop, "auto-sync")
    first = workshop.new_version(solution)
    campaign = personalize.create_campaign(
        name="auto-sync-campaign",
        solutionVersionArn=solution + "/$LATEST",
        campaignConfig={"syncWithLatestSolutionVersion": True},
    )["campaignArn"]
    got = wait(lambda: personalize.describe_campaign(campaignArn=campaign), "campaign")
    assert got["status"] == "ACTIVE", got.get("failureReason")

    def served() -> list[str]:
        items = runtime.get_recommendations(campaignArn=campaign, userId="anyone")["itemList"]
        return [i["itemId"] for i in items]

    assert served() and not any(i.startswith("v2-") for i in served())
    workshop.reimport(state_dir, workshop_with_renamed_items(tmp_path / "v2.csv", "v2-"), "v2")
    fast_forward(solution)  # the first run: skipped, a version was made by hand
    fast_forward(solution)  # the next one trains on the new data
    automatic = [v for v in _versions(personalize, solution) if v["trainingType"] == "AUTOMATIC"]
    assert len(automatic) == 1
    assert _settled(workshop, automatic[0]["solutionVersionArn"])["status"] == "ACTIVE"

    described = personalize.describe_campaign(campaignArn=campaign)["campaign"]
    assert described["solutionVersionArn"] == solution + "/$LATEST"
    assert described["campaignConfig"]["syncWithLatestSolutionVersion"] is True
    assert described["status"] == "ACTIVE"
    assert first["solutionVersionArn"] != automatic[0]["solutionVersionArn"]
    assert all(i.startswith("v2-") for i in served())


def test_a_new_rate_counts_from_the_last_run(workshop, personalize, fast_forward, wait):
    solution = _auto_solution(workshop)
    fast_forward(solution)  # the first run: no version by hand, so it trains
    personalize.update_solution(
        solutionArn=solution,
        performAutoTraining=True,
        solutionUpdateConfig={"autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}},
    )
    got = wait(
        lambda: personalize.describe_solution(solutionArn=solution)["solution"],
        "latestSolutionUpdate",
    )
    assert got["status"] == "ACTIVE"
    out = fast_forward(solution, one_step=True)
    # due three days after the first run (259,200 s less the seconds since), not one
    assert out.startswith(f"autotrain scheduled of {solution}: due now (was in 25"), out


def test_update_campaign_refuses_latest_without_sync(workshop, personalize, expect_error):
    version = workshop.version("pinned", "aws-popularity-count")
    campaign = workshop.campaign("pinned-campaign", version["solutionVersionArn"])
    expect_error(
        lambda: personalize.update_campaign(
            campaignArn=campaign, solutionVersionArn=version["solutionArn"] + "/$LATEST"
        ),
        "InvalidInputException",
        "A solutionVersionArn ending in $LATEST needs campaignConfig."
        "syncWithLatestSolutionVersion set to true.",
    )
    expect_error(
        lambda: personalize.update_campaign(
            campaignArn=campaign, campaignConfig={"syncWithLatestSolutionVersion": True}
        ),
        "InvalidInputException",
        "syncWithLatestSolutionVersion needs solutionVersionArn to be <solutionArn>/$LATEST.",
    )
