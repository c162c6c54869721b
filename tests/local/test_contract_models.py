"""Contract tests, model side: solutions, solution versions, campaigns, recipes, metrics
and tags, through boto3 against the local target.

Training goes through the trainer seam (``seams.register_trainer``) with a stand-in
trainer, so these tests need no data; the real algorithms have their own tests.
"""

from __future__ import annotations

import threading

import pytest
from calls import wait_for
from deletes import delete_until_gone, expect_in_use
from schemas import INTERACTIONS

from personalize_reconcile.local import seams

P = "arn:aws:personalize:us-east-1:000000000000:"
R = "arn:aws:personalize:::recipe/"
METRICS = {"coverage": 0.5, "precision_at_5": 0.1}


def tags(n: int) -> list[dict]:
    return [{"tagKey": f"k{i}", "tagValue": "v"} for i in range(n)]


@pytest.fixture
def trained():
    """Install a stand-in trainer; yields the list of version ARNs it trained."""
    seen: list[str] = []

    def trainer(job: seams.TrainingJob) -> seams.TrainingOutcome:
        seen.append(job.solution_version_arn)
        assert job.artefact_dir.is_dir()
        assert "INTERACTIONS" in job.datasets
        return seams.TrainingOutcome(metrics=dict(METRICS), training_hours=0.25)

    seams.register_trainer(trainer)
    yield seen
    seams.register_trainer(None)


@pytest.fixture
def group(personalize) -> str:
    g = personalize.create_dataset_group(name="g")["datasetGroupArn"]
    s = personalize.create_schema(name="s", schema=INTERACTIONS)["schemaArn"]
    personalize.create_dataset(name="d", datasetGroupArn=g, datasetType="Interactions", schemaArn=s)
    return g


@pytest.fixture
def solution(personalize, group) -> str:
    return personalize.create_solution(
        name="sol", datasetGroupArn=group, recipeArn=R + "aws-user-personalization"
    )["solutionArn"]


@pytest.fixture
def version(personalize, solution, trained, wait) -> str:
    arn = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait(lambda: personalize.describe_solution_version(solutionVersionArn=arn), "solutionVersion")
    return arn


# -- solutions ---------------------------------------------------------------------------


def test_solution_create_describe_list(personalize, group):
    arn = personalize.create_solution(
        name="s1",
        datasetGroupArn=group,
        recipeArn=R + "aws-user-personalization-v2",
        solutionConfig={"algorithmHyperParameters": {"hidden_dimension": "64"}},
        tags=tags(1),
    )["solutionArn"]
    assert arn == P + "solution/s1"
    s = personalize.describe_solution(solutionArn=arn)["solution"]
    assert (
        s["status"],
        s["recipeArn"],
        s["performAutoTraining"],
        s["performHPO"],
        s["performAutoML"],
        s["performIncrementalUpdate"],
    ) == ("ACTIVE", R + "aws-user-personalization-v2", True, False, False, False)
    assert s["solutionConfig"] == {
        "algorithmHyperParameters": {"hidden_dimension": "64"},
        "autoTrainingConfig": {"schedulingExpression": "rate(7 days)"},
    }
    assert "latestSolutionVersion" not in s
    listed = personalize.list_solutions(datasetGroupArn=group)["solutions"]
    assert [(x["solutionArn"], x["recipeArn"]) for x in listed] == [
        (arn, R + "aws-user-personalization-v2")
    ]
    off = personalize.create_solution(
        name="s2", datasetGroupArn=group, performAutoTraining=False, recipeArn=R + "aws-sims"
    )["solutionArn"]
    assert "solutionConfig" not in personalize.describe_solution(solutionArn=off)["solution"]
    auto = personalize.create_solution(
        name="s3", datasetGroupArn=group, performAutoML=True, performAutoTraining=False
    )["solutionArn"]
    a = personalize.describe_solution(solutionArn=auto)["solution"]
    assert a["performHPO"] is True and a["autoMLResult"] == {
        "bestRecipeArn": R + "aws-user-personalization"
    }


