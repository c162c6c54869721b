"""Batch inference and batch segment jobs through boto3 on the local target: JSON Lines
read from ``s3://``, the service's output format written to the output path, bad lines
reported per line, and the rules checked at create time."""

from __future__ import annotations

import json

import pytest
from personalize_steps import ROLE, WORKSHOP, Group, workshop_facts

from personalize_reconcile.local.objectstore import LocalObjectStore

P = "arn:aws:personalize:us-east-1:000000000000:"


@pytest.fixture(scope="module")
def facts():
    return workshop_facts()


@pytest.fixture
def workshop(personalize, wait, state_dir):
    schema = (WORKSHOP / "interactions.avsc").read_text()
    return Group(personalize, wait, state_dir, WORKSHOP / "interactions.csv", schema)


def run_job(personalize, wait, version_arn, name="job", source="s3://batch/in/users.json", **extra):
    arn = personalize.create_batch_inference_job(
        jobName=name,
        solutionVersionArn=version_arn,
        jobInput={"s3DataSource": {"path": source}},
        jobOutput={"s3DataDestination": {"path": "s3://batch/out/"}},
        roleArn=ROLE,
        **extra,
    )["batchInferenceJobArn"]
    return wait(
        lambda: personalize.describe_batch_inference_job(batchInferenceJobArn=arn),
        "batchInferenceJob",
    )


def output_lines(state_dir, key="out/users.json.out"):
    raw = LocalObjectStore(state_dir).get(f"s3://batch/{key}")
    return [json.loads(line) for line in raw.decode().splitlines()]


def test_user_personalization_answers_every_line_and_reports_bad_ones(
    workshop, personalize, wait, state_dir, runtime, facts
):
    rows, popular = facts
    user = rows[0]["USER_ID"]
    version = workshop.version("batch-up", "aws-user-personalization-v2")["solutionVersionArn"]
    LocalObjectStore(state_dir).put(
        "s3://batch/in/users.json",
        f'{{"userId": "{user}"}}\n{{"userId": "made-up"}}\nnot json\n[1]\n{{"itemId": "x"}}\n'.encode(),
    )
    job = run_job(personalize, wait, version, numResults=5)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert job["jobName"] == "job" and job["numResults"] == 5
    lines = output_lines(state_dir)
    assert len(lines) == 5
    served = runtime.get_recommendations(
        campaignArn=workshop.campaign("batch-up-c", version), userId=user, numResults=5
    )
    first = lines[0]
    assert first["input"] == {"userId": user} and first["error"] is None
    assert first["output"]["recommendedItems"] == [i["itemId"] for i in served["itemList"]]
    assert len(first["output"]["scores"]) == 5
    assert lines[1]["output"]["recommendedItems"] == popular[:5]
    assert lines[2:] == [
        {"input": "not json", "output": None, "error": "line 3: not valid JSON"},
        {"input": [1], "output": None, "error": "line 4: not a JSON object"},
        {
            "input": {"itemId": "x"},
            "output": None,
            "error": 'line 5: a line for aws-user-personalization-v2 needs "userId" (a string)',
        },
    ]


def test_related_items_and_a_folder_of_inputs(workshop, personalize, wait, state_dir, facts):
    rows, _ = facts
    version = workshop.version("batch-sims", "aws-sims")["solutionVersionArn"]
    store = LocalObjectStore(state_dir)
    store.put(
        "s3://batch/many/a.json", (json.dumps({"itemId": rows[0]["ITEM_ID"]}) + "\n").encode()
    )
    store.put(
        "s3://batch/many/b.json", (json.dumps({"itemId": rows[1]["ITEM_ID"]}) + "\n").encode()
    )
    job = run_job(personalize, wait, version, source="s3://batch/many/", numResults=3)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    for key, row in (("out/a.json.out", rows[0]), ("out/b.json.out", rows[1])):
        (line,) = output_lines(state_dir, key)
        assert line["input"] == {"itemId": row["ITEM_ID"]}
        assert len(line["output"]["recommendedItems"]) == 3
        assert "scores" not in line["output"]


