"""User segmentation on the local target through boto3: aws-item-affinity and
aws-item-attribute-affinity train, report the segmentation metrics, refuse Items columns
without signal, and batch segment jobs write users per item or per attribute expression.

The data has a planted pattern: users ``c000``-``c149`` interact only with comedies
(items ``i00``-``i19``, GENRES ``Comedy``) and ``d000``-``d149`` only with dramas
(``i20``-``i39``, ``Drama``). Every segment for a comedy must hold comedy fans only.
"""

from __future__ import annotations

import json

import pytest
from personalize_steps import BUCKET, ROLE
from planted_data import COMEDY_FANS, DRAMA_FANS, as_csv, interactions_csv, items_csv
from schemas import INTERACTIONS, ITEM_ID, record

from personalize_reconcile.local.objectstore import LocalObjectStore

P = "arn:aws:personalize:us-east-1:000000000000:"
GENRES = {"name": "GENRES", "type": "string", "categorical": True}
COLOR = {"name": "COLOR", "type": "string", "categorical": True}
TITLE = {"name": "TITLE", "type": "string", "categorical": True}
DESCRIPTION = {"name": "DESCRIPTION", "type": ["null", "string"], "textual": True}
ITEMS_SCHEMA = record("Items", [ITEM_ID, GENRES, COLOR, TITLE, DESCRIPTION])