def test_solution_errors(personalize, group, solution, expect_error, make_client):
    expect_error(
        lambda: personalize.create_solution(
            name="h", datasetGroupArn=group, recipeArn=R + "aws-hrnn"
        ),
        "InvalidInputException",
        "Recipe 'aws-hrnn' is a legacy recipe that the service no longer offers. "
        "Use aws-user-personalization-v2 instead.",
    )
    expect_error(
        lambda: personalize.create_solution(
            name="h", datasetGroupArn=group, recipeArn=R + "aws-user-personalisation"
        ),
        "InvalidInputException",
        "Unknown recipe 'aws-user-personalisation'. Did you mean "
        "aws-user-personalization or aws-user-personalization-v2 or "
        "aws-personalized-ranking?",
    )
    expect_error(
        lambda: personalize.create_solution(
            name="h", datasetGroupArn=group, recipeArn=R + "aws-ecomm-recommended-for-you"
        ),
        "InvalidInputException",
        "Recipe 'aws-ecomm-recommended-for-you' is an ECOMMERCE "
        "domain use case, which only a recommender can use. Pick a custom recipe such as "
        "aws-user-personalization-v2 for a solution.",
    )
    expect_error(
        lambda: personalize.create_solution(
            name="h", datasetGroupArn=group, recipeArn=R + "aws-sims", performAutoML=True
        ),
        "InvalidInputException",
        "recipeArn cannot be specified when performAutoML is true.",
    )
    expect_error(
        lambda: personalize.create_solution(name="h", datasetGroupArn=group),
        "InvalidInputException",
        "recipeArn is required unless performAutoML is true.",
    )
    expect_error(
        lambda: personalize.create_solution(
            name="h", datasetGroupArn=group, recipeArn=R + "aws-sims", performIncrementalUpdate=True
        ),
        "InvalidInputException",
        "performIncrementalUpdate is only supported by aws-semantic-similarity.",
    )
    expect_error(
        lambda: personalize.create_solution(
            name="h",
            datasetGroupArn=group,
            recipeArn=R + "aws-sims",
            solutionConfig={"autoTrainingConfig": {"schedulingExpression": "rate(45 days)"}},
        ),
        "InvalidInputException",
        "Invalid schedulingExpression 'rate(45 days)': use rate(N days) with N from 1 to 30.",
    )
    expect_error(
        lambda: personalize.create_solution(
            name="h",
            datasetGroupArn=group,
            recipeArn=R + "aws-sims",
            solutionConfig={"optimizationObjective": {"objectiveSensitivity": "EXTREME"}},
        ),
        "InvalidInputException",
        "1 validation error detected: Value 'EXTREME' at "
        "'solutionConfig.optimizationObjective.objectiveSensitivity' failed to satisfy "
        "constraint: Member must satisfy enum value set: [LOW, MEDIUM, HIGH, OFF]",
    )
    expect_error(
        lambda: personalize.create_solution(
            name="sol", datasetGroupArn=group, recipeArn=R + "aws-sims"
        ),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {solution} already exists.",
    )
    expect_error(
        lambda: personalize.create_solution(
            name="h", datasetGroupArn=P + "dataset-group/none", recipeArn=R + "aws-sims"
        ),
        "ResourceNotFoundException",
        f"Resource Arn {P}dataset-group/none does not exist.",
    )
    expect_error(
        lambda: personalize.create_solution(
            name="h", datasetGroupArn=group, recipeArn=R + "aws-sims", tags=tags(51)
        ),
        "TooManyTagsException",
        "A resource can have at most 50 tags.",
    )
    for i in range(9):
        personalize.create_solution(name=f"s{i}", datasetGroupArn=group, recipeArn=R + "aws-sims")
    expect_error(
        lambda: personalize.create_solution(
            name="s10", datasetGroupArn=group, recipeArn=R + "aws-sims"
        ),
        "LimitExceededException",
        f"Dataset group {group} already has 10 solutions, the limit.",
    )
    slow = make_client(durations={"dataset-group": 60})
    g2 = slow.create_dataset_group(name="g2")["datasetGroupArn"]
    expect_error(
        lambda: slow.create_solution(name="x", datasetGroupArn=g2, recipeArn=R + "aws-sims"),
        "ResourceInUseException",
        f"Resource Arn {g2} is in CREATE PENDING state; it must be ACTIVE.",
    )
    expect_error(
        lambda: personalize.describe_solution(solutionArn=P + "solution/none"),
        "ResourceNotFoundException",
        f"Resource Arn {P}solution/none does not exist.",
    )


