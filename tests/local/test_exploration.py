"""Item exploration of aws-user-personalization campaigns through boto3: the campaign's
itemExplorationConfig mixes cold items (few interactions, created within the age cut-off
of the latest interaction) into GetRecommendations, the same way for the same request.

Data: ``planted_data``'s interactions (items ``i00``-``i39``, each with more than 10
interactions) and an Items dataset that adds ``n00``-``n09``, never interacted with:
``n00``-``n04`` created 2 days before the latest interaction, ``n05``-``n09`` 60 days before.
"""

from __future__ import annotations

import json

import pytest
from personalize_steps import ROLE, make_group
from planted_data import COMEDIES, DRAMAS, as_csv, interactions_csv
from schemas import INTERACTIONS, ITEM_ID, record

from personalize_reconcile.local.objectstore import LocalObjectStore

DAY = 86400
LATEST = 1_700_000_000 + 149 * 1000 + 7 * 60
"""The latest interaction of ``planted_data.interactions_csv``."""
YOUNG = [f"n{i:02d}" for i in range(5)]
OLD = [f"n{i:02d}" for i in range(5, 10)]
ITEMS_SCHEMA = record(
    "Items",
    [
        ITEM_ID,
        {"name": "GENRES", "type": "string", "categorical": True},
        {"name": "CREATION_TIMESTAMP", "type": "long"},
    ],
)


def items_csv() -> bytes:
    rows = [[i, "Comedy" if i in COMEDIES else "Drama", 1_600_000_000] for i in COMEDIES + DRAMAS]
    rows += [[i, "Comedy", LATEST - 2 * DAY] for i in YOUNG]
    rows += [[i, "Comedy", LATEST - 60 * DAY] for i in OLD]
    return as_csv(["ITEM_ID", "GENRES", "CREATION_TIMESTAMP"], rows)


@pytest.fixture
def campaigns(personalize, wait, state_dir):
    """name -> campaign ARN, all on one aws-user-personalization version."""
    group = make_group(
        personalize,
        wait,
        state_dir,
        "explore",
        [("Interactions", INTERACTIONS, interactions_csv()), ("Items", ITEMS_SCHEMA, items_csv())],
    )
    sol = personalize.create_solution(
        name="explore",
        datasetGroupArn=group,
        performAutoTraining=False,
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization",
    )["solutionArn"]
    wait(lambda: personalize.describe_solution(solutionArn=sol), "solution")
    ver = personalize.create_solution_version(solutionArn=sol)["solutionVersionArn"]
    done = wait(
        lambda: personalize.describe_solution_version(solutionVersionArn=ver), "solutionVersion"
    )
    assert done["status"] == "ACTIVE", done.get("failureReason")
    out = {"version": ver}
    for name, explore in (
        ("none", {"explorationWeight": "0"}),
        ("default", None),
        ("young", {"explorationWeight": "0.4", "explorationItemAgeCutOff": "30"}),
        ("older", {"explorationWeight": "0.4", "explorationItemAgeCutOff": "90"}),
    ):
        extra = {"campaignConfig": {"itemExplorationConfig": explore}} if explore else {}
        arn = personalize.create_campaign(
            name=f"explore-{name}", solutionVersionArn=ver, minProvisionedTPS=1, **extra
        )["campaignArn"]
        got = wait(lambda arn=arn: personalize.describe_campaign(campaignArn=arn), "campaign")
        assert got["status"] == "ACTIVE", got.get("failureReason")
        out[name] = arn
    return out


def items(runtime, campaign_arn, user, n=10):
    got = runtime.get_recommendations(campaignArn=campaign_arn, userId=user, numResults=n)
    return [(i["itemId"], i["score"]) for i in got["itemList"]]


def test_exploration_mixes_young_cold_items_among_the_models_own(runtime, campaigns):
    for user in ("c000", "c120", "d050"):
        plain = items(runtime, campaigns["none"], user)
        mixed = items(runtime, campaigns["young"], user)
        cold = [(i, s) for i, s in mixed if i.startswith("n")]
        assert len(cold) == 4 and {i for i, _ in cold} <= set(YOUNG)
        assert all(s == 0.0 for _, s in cold)
        assert [p for p in mixed if not p[0].startswith("n")] == plain[:6]
        assert items(runtime, campaigns["young"], user) == mixed  # same request, same answer
        assert not any(i.startswith("n") for i, _ in plain)


def test_the_age_cut_off_and_the_default_weight(runtime, campaigns):
    seen_old = set()
    for n in range(40):
        user = f"c{n:03d}"
        older = [i for i, _ in items(runtime, campaigns["older"], user) if i.startswith("n")]
        assert len(older) == 4 and set(older) <= set(YOUNG + OLD)
        seen_old |= set(older) & set(OLD)
        default = [i for i, _ in items(runtime, campaigns["default"], user) if i.startswith("n")]
        assert len(default) == 3 and set(default) <= set(YOUNG)
    assert seen_old == set(OLD)


def test_batch_inference_explores_as_its_job_config_asks(personalize, wait, state_dir, campaigns):
    store = LocalObjectStore(state_dir)
    store.put("s3://explore/in/users.json", b'{"userId": "c000"}\n{"userId": "d050"}\n')

    def job(name, config):
        extra = {"batchInferenceJobConfig": {"itemExplorationConfig": config}} if config else {}
        arn = personalize.create_batch_inference_job(
            jobName=name,
            solutionVersionArn=campaigns["version"],
            jobInput={"s3DataSource": {"path": "s3://explore/in/users.json"}},
            jobOutput={"s3DataDestination": {"path": f"s3://explore/{name}/"}},
            roleArn=ROLE,
            numResults=10,
            **extra,
        )["batchInferenceJobArn"]
        done = wait(
            lambda: personalize.describe_batch_inference_job(batchInferenceJobArn=arn),
            "batchInferenceJob",
        )
        assert done["status"] == "ACTIVE", done.get("failureReason")
        raw = store.get(f"s3://explore/{name}/users.json.out").decode()
        return [json.loads(line)["output"]["recommendedItems"] for line in raw.splitlines()]

    plain = job("plain", None)
    mixed = job("mixed", {"explorationWeight": "0.4", "explorationItemAgeCutOff": "30"})
    for before, after in zip(plain, mixed, strict=True):
        assert not any(i.startswith("n") for i in before)
        assert len([i for i in after if i in YOUNG]) == 4
        assert [i for i in after if not i.startswith("n")] == before[:6]


def test_batch_exploration_checks_the_bounds(personalize, wait, state_dir, expect_error, campaigns):
    expect_error(
        lambda: personalize.create_batch_inference_job(
            jobName="bad",
            solutionVersionArn=campaigns["version"],
            jobInput={"s3DataSource": {"path": "s3://explore/in/users.json"}},
            jobOutput={"s3DataDestination": {"path": "s3://explore/bad/"}},
            roleArn=ROLE,
            batchInferenceJobConfig={"itemExplorationConfig": {"explorationWeight": "2"}},
        ),
        "InvalidInputException",
        "itemExplorationConfig.explorationWeight must be between 0 and 1.",
    )