@pytest.fixture
def group(personalize, wait, state_dir):
    """A dataset group with imported Interactions and Items; returns its ARN."""
    store = LocalObjectStore(state_dir)
    store.put(f"{BUCKET}/seg/interactions.csv", interactions_csv())
    store.put(f"{BUCKET}/seg/items.csv", items_csv())
    grp = personalize.create_dataset_group(name="seg")["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=grp), "datasetGroup")
    for dtype, schema, key in (
        ("Interactions", INTERACTIONS, "interactions"),
        ("Items", ITEMS_SCHEMA, "items"),
    ):
        schema_arn = personalize.create_schema(name=f"seg-{key}", schema=schema)["schemaArn"]
        ds = personalize.create_dataset(
            name=f"seg-{key}", datasetGroupArn=grp, datasetType=dtype, schemaArn=schema_arn
        )["datasetArn"]
        wait(lambda ds=ds: personalize.describe_dataset(datasetArn=ds), "dataset")
        job = personalize.create_dataset_import_job(
            jobName=f"seg-{key}",
            datasetArn=ds,
            roleArn=ROLE,
            dataSource={"dataLocation": f"{BUCKET}/seg/{key}.csv"},
        )["datasetImportJobArn"]
        done = wait(
            lambda job=job: personalize.describe_dataset_import_job(datasetImportJobArn=job),
            "datasetImportJob",
        )
        assert done["status"] == "ACTIVE", done.get("failureReason")
    return grp


def train(personalize, wait, group, name, recipe, **config):
    sol = personalize.create_solution(
        name=name,
        datasetGroupArn=group,
        performAutoTraining=False,
        recipeArn=f"arn:aws:personalize:::recipe/{recipe}",
        **({"solutionConfig": config} if config else {}),
    )["solutionArn"]
    wait(lambda: personalize.describe_solution(solutionArn=sol), "solution")
    ver = personalize.create_solution_version(solutionArn=sol)["solutionVersionArn"]
    return wait(
        lambda: personalize.describe_solution_version(solutionVersionArn=ver), "solutionVersion"
    )


def segment_job(personalize, wait, state_dir, version_arn, lines, num_results=20):
    store = LocalObjectStore(state_dir)
    store.put("s3://seg-batch/in/items.json", "".join(line + "\n" for line in lines).encode())
    arn = personalize.create_batch_segment_job(
        jobName="segments",
        solutionVersionArn=version_arn,
        jobInput={"s3DataSource": {"path": "s3://seg-batch/in/items.json"}},
        jobOutput={"s3DataDestination": {"path": "s3://seg-batch/out/"}},
        roleArn=ROLE,
        numResults=num_results,
    )["batchSegmentJobArn"]
    job = wait(
        lambda: personalize.describe_batch_segment_job(batchSegmentJobArn=arn), "batchSegmentJob"
    )
    assert job["status"] == "ACTIVE", job.get("failureReason")
    raw = store.get("s3://seg-batch/out/items.json.out").decode()
    return [json.loads(line) for line in raw.splitlines()]


def test_item_affinity_segments_hold_the_items_fans(
    personalize, wait, state_dir, group, expect_error
):
    version = train(personalize, wait, group, "affinity", "aws-item-affinity")
    assert version["status"] == "ACTIVE", version.get("failureReason")
    arn = version["solutionVersionArn"]
    expect_error(
        lambda: personalize.create_campaign(name="segments", solutionVersionArn=arn),
        "InvalidInputException",
        f"Solution version {arn} uses aws-item-affinity, a USER_SEGMENTATION recipe, which a "
        "campaign cannot deploy; get its user segments with CreateBatchSegmentJob.",
    )
    metrics = personalize.get_solution_metrics(solutionVersionArn=version["solutionVersionArn"])
    assert metrics["metrics"] == {"hits_at_1_percent": 0.2432, "recall_at_1_percent": 0.0555}
    lines = segment_job(
        personalize,
        wait,
        state_dir,
        version["solutionVersionArn"],
        ['{"itemId": "i00"}', '{"itemId": "i25"}', '{"itemId": "nope"}', '{"userId": "c000"}'],
    )
    assert lines[0]["input"] == {"itemId": "i00"} and lines[0]["error"] is None
    assert len(lines[0]["output"]["usersList"]) == 20
    assert set(lines[0]["output"]["usersList"]) <= COMEDY_FANS
    assert set(lines[1]["output"]["usersList"]) <= DRAMA_FANS
    assert lines[2:] == [
        {
            "input": {"itemId": "nope"},
            "output": None,
            "error": "line 3: item 'nope' was not in the data this solution version trained on",
        },
        {
            "input": {"userId": "c000"},
            "output": None,
            "error": 'line 4: a line for aws-item-affinity needs "itemId" (a string)',
        },
    ]


def test_attribute_affinity_refuses_columns_without_signal(personalize, wait, group):
    version = train(personalize, wait, group, "attr-silent", "aws-item-attribute-affinity")
    assert version["status"] == "CREATE FAILED"
    assert version["failureReason"] == (
        "Items columns carry no signal for aws-item-attribute-affinity: COLOR has the value "
        "'red' for every item; TITLE has a different value for every item (40 items). Leave "
        "them out with solutionConfig.trainingDataConfig.excludedDatasetColumns "
        '{"ITEMS": ["COLOR", "TITLE"]} and train again.'
    )


def test_attribute_affinity_segments_follow_the_genre(personalize, wait, state_dir, group):
    version = train(
        personalize,
        wait,
        group,
        "attr",
        "aws-item-attribute-affinity",
        trainingDataConfig={"excludedDatasetColumns": {"ITEMS": ["COLOR", "TITLE"]}},
    )
    assert version["status"] == "ACTIVE", version.get("failureReason")
    metrics = personalize.get_solution_metrics(solutionVersionArn=version["solutionVersionArn"])
    assert metrics["metrics"] == {"hits_at_1_percent": 0.2432, "recall_at_1_percent": 0.0555}
    lines = segment_job(
        personalize,
        wait,
        state_dir,
        version["solutionVersionArn"],
        [
            '{"itemAttributes": "ITEMS.GENRES = \\"Comedy\\""}',
            '{"itemAttributes": "ITEMS.genres = \\"Drama\\""}',
            '{"itemAttributes": "ITEMS.GENRES = \\"Comedy\\" OR ITEMS.GENRES = \\"Drama\\""}',
            '{"itemAttributes": "ITEMS.COLOR = \\"red\\""}',
            '{"itemAttributes": "ITEMS.GENRES = \\"Western\\""}',
            '{"itemAttributes": "GENRES = Comedy"}',
            '{"itemId": "i00"}',
        ],
    )
    assert set(lines[0]["output"]["usersList"]) <= COMEDY_FANS
    assert len(lines[0]["output"]["usersList"]) == 20
    assert set(lines[1]["output"]["usersList"]) <= DRAMA_FANS
    assert len(lines[2]["output"]["usersList"]) == 20
    assert [line["error"] for line in lines[3:]] == [
        "line 4: itemAttributes 'ITEMS.COLOR = \"red\"': column COLOR is not an attribute "
        "this solution version trained on (it trained on: GENRES)",
        "line 5: itemAttributes 'ITEMS.GENRES = \"Western\"' selects no item of the training data",
        "line 6: itemAttributes 'GENRES = Comedy': expected ITEMS.<column> = \"<value>\" "
        "at character 1",
        'line 7: a line for aws-item-attribute-affinity needs "itemAttributes" (a string)',
    ]


def test_segmentation_applies_the_minimum_data_rules(personalize, wait, state_dir):
    rows = [[f"u{n % 10}", f"i{n % 40:02d}", 1_700_000_000 + n] for n in range(1000)]
    LocalObjectStore(state_dir).put(
        f"{BUCKET}/seg/few-users.csv", as_csv(["USER_ID", "ITEM_ID", "TIMESTAMP"], rows)
    )
    grp = personalize.create_dataset_group(name="seg-few")["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=grp), "datasetGroup")
    schema_arn = personalize.create_schema(name="seg-few", schema=INTERACTIONS)["schemaArn"]
    ds = personalize.create_dataset(
        name="seg-few", datasetGroupArn=grp, datasetType="Interactions", schemaArn=schema_arn
    )["datasetArn"]
    wait(lambda: personalize.describe_dataset(datasetArn=ds), "dataset")
    job = personalize.create_dataset_import_job(
        jobName="seg-few",
        datasetArn=ds,
        roleArn=ROLE,
        dataSource={"dataLocation": f"{BUCKET}/seg/few-users.csv"},
    )["datasetImportJobArn"]
    wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job), "datasetImportJob"
    )
    version = train(personalize, wait, grp, "seg-few", "aws-item-affinity")
    assert version["status"] == "CREATE FAILED"
    assert version["failureReason"] == (
        "Insufficient data to train after filtering: 1000 interactions (at least 1000 "
        "required); 10 users with 2 or more interactions (at least 25 required); 10 of 10 "
        "users (100.00%) have 2 or more interactions (at least 1% required)."
    )


def test_attribute_affinity_needs_an_items_dataset(personalize, wait, state_dir):
    store = LocalObjectStore(state_dir)
    store.put(f"{BUCKET}/seg/interactions.csv", interactions_csv())
    grp = personalize.create_dataset_group(name="seg-no-items")["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=grp), "datasetGroup")
    schema_arn = personalize.create_schema(name="seg-i", schema=INTERACTIONS)["schemaArn"]
    ds = personalize.create_dataset(
        name="seg-i", datasetGroupArn=grp, datasetType="Interactions", schemaArn=schema_arn
    )["datasetArn"]
    wait(lambda: personalize.describe_dataset(datasetArn=ds), "dataset")
    job = personalize.create_dataset_import_job(
        jobName="seg-i",
        datasetArn=ds,
        roleArn=ROLE,
        dataSource={"dataLocation": f"{BUCKET}/seg/interactions.csv"},
    )["datasetImportJobArn"]
    wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job), "datasetImportJob"
    )
    version = train(personalize, wait, grp, "attr-none", "aws-item-attribute-affinity")
    assert version["status"] == "CREATE FAILED"
    assert version["failureReason"] == (
        "aws-item-attribute-affinity needs an Items dataset with at least one categorical "
        "column; create one and import items before training."
    )