def test_update_solution(personalize, solution, expect_error, make_client):
    assert (
        personalize.update_solution(
            solutionArn=solution,
            performAutoTraining=True,
            solutionUpdateConfig={"autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}},
        )["solutionArn"]
        == solution
    )
    s = personalize.describe_solution(solutionArn=solution)["solution"]
    assert s["latestSolutionUpdate"]["status"] == "ACTIVE"
    assert s["latestSolutionUpdate"]["solutionUpdateConfig"] == {
        "autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}
    }
    assert s["solutionConfig"]["autoTrainingConfig"] == {"schedulingExpression": "rate(3 days)"}
    personalize.update_solution(solutionArn=solution, performAutoTraining=False)
    s = personalize.describe_solution(solutionArn=solution)["solution"]
    assert s["performAutoTraining"] is False
    expect_error(
        lambda: personalize.update_solution(solutionArn=solution, performIncrementalUpdate=True),
        "InvalidInputException",
        "performIncrementalUpdate is only supported by aws-semantic-similarity.",
    )
    expect_error(
        lambda: personalize.update_solution(
            solutionArn=P + "solution/none", performAutoTraining=True
        ),
        "ResourceNotFoundException",
        f"Resource Arn {P}solution/none does not exist.",
    )
    slow = make_client(durations={"solution": 60})
    slow.update_solution(solutionArn=solution, performAutoTraining=True)
    s = slow.describe_solution(solutionArn=solution)["solution"]
    assert s["latestSolutionUpdate"]["status"] == "CREATE PENDING"
    assert s["performAutoTraining"] is False  # the old configuration serves meanwhile
    expect_error(
        lambda: slow.update_solution(solutionArn=solution, performAutoTraining=False),
        "ResourceInUseException",
        f"Resource Arn {solution} has an update in CREATE PENDING state.",
    )


def test_delete_solution(personalize, solution, version, expect_error):
    camp = personalize.create_campaign(name="c", solutionVersionArn=version)["campaignArn"]
    expect_in_use(personalize, solution, camp)
    delete_until_gone(personalize, camp)
    delete_until_gone(personalize, solution)
    expect_error(
        lambda: personalize.describe_solution_version(solutionVersionArn=version),
        "ResourceNotFoundException",
        f"Resource Arn {version} does not exist.",
    )


# -- solution versions -------------------------------------------------------------------------


def test_solution_version(personalize, solution, trained, wait):
    arn = personalize.create_solution_version(solutionArn=solution, name="v1", tags=tags(1))[
        "solutionVersionArn"
    ]
    assert arn.startswith(solution + "/") and len(arn.rsplit("/", 1)[1]) == 8
    v = wait(
        lambda: personalize.describe_solution_version(solutionVersionArn=arn), "solutionVersion"
    )
    assert (
        v["status"],
        v["name"],
        v["trainingMode"],
        v["trainingType"],
        v["trainingHours"],
        v["recipeArn"],
        v["solutionArn"],
    ) == ("ACTIVE", "v1", "FULL", "MANUAL", 0.25, R + "aws-user-personalization", solution)
    assert trained == [arn]
    got = personalize.get_solution_metrics(solutionVersionArn=arn)
    assert (got["solutionVersionArn"], got["metrics"]) == (arn, METRICS)
    s = personalize.describe_solution(solutionArn=solution)["solution"]
    assert s["latestSolutionVersion"]["solutionVersionArn"] == arn
    assert s["latestSolutionVersion"]["status"] == "ACTIVE"
    upd = personalize.create_solution_version(solutionArn=solution, trainingMode="UPDATE")[
        "solutionVersionArn"
    ]
    wait(lambda: personalize.describe_solution_version(solutionVersionArn=upd), "solutionVersion")
    listed = personalize.list_solution_versions(solutionArn=solution)["solutionVersions"]
    assert [(x["solutionVersionArn"], x["trainingMode"]) for x in listed] == [
        (arn, "FULL"),
        (upd, "UPDATE"),
    ]
    assert "name" not in listed[0]


def test_solution_version_without_trainer_is_active_without_metrics(personalize, group, wait):
    seams.register_trainer(lambda job: None)
    try:
        sol = personalize.create_solution(
            name="s", datasetGroupArn=group, recipeArn=R + "aws-sims"
        )["solutionArn"]
        arn = personalize.create_solution_version(solutionArn=sol)["solutionVersionArn"]
        assert (
            wait(
                lambda: personalize.describe_solution_version(solutionVersionArn=arn),
                "solutionVersion",
            )["status"]
            == "ACTIVE"
        )
        assert personalize.get_solution_metrics(solutionVersionArn=arn)["metrics"] == {}
    finally:
        seams.register_trainer(None)


def train_with(personalize, solution, trainer) -> dict:
    """Train a version of ``solution`` with the stand-in ``trainer``; return its Describe
    once it settles."""
    seams.register_trainer(trainer)
    try:
        arn = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        return wait_for(
            lambda: personalize.describe_solution_version(solutionVersionArn=arn), "solutionVersion"
        )
    finally:
        seams.register_trainer(None)


def test_training_failure_reason(personalize, solution):
    def failing(job):
        raise seams.TrainingFailed("There are fewer than 1000 interactions.")

    v = train_with(personalize, solution, failing)
    assert (v["status"], v["failureReason"]) == (
        "CREATE FAILED",
        "There are fewer than 1000 interactions.",
    )
    assert (
        personalize.list_solution_versions(solutionArn=solution)["solutionVersions"][0][
            "failureReason"
        ]
        == "There are fewer than 1000 interactions."
    )


def test_non_finite_metrics_are_left_out(personalize, solution):
    v = train_with(
        personalize,
        solution,
        lambda job: seams.TrainingOutcome(
            metrics={"coverage": float("nan"), "precision_at_5": 0.5}, training_hours=float("inf")
        ),
    )
    assert (v["status"], v["trainingHours"]) == ("ACTIVE", 0.0)
    arn = v["solutionVersionArn"]
    assert personalize.get_solution_metrics(solutionVersionArn=arn)["metrics"] == {
        "precision_at_5": 0.5
    }


def test_an_assertion_in_a_stand_in_trainer_fails_the_test(personalize, solution):
    def trainer(job):
        assert job.datasets == {}, "planted: the trainer saw datasets"

    with pytest.raises(AssertionError, match="^planted: the trainer saw datasets"):
        train_with(personalize, solution, trainer)


def test_trainer_bug_fails_the_version_with_an_internal_reason(personalize, solution):
    def buggy(job):
        raise RuntimeError("index out of range")

    v = train_with(personalize, solution, buggy)
    assert (v["status"], v["failureReason"]) == (
        "CREATE FAILED",
        "Internal error in the local target: RuntimeError: index out of range",
    )


def test_solution_version_names_are_unique_within_their_solution(
    personalize, group, solution, trained, expect_error
):
    """A version's ARN is ``<solution arn>/<generated id>`` (reference §1): its name is
    unique among its solution's versions only, so another solution takes the same name,
    and the name is still checked against the name pattern."""
    twin = personalize.create_solution(
        name="twin", datasetGroupArn=group, recipeArn=R + "aws-user-personalization"
    )["solutionArn"]
    made = [
        personalize.create_solution_version(solutionArn=sol, name="d1234abcd-c5678ef01")[
            "solutionVersionArn"
        ]
        for sol in (solution, twin)
    ]
    assert [a.rsplit("/", 1)[0] for a in made] == [solution, twin]
    names = [
        personalize.describe_solution_version(solutionVersionArn=a)["solutionVersion"]["name"]
        for a in made
    ]
    assert names == ["d1234abcd-c5678ef01"] * 2
    listed = personalize.list_solution_versions(solutionArn=twin)["solutionVersions"]
    assert [v["solutionVersionArn"] for v in listed] == [made[1]]
    expect_error(
        lambda: personalize.create_solution_version(solutionArn=twin, name="d1234abcd-c5678ef01"),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {made[1]} already exists.",
    )
    expect_error(
        lambda: personalize.create_solution_version(solutionArn=twin, name="-starts-badly"),
        "InvalidInputException",
    )


def test_solution_version_errors(personalize, group, solution, version, expect_error, make_client):
    sims = personalize.create_solution(
        name="sims", datasetGroupArn=group, recipeArn=R + "aws-sims"
    )["solutionArn"]
    expect_error(
        lambda: personalize.create_solution_version(solutionArn=sims, trainingMode="UPDATE"),
        "InvalidInputException",
        "trainingMode UPDATE is only supported by aws-user-personalization.",
    )
    fresh = personalize.create_solution(
        name="up", datasetGroupArn=group, recipeArn=R + "aws-user-personalization"
    )["solutionArn"]
    expect_error(
        lambda: personalize.create_solution_version(solutionArn=fresh, trainingMode="UPDATE"),
        "InvalidInputException",
        "trainingMode UPDATE needs an ACTIVE solution version trained with trainingMode FULL.",
    )
    expect_error(
        lambda: personalize.create_solution_version(solutionArn=P + "solution/none"),
        "ResourceNotFoundException",
        f"Resource Arn {P}solution/none does not exist.",
    )
    expect_error(
        lambda: personalize.create_solution_version(solutionArn=sims, tags=tags(51)),
        "TooManyTagsException",
        "A resource can have at most 50 tags.",
    )
    expect_error(
        lambda: personalize.list_solution_versions(solutionArn=P + "solution/none"),
        "ResourceNotFoundException",
        f"Resource Arn {P}solution/none does not exist.",
    )
    expect_error(
        lambda: personalize.describe_solution_version(solutionVersionArn=solution + "/00000000"),
        "ResourceNotFoundException",
        f"Resource Arn {solution}/00000000 does not exist.",
    )
    slow = make_client(durations={"solution": 60, "solution-version": 60})
    pending = slow.create_solution(name="slow", datasetGroupArn=group, recipeArn=R + "aws-sims")[
        "solutionArn"
    ]
    expect_error(
        lambda: slow.create_solution_version(solutionArn=pending),
        "ResourceInUseException",
        f"Resource Arn {pending} is in CREATE PENDING state; it must be ACTIVE.",
    )
    running = [
        slow.create_solution_version(solutionArn=sims)["solutionVersionArn"] for _ in range(20)
    ]
    expect_error(
        lambda: slow.create_solution_version(solutionArn=sims),
        "LimitExceededException",
        "You have reached the limit of 20 solution versions pending or in progress in this region.",
    )
    expect_error(
        lambda: slow.get_solution_metrics(solutionVersionArn=running[0]),
        "ResourceInUseException",
        f"Resource Arn {running[0]} is in CREATE PENDING state; it must be ACTIVE.",
    )
    expect_error(
        lambda: slow.delete_solution(solutionArn=sims),
        "ResourceInUseException",
        f"Resource Arn {sims} is in use by {running[0]}.",
    )
    expect_error(
        lambda: personalize.get_solution_metrics(solutionVersionArn=solution + "/00000000"),
        "ResourceNotFoundException",
        f"Resource Arn {solution}/00000000 does not exist.",
    )


def test_stop_solution_version(make_client, group, expect_error, wait):
    release = threading.Event()
    started = threading.Event()

    def slow_trainer(job):
        started.set()
        while not job.should_stop() and not release.wait(0.01):
            pass
        return seams.TrainingOutcome(metrics={"coverage": 1.0})

    seams.register_trainer(slow_trainer)
    try:
        c = make_client(durations={"solution-version": 0})
        sol = c.create_solution(name="s", datasetGroupArn=group, recipeArn=R + "aws-sims")[
            "solutionArn"
        ]
        running = c.create_solution_version(solutionArn=sol)["solutionVersionArn"]
        assert started.wait(60)
        assert (
            c.describe_solution_version(solutionVersionArn=running)["solutionVersion"]["status"]
            == "CREATE IN_PROGRESS"
        )
        c.stop_solution_version_creation(solutionVersionArn=running)
        v = wait(
            lambda: c.describe_solution_version(solutionVersionArn=running),
            "solutionVersion",
            statuses=("CREATE STOPPED",),
        )
        assert v["status"] == "CREATE STOPPED"
        expect_error(
            lambda: c.stop_solution_version_creation(solutionVersionArn=running),
            "ResourceInUseException",
            f"Resource Arn {running} is in CREATE STOPPED "
            "state; only a solution version in CREATE PENDING or CREATE IN_PROGRESS "
            "can be stopped.",
        )
        slow = make_client(durations={"solution-version": 60})
        pending = slow.create_solution_version(solutionArn=sol)["solutionVersionArn"]
        slow.stop_solution_version_creation(solutionVersionArn=pending)
        assert (
            slow.describe_solution_version(solutionVersionArn=pending)["solutionVersion"]["status"]
            == "CREATE STOPPED"
        )
        expect_error(
            lambda: c.stop_solution_version_creation(solutionVersionArn=sol + "/00000000"),
            "ResourceNotFoundException",
            f"Resource Arn {sol}/00000000 does not exist.",
        )
    finally:
        release.set()
        seams.register_trainer(None)


# -- campaigns ---------------------------------------------------------------------------


def test_campaign(personalize, solution, version, trained, wait):
    arn = personalize.create_campaign(
        name="c",
        solutionVersionArn=version,
        minProvisionedTPS=2,
        campaignConfig={"itemExplorationConfig": {"explorationWeight": "0.5"}},
        tags=tags(2),
    )["campaignArn"]
    assert arn == P + "campaign/c"
    c = personalize.describe_campaign(campaignArn=arn)["campaign"]
    assert (c["status"], c["solutionVersionArn"], c["minProvisionedTPS"], c["campaignConfig"]) == (
        "ACTIVE",
        version,
        2,
        {"itemExplorationConfig": {"explorationWeight": "0.5"}},
    )
    assert "latestCampaignUpdate" not in c
    assert [
        x["campaignArn"] for x in personalize.list_campaigns(solutionArn=solution)["campaigns"]
    ] == [arn]
    v2 = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait(lambda: personalize.describe_solution_version(solutionVersionArn=v2), "solutionVersion")
    assert (
        personalize.update_campaign(campaignArn=arn, solutionVersionArn=v2, minProvisionedTPS=1)[
            "campaignArn"
        ]
        == arn
    )
    c = personalize.describe_campaign(campaignArn=arn)["campaign"]
    assert c["solutionVersionArn"] == v2 and c["minProvisionedTPS"] == 1
    assert c["latestCampaignUpdate"]["status"] == "ACTIVE"
    assert c["latestCampaignUpdate"]["campaignConfig"] == {
        "itemExplorationConfig": {"explorationWeight": "0.5"}
    }
    latest = personalize.create_campaign(
        name="latest",
        solutionVersionArn=solution + "/$LATEST",
        campaignConfig={"syncWithLatestSolutionVersion": True},
    )["campaignArn"]
    assert (
        personalize.describe_campaign(campaignArn=latest)["campaign"]["solutionVersionArn"]
        == solution + "/$LATEST"
    )


def test_campaign_update_keeps_old_config_until_active(
    make_client, solution, version, expect_error
):
    fast = make_client()
    arn = fast.create_campaign(name="c", solutionVersionArn=version)["campaignArn"]
    slow = make_client(durations={"campaign": 60})
    slow.update_campaign(campaignArn=arn, minProvisionedTPS=5)
    c = slow.describe_campaign(campaignArn=arn)["campaign"]
    assert (c["status"], c["minProvisionedTPS"]) == ("ACTIVE", 1)
    assert (
        c["latestCampaignUpdate"]["status"],
        c["latestCampaignUpdate"]["minProvisionedTPS"],
    ) == ("CREATE PENDING", 5)
    expect_error(
        lambda: slow.update_campaign(campaignArn=arn, minProvisionedTPS=6),
        "ResourceInUseException",
        f"Resource Arn {arn} has an update in CREATE PENDING state.",
    )
    pending = slow.create_campaign(name="p", solutionVersionArn=version)["campaignArn"]
    expect_error(
        lambda: slow.update_campaign(campaignArn=pending, minProvisionedTPS=2),
        "ResourceInUseException",
        f"Resource Arn {pending} is in CREATE PENDING state; it must be ACTIVE or CREATE FAILED.",
    )
    expect_error(
        lambda: slow.delete_campaign(campaignArn=pending),
        "ResourceInUseException",
        f"Resource Arn {pending} is in CREATE PENDING state and cannot be deleted.",
    )


def test_campaign_errors(personalize, group, solution, version, expect_error, make_client):
    personalize.create_campaign(name="c", solutionVersionArn=version)
    expect_error(
        lambda: personalize.create_campaign(name="c", solutionVersionArn=version),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {P}campaign/c already exists.",
    )
    expect_error(
        lambda: personalize.create_campaign(name="x", solutionVersionArn=solution + "/00000000"),
        "ResourceNotFoundException",
        f"Resource Arn {solution}/00000000 does not exist.",
    )
    expect_error(
        lambda: personalize.create_campaign(name="x", solutionVersionArn=solution + "/$LATEST"),
        "InvalidInputException",
        "A solutionVersionArn ending in $LATEST needs campaignConfig."
        "syncWithLatestSolutionVersion set to true.",
    )
    expect_error(
        lambda: personalize.create_campaign(
            name="x",
            solutionVersionArn=version,
            campaignConfig={"syncWithLatestSolutionVersion": True},
        ),
        "InvalidInputException",
        "syncWithLatestSolutionVersion needs solutionVersionArn to be <solutionArn>/$LATEST.",
    )
    expect_error(
        lambda: personalize.create_campaign(
            name="x",
            solutionVersionArn=version,
            campaignConfig={"itemExplorationConfig": {"explorationWeight": "2"}},
        ),
        "InvalidInputException",
        "itemExplorationConfig.explorationWeight must be between 0 and 1.",
    )
    expect_error(
        lambda: personalize.create_campaign(
            name="x",
            solutionVersionArn=version,
            campaignConfig={"itemExplorationConfig": {"itemExplorationWeight": "0.2"}},
        ),
        "InvalidInputException",
        "Unknown itemExplorationConfig key 'itemExplorationWeight'; "
        "valid keys: explorationWeight, explorationItemAgeCutOff.",
    )
    expect_error(
        lambda: personalize.create_campaign(name="x", solutionVersionArn=version, tags=tags(51)),
        "TooManyTagsException",
        "A resource can have at most 50 tags.",
    )
    expect_error(
        lambda: personalize.create_campaign(
            name="x",
            solutionVersionArn=version,
            campaignConfig={"rankingInfluence": {"POPULARITY": 2.0}},
        ),
        "InvalidInputException",
        "1 validation error detected: Value '2.0' at 'campaignConfig.rankingInfluence."
        "POPULARITY' failed to satisfy constraint: Member must have value less than or "
        "equal to 1",
    )
    for i in range(4):
        personalize.create_campaign(name=f"c{i}", solutionVersionArn=version)
    expect_error(
        lambda: personalize.create_campaign(name="c5", solutionVersionArn=version),
        "LimitExceededException",
        f"Dataset group {group} already has 5 campaigns, the limit.",
    )
    seams.register_trainer(lambda job: None)
    try:
        slow = make_client(durations={"solution-version": 60})
        pending = slow.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    finally:
        seams.register_trainer(None)
    expect_error(
        lambda: slow.create_campaign(name="y", solutionVersionArn=pending),
        "ResourceInUseException",
        f"Resource Arn {pending} is in CREATE PENDING state; it must be ACTIVE.",
    )
    expect_error(
        lambda: personalize.update_campaign(
            campaignArn=P + "campaign/c", solutionVersionArn=pending
        ),
        "ResourceInUseException",
        f"Resource Arn {pending} is in CREATE PENDING state; it must be ACTIVE.",
    )
    other = personalize.create_solution(
        name="other", datasetGroupArn=group, recipeArn=R + "aws-sims"
    )["solutionArn"]
    seams.register_trainer(lambda job: None)
    try:
        foreign = personalize.create_solution_version(solutionArn=other)["solutionVersionArn"]
        while (
            personalize.describe_solution_version(solutionVersionArn=foreign)["solutionVersion"][
                "status"
            ]
            != "ACTIVE"
        ):
            pass
    finally:
        seams.register_trainer(None)
    expect_error(
        lambda: personalize.update_campaign(
            campaignArn=P + "campaign/c",
            campaignConfig={"itemExplorationConfig": {"explorationItemAgeCutOff": "0"}},
        ),
        "InvalidInputException",
        "itemExplorationConfig.explorationItemAgeCutOff must be at least 1.",
    )
    expect_error(  # NaN compares false with everything: it must not slip through
        lambda: personalize.update_campaign(
            campaignArn=P + "campaign/c",
            campaignConfig={"itemExplorationConfig": {"explorationItemAgeCutOff": "nan"}},
        ),
        "InvalidInputException",
        "itemExplorationConfig.explorationItemAgeCutOff must be at least 1.",
    )
    # a version of another solution in the group (a recipe change): the campaign moves to
    # that solution, so the old one can then be deleted
    personalize.update_campaign(campaignArn=P + "campaign/c", solutionVersionArn=foreign)
    while (
        personalize.describe_campaign(campaignArn=P + "campaign/c")["campaign"][
            "latestCampaignUpdate"
        ]["status"]
        != "ACTIVE"
    ):
        pass
    moved = personalize.list_campaigns(solutionArn=other)["campaigns"]
    assert [c["campaignArn"] for c in moved] == [P + "campaign/c"]
    assert P + "campaign/c" not in [
        c["campaignArn"] for c in personalize.list_campaigns(solutionArn=solution)["campaigns"]
    ]
    expect_error(
        lambda: personalize.update_campaign(campaignArn=P + "campaign/none"),
        "ResourceNotFoundException",
        f"Resource Arn {P}campaign/none does not exist.",
    )
    expect_error(
        lambda: personalize.describe_campaign(campaignArn=P + "campaign/none"),
        "ResourceNotFoundException",
        f"Resource Arn {P}campaign/none does not exist.",
    )
    expect_error(
        lambda: personalize.delete_campaign(campaignArn=P + "campaign/none"),
        "ResourceNotFoundException",
        f"Resource Arn {P}campaign/none does not exist.",
    )


def test_delete_dataset_blocked_by_active_campaign(personalize, group, version, expect_error):
    camp = personalize.create_campaign(name="c", solutionVersionArn=version)["campaignArn"]
    dataset = P + "dataset/g/INTERACTIONS"
    expect_error(
        lambda: personalize.delete_dataset(datasetArn=dataset),
        "ResourceInUseException",
        f"Resource Arn {dataset} is in use by {camp}.",
    )


# -- recipes ---------------------------------------------------------------------------------


def test_recipes(personalize, expect_error):
    vod = personalize.describe_recipe(recipeArn=R + "aws-vod-top-picks")["recipe"]
    assert (vod["recipeType"], "domain" in vod) == ("USER_PERSONALIZATION", False)
    r = personalize.describe_recipe(recipeArn=R + "aws-sims")["recipe"]
    assert (r["name"], r["recipeType"], r["status"], r["algorithmArn"]) == (
        "aws-sims",
        "RELATED_ITEMS",
        "ACTIVE",
        "arn:aws:personalize:::algorithm/aws-sims",
    )
    names = [x["name"] for x in personalize.list_recipes()["recipes"]]
    assert "aws-user-personalization-v2" in names and "aws-hrnn" not in names
    assert len(names) == 22
    vod = [x["name"] for x in personalize.list_recipes(domain="VIDEO_ON_DEMAND")["recipes"]]
    assert vod == [
        "aws-vod-because-you-watched-x",
        "aws-vod-more-like-x",
        "aws-vod-most-popular",
        "aws-vod-trending-now",
        "aws-vod-top-picks",
    ]
    page = personalize.list_recipes(maxResults=20)
    rest = personalize.list_recipes(maxResults=20, nextToken=page["nextToken"])
    assert [x["name"] for x in page["recipes"] + rest["recipes"]] == names
    assert "nextToken" not in rest
    expect_error(
        lambda: personalize.describe_recipe(recipeArn=R + "aws-hrnn"),
        "ResourceNotFoundException",
        f"Resource Arn {R}aws-hrnn does not exist. Recipe 'aws-hrnn' is a legacy recipe "
        "that the service no longer offers. Use aws-user-personalization-v2 instead.",
    )
    expect_error(
        lambda: personalize.describe_recipe(recipeArn="aws-sims"),
        "InvalidInputException",
        "1 validation error detected: Value 'aws-sims' at "
        "'recipeArn' failed to satisfy constraint: Member must satisfy regular "
        r"expression pattern: arn:([a-z\d-]+):personalize:.*:.*:.+",
    )
    expect_error(
        lambda: personalize.list_recipes(nextToken="x"),
        "InvalidNextTokenException",
        "The nextToken is not valid for this request.",
    )
    expect_error(
        lambda: personalize.list_recipes(recipeProvider="CUSTOM"),
        "InvalidInputException",
        "1 validation error detected: Value 'CUSTOM' at "
        "'recipeProvider' failed to satisfy constraint: Member must satisfy enum "
        "value set: [SERVICE]",
    )


# -- tags ------------------------------------------------------------------------------------


def test_tags(personalize, group, expect_error, make_client):
    personalize.tag_resource(
        resourceArn=group, tags=[{"tagKey": "a", "tagValue": "1"}, {"tagKey": "b", "tagValue": "2"}]
    )
    personalize.tag_resource(resourceArn=group, tags=[{"tagKey": "a", "tagValue": "3"}])
    assert personalize.list_tags_for_resource(resourceArn=group)["tags"] == [
        {"tagKey": "a", "tagValue": "3"},
        {"tagKey": "b", "tagValue": "2"},
    ]
    personalize.untag_resource(resourceArn=group, tagKeys=["a", "missing"])
    assert personalize.list_tags_for_resource(resourceArn=group)["tags"] == [
        {"tagKey": "b", "tagValue": "2"}
    ]
    expect_error(
        lambda: personalize.tag_resource(resourceArn=group, tags=tags(50)),
        "TooManyTagsException",
        "A resource can have at most 50 tags.",
    )
    expect_error(
        lambda: personalize.untag_resource(resourceArn=group, tagKeys=[f"k{i}" for i in range(51)]),
        "TooManyTagKeysException",
        "At most 50 tag keys can be removed at once.",
    )
    expect_error(
        lambda: personalize.tag_resource(
            resourceArn=group, tags=[{"tagKey": "aws:x", "tagValue": "1"}]
        ),
        "InvalidInputException",
        "Tag key 'aws:x' uses the reserved prefix 'aws:'.",
    )
    expect_error(
        lambda: personalize.tag_resource(
            resourceArn=group, tags=[{"tagKey": "a*b", "tagValue": "1"}]
        ),
        "InvalidInputException",
        "1 validation error detected: Value 'a*b' at "
        "'tags.1.member.tagKey' failed to satisfy constraint: Member must satisfy regular "
        r"expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$",
    )
    schema = P + "schema/s"
    expect_error(
        lambda: personalize.list_tags_for_resource(resourceArn=schema),
        "InvalidInputException",
        f"Resource {schema} does not support tags.",
    )
    for call in (
        lambda: personalize.tag_resource(resourceArn=P + "filter/none", tags=tags(1)),
        lambda: personalize.untag_resource(resourceArn=P + "filter/none", tagKeys=["a"]),
        lambda: personalize.list_tags_for_resource(resourceArn=P + "filter/none"),
    ):
        expect_error(
            call, "ResourceNotFoundException", f"Resource Arn {P}filter/none does not exist."
        )
    slow = make_client(durations={"filter": 60})
    f = slow.create_filter(
        name="f", datasetGroupArn=group, filterExpression='EXCLUDE ItemID WHERE Items.X IN ("y")'
    )["filterArn"]
    fast = make_client()
    # a resource still being created can be tagged; only deletes refuse tags
    assert fast.describe_filter(filterArn=f)["filter"]["status"] == "CREATE PENDING"
    fast.tag_resource(resourceArn=f, tags=tags(1))
    assert fast.list_tags_for_resource(resourceArn=f)["tags"] == tags(1)
    # a filter created with a 60 s duration stays pending; delete a fresh one
    f2 = fast.create_filter(
        name="f2", datasetGroupArn=group, filterExpression='EXCLUDE ItemID WHERE Items.X IN ("y")'
    )["filterArn"]
    slow.delete_filter(filterArn=f2)
    expect_error(
        lambda: slow.tag_resource(resourceArn=f2, tags=tags(1)),
        "ResourceInUseException",
        f"Resource Arn {f2} is being deleted.",
    )
    expect_error(
        lambda: slow.untag_resource(resourceArn=f2, tagKeys=["a"]),
        "ResourceInUseException",
        f"Resource Arn {f2} is being deleted.",
    )
