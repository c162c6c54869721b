"""Consistency points of the local target (issue 13), through boto3:

* a retired HRNN recipe: DescribeRecipe and CreateSolution say the same thing;
* a solution version being stopped shows CREATE STOPPING before CREATE STOPPED, held by
  the minimum durations and ended with ``fast_forward``, never by a race.
"""

from __future__ import annotations

import threading
import time

import pytest
from calls import wait_for
from schemas import INTERACTIONS

from personalize_reconcile.local import seams

R = "arn:aws:personalize:::recipe/"
LONG = {"solution-version": 600}  # stays put for minutes unless fast-forwarded


@pytest.fixture
def solution(personalize) -> str:
    group = personalize.create_dataset_group(name="g")["datasetGroupArn"]
    schema = personalize.create_schema(name="s", schema=INTERACTIONS)["schemaArn"]
    personalize.create_dataset(
        name="d", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
    )
    arn = personalize.create_solution(
        name="sol", datasetGroupArn=group, recipeArn=R + "aws-sims", performAutoTraining=False
    )["solutionArn"]
    wait_for(lambda: personalize.describe_solution(solutionArn=arn), "solution")
    return arn


@pytest.mark.parametrize(
    "name,replacement",
    [
        ("aws-hrnn", "aws-user-personalization-v2"),
        ("aws-hrnn-metadata", "aws-user-personalization-v2"),
        ("aws-hrnn-coldstart", "aws-user-personalization"),
    ],
)
def test_retired_recipe_describe_and_create_solution_agree(
    personalize, solution, expect_error, name, replacement
):
    said = (
        f"Recipe '{name}' is a legacy recipe that the service no longer offers. "
        f"Use {replacement} instead."
    )
    expect_error(
        lambda: personalize.describe_recipe(recipeArn=R + name),
        "ResourceNotFoundException",
        f"Resource Arn {R}{name} does not exist. {said}",
    )
    group = personalize.describe_solution(solutionArn=solution)["solution"]["datasetGroupArn"]
    expect_error(
        lambda: personalize.create_solution(name="h", datasetGroupArn=group, recipeArn=R + name),
        "InvalidInputException",
        said,
    )


def _status(client, arn: str) -> str:
    return client.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]["status"]


def test_stopping_shows_create_stopping_until_its_time_passes(
    personalize, make_client, solution, fast_forward, expect_error
):
    slow = make_client(durations=LONG)
    arn = slow.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    fast_forward(arn, one_step=True)  # CREATE PENDING -> CREATE IN_PROGRESS only
    assert _status(slow, arn) == "CREATE IN_PROGRESS"
    slow.stop_solution_version_creation(solutionVersionArn=arn)
    assert _status(slow, arn) == "CREATE STOPPING"
    assert _status(personalize, arn) == "CREATE STOPPING"
    expect_error(
        lambda: slow.stop_solution_version_creation(solutionVersionArn=arn),
        "ResourceInUseException",
        f"Resource Arn {arn} is in CREATE STOPPING state; only a solution version in "
        "CREATE PENDING or CREATE IN_PROGRESS can be stopped.",
    )
    fast_forward(arn)
    v = wait_for(
        lambda: slow.describe_solution_version(solutionVersionArn=arn),
        "solutionVersion",
        statuses=("CREATE STOPPED",),
    )
    assert v["status"] == "CREATE STOPPED"


def test_a_running_training_stops_through_create_stopping(
    personalize, make_client, solution, fast_forward
):
    started, stopped = threading.Event(), threading.Event()

    def slow_trainer(job):
        started.set()
        while not job.should_stop():
            time.sleep(0.01)
        stopped.set()
        return seams.TrainingOutcome(metrics={})

    seams.register_trainer(slow_trainer)
    try:
        slow = make_client(durations=LONG)
        arn = slow.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        fast_forward(arn, one_step=True)  # start: CREATE IN_PROGRESS
        fast_forward(arn, one_step=True)  # the training run is due now
        assert started.wait(60)
        slow.stop_solution_version_creation(solutionVersionArn=arn)
        assert stopped.wait(60)
        assert _status(slow, arn) == "CREATE STOPPING"  # the run ended; the stop's time not
        deadline = time.monotonic() + 60
        while _status(slow, arn) != "CREATE STOPPED":  # until the worker recorded the run
            assert time.monotonic() < deadline, _status(slow, arn)
            fast_forward(arn)
    finally:
        seams.register_trainer(None)