def test_personalized_ranking_orders_the_item_list(workshop, personalize, wait, state_dir, facts):
    rows, popular = facts
    version = workshop.version("batch-rank", "aws-personalized-ranking-v2")["solutionVersionArn"]
    wanted = popular[:4] + ["never-seen"]
    LocalObjectStore(state_dir).put(
        "s3://batch/in/users.json",
        json.dumps({"userId": rows[0]["USER_ID"], "itemList": wanted}).encode(),
    )
    job = run_job(personalize, wait, version)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    (line,) = output_lines(state_dir)
    assert sorted(line["output"]["recommendedItems"]) == sorted(wanted)
    assert line["output"]["recommendedItems"][-1] == "never-seen"


def test_missing_input_fails_the_job_naming_it(workshop, personalize, wait):
    version = workshop.version("batch-none", "aws-popularity-count")["solutionVersionArn"]
    job = run_job(personalize, wait, version, source="s3://batch/nothing.json")
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"].startswith("Input data at s3://batch/nothing.json cannot be read: ")


def test_create_time_rules(workshop, personalize, expect_error):
    trending = workshop.version("batch-trend", "aws-trending-now")["solutionVersionArn"]
    popular = workshop.version("batch-pop", "aws-popularity-count")["solutionVersionArn"]

    def create(version, **extra):
        args = dict(
            jobName="j",
            solutionVersionArn=version,
            jobInput={"s3DataSource": {"path": "s3://batch/in/users.json"}},
            jobOutput={"s3DataDestination": {"path": "s3://batch/out/"}},
            roleArn=ROLE,
        )
        args.update(extra)
        return lambda: personalize.create_batch_inference_job(**args)

    expect_error(
        create(trending),
        "InvalidInputException",
        f"Solution version {trending} uses aws-trending-now, which has no batch inference; "
        "the Trending-Now and Next-Best-Action recipes give no batch recommendations.",
    )
    expect_error(
        create(
            popular,
            batchInferenceJobConfig={"itemExplorationConfig": {"explorationWeight": "0.5"}},
        ),
        "InvalidInputException",
        "itemExplorationConfig is only supported by aws-user-personalization.",
    )
    expect_error(
        create(popular, filterArn=P + "filter/f"),
        "ResourceNotFoundException",
        f"Resource Arn {P}filter/f does not exist.",
    )
    expect_error(
        create(popular, batchInferenceJobMode="THEME_GENERATION"),
        "InvalidInputException",
        "The local target does not generate themes; use batchInferenceJobMode BATCH_INFERENCE.",
    )
    expect_error(
        create(popular, jobOutput={"s3DataDestination": {"path": "https://example.com/o"}}),
        "InvalidInputException",
        "jobOutput.s3DataDestination.path 'https://example.com/o' must be an s3:// location.",
    )
    expect_error(
        create(P + "solution/batch-pop/nope"),
        "ResourceNotFoundException",
        f"Resource Arn {P}solution/batch-pop/nope does not exist.",
    )
    expect_error(
        lambda: personalize.create_batch_segment_job(
            jobName="s",
            solutionVersionArn=popular,
            jobInput={"s3DataSource": {"path": "s3://batch/in/items.json"}},
            jobOutput={"s3DataDestination": {"path": "s3://batch/out/"}},
            roleArn=ROLE,
        ),
        "InvalidInputException",
        f"Solution version {popular} uses aws-popularity-count; a batch segment job needs a "
        "USER_SEGMENTATION recipe (aws-item-affinity or aws-item-attribute-affinity).",
    )


def test_list_by_version_and_names_are_unique(workshop, personalize, wait, state_dir, expect_error):
    version = workshop.version("batch-list", "aws-popularity-count")["solutionVersionArn"]
    LocalObjectStore(state_dir).put("s3://batch/in/users.json", b'{"userId": "u"}\n')
    for name in ("one", "two"):
        run_job(personalize, wait, version, name=name)
    page = personalize.list_batch_inference_jobs(solutionVersionArn=version, maxResults=1)
    rest = personalize.list_batch_inference_jobs(
        solutionVersionArn=version, nextToken=page["nextToken"]
    )
    names = [j["jobName"] for j in page["batchInferenceJobs"] + rest["batchInferenceJobs"]]
    assert names == ["one", "two"]
    assert {j["status"] for j in page["batchInferenceJobs"]} == {"ACTIVE"}
    expect_error(
        lambda: run_job(personalize, wait, version, name="one"),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {P}batch-inference-job/one already exists.",
    )
