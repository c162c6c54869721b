"""Contract tests, data side: dataset groups, schemas, datasets, import jobs, event
trackers and filters, through boto3 against the local target.

Every answer is also checked against its botocore output shape / modeled errors by the
clients of ``conftest.py``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from deletes import delete_until_gone, expect_in_use
from schemas import INTERACTIONS, ITEMS, ITEMS_BAD_V2, ITEMS_V2
from workshop_data import WORKSHOP

from personalize_reconcile.local.datastore import DatasetStore
from personalize_reconcile.local.objectstore import LocalObjectStore

P = "arn:aws:personalize:us-east-1:000000000000:"
ARN_PATTERN = r"arn:([a-z\d-]+):personalize:.*:.*:.+"


def tags(n: int) -> list[dict]:
    return [{"tagKey": f"k{i}", "tagValue": "v"} for i in range(n)]


@pytest.fixture
def group(personalize) -> str:
    return personalize.create_dataset_group(name="g")["datasetGroupArn"]


@pytest.fixture
def schema(personalize) -> str:
    return personalize.create_schema(name="inter", schema=INTERACTIONS)["schemaArn"]


@pytest.fixture
def dataset(personalize, group, schema) -> str:
    return personalize.create_dataset(
        name="g-inter", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
    )["datasetArn"]


# -- dataset groups -------------------------------------------------------------------------


def test_dataset_group_create_describe_list(personalize):
    out = personalize.create_dataset_group(
        name="shop", domain="ECOMMERCE", tags=[{"tagKey": "team", "tagValue": "ml"}]
    )
    arn = P + "dataset-group/shop"
    assert out["datasetGroupArn"] == arn and out["domain"] == "ECOMMERCE"
    g = personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
    assert (g["name"], g["status"], g["domain"]) == ("shop", "ACTIVE", "ECOMMERCE")
    assert g["creationDateTime"] <= g["lastUpdatedDateTime"]
    listed = personalize.list_dataset_groups()["datasetGroups"]
    assert [x["datasetGroupArn"] for x in listed] == [arn]
    assert "roleArn" not in listed[0]
    assert personalize.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"tagKey": "team", "tagValue": "ml"}
    ]


def test_dataset_group_with_kms(personalize):
    arn = personalize.create_dataset_group(
        name="enc",
        roleArn="arn:aws:iam::000000000000:role/r",
        kmsKeyArn="arn:aws:kms:us-east-1:000000000000:key/k",
    )["datasetGroupArn"]
    g = personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
    assert g["roleArn"] == "arn:aws:iam::000000000000:role/r"
    assert g["kmsKeyArn"] == "arn:aws:kms:us-east-1:000000000000:key/k"


def test_dataset_group_errors(personalize, expect_error):
    personalize.create_dataset_group(name="g1")
    expect_error(
        lambda: personalize.create_dataset_group(name="g1"),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {P}dataset-group/g1 already exists.",
    )
    expect_error(
        lambda: personalize.create_dataset_group(name="bad name"),
        "InvalidInputException",
        "1 validation error detected: Value 'bad name' at 'name' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: "
        r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*",
    )
    expect_error(
        lambda: personalize.create_dataset_group(name="x" * 64),
        "InvalidInputException",
        f"1 validation error detected: Value '{'x' * 64}' at 'name' failed to satisfy "
        "constraint: Member must have length less than or equal to 63",
    )
    expect_error(
        lambda: personalize.create_dataset_group(
            name="r", roleArn="arn:aws:iam::000000000000:role/r"
        ),
        "InvalidInputException",
        "roleArn can only be specified together with kmsKeyArn.",
    )
    expect_error(
        lambda: personalize.create_dataset_group(name="t", tags=tags(51)),
        "TooManyTagsException",
        "A resource can have at most 50 tags.",
    )
    for i in range(2, 6):
        personalize.create_dataset_group(name=f"g{i}")
    expect_error(
        lambda: personalize.create_dataset_group(name="g6"),
        "LimitExceededException",
        "You have reached the limit of 5 dataset groups in this region.",
    )
    expect_error(
        lambda: personalize.describe_dataset_group(datasetGroupArn=P + "dataset-group/no"),
        "ResourceNotFoundException",
        f"Resource Arn {P}dataset-group/no does not exist.",
    )
    expect_error(
        lambda: personalize.describe_dataset_group(datasetGroupArn="nope"),
        "InvalidInputException",
        "1 validation error detected: Value 'nope' at 'datasetGroupArn' failed to "
        f"satisfy constraint: Member must satisfy regular expression pattern: "
        f"{ARN_PATTERN}",
    )


def test_validation_errors_are_counted_and_joined(personalize, expect_error):
    expect_error(
        lambda: personalize.create_dataset_group(name="bad name", domain="RETAIL"),
        "InvalidInputException",
        "2 validation errors detected: Value 'bad name' at 'name' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: "
        r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*; Value 'RETAIL' at 'domain' failed to satisfy "
        "constraint: Member must satisfy enum value set: [ECOMMERCE, VIDEO_ON_DEMAND]",
    )
    expect_error(
        lambda: personalize.create_dataset_group(
            name="ok", tags=[{"tagKey": "k" * 129, "tagValue": "v"}]
        ),
        "InvalidInputException",
        f"1 validation error detected: Value '{'k' * 129}' at 'tags.1.member.tagKey' failed "
        "to satisfy constraint: Member must have length less than or equal to 128",
    )


def test_dataset_group_delete(personalize, group, dataset):
    expect_in_use(personalize, group, dataset)
    delete_until_gone(personalize, dataset)
    delete_until_gone(personalize, group)
    # the name is free again and yields the same ARN (reference §1)
    assert personalize.create_dataset_group(name="g")["datasetGroupArn"] == group


def test_list_pagination_and_bad_token(personalize, expect_error):
    for i in range(5):
        personalize.create_dataset_group(name=f"p{i}")
    page1 = personalize.list_dataset_groups(maxResults=2)
    assert [g["name"] for g in page1["datasetGroups"]] == ["p0", "p1"]
    page2 = personalize.list_dataset_groups(maxResults=2, nextToken=page1["nextToken"])
    page3 = personalize.list_dataset_groups(maxResults=2, nextToken=page2["nextToken"])
    assert [g["name"] for g in page2["datasetGroups"] + page3["datasetGroups"]] == [
        "p2",
        "p3",
        "p4",
    ]
    assert "nextToken" not in page3
    names = [
        g["name"]
        for p in personalize.get_paginator("list_dataset_groups").paginate(
            PaginationConfig={"PageSize": 1}
        )
        for g in p["datasetGroups"]
    ]
    assert names == [f"p{i}" for i in range(5)]
    expect_error(
        lambda: personalize.list_dataset_groups(nextToken="garbage"),
        "InvalidNextTokenException",
        "The nextToken is not valid for this request.",
    )
    # a token of another listing is not valid either
    expect_error(
        lambda: personalize.list_schemas(nextToken=page1["nextToken"]),
        "InvalidNextTokenException",
        "The nextToken is not valid for this request.",
    )
    expect_error(
        lambda: personalize.list_dataset_groups(maxResults=101),
        "InvalidInputException",
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 100",
    )


def test_region_and_account_come_from_the_client(make_client):
    west = make_client(region="eu-west-1")
    other = make_client(account_id="123456789012")
    arn = west.create_dataset_group(name="g")["datasetGroupArn"]
    assert arn == "arn:aws:personalize:eu-west-1:000000000000:dataset-group/g"
    assert (
        other.create_dataset_group(name="g")["datasetGroupArn"]
        == "arn:aws:personalize:us-east-1:123456789012:dataset-group/g"
    )
    east = make_client()
    assert east.list_dataset_groups()["datasetGroups"] == []


# -- schemas ------------------------------------------------------------------------------


def test_schema_create_describe_list_delete(personalize):
    arn = personalize.create_schema(name="s", schema=INTERACTIONS)["schemaArn"]
    assert arn == P + "schema/s"
    s = personalize.describe_schema(schemaArn=arn)["schema"]
    assert s["schema"] == INTERACTIONS and "status" not in s
    dom = personalize.create_schema(
        name="d",
        schema=INTERACTIONS.replace(
            '"TIMESTAMP"', '"EVENT_TYPE", "type": "string"}, {"name": "TIMESTAMP"'
        ),
        domain="ECOMMERCE",
    )["schemaArn"]
    listed = personalize.list_schemas()["schemas"]
    assert [x["schemaArn"] for x in listed] == [arn, dom]
    assert listed[1]["domain"] == "ECOMMERCE" and "schema" not in listed[0]
    personalize.delete_schema(schemaArn=arn)
    assert [x["schemaArn"] for x in personalize.list_schemas()["schemas"]] == [dom]


def test_schema_errors(personalize, dataset, schema, expect_error):
    expect_error(
        lambda: personalize.create_schema(name="inter", schema=INTERACTIONS),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {P}schema/inter already exists.",
    )
    expect_error(
        lambda: personalize.create_schema(name="j", schema="{not json"),
        "InvalidInputException",
        "The schema is not valid JSON: Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)",
    )
    expect_error(  # Python's json reads these; JSON has no such values
        lambda: personalize.create_schema(
            name="j", schema=INTERACTIONS.replace('"1.0"', "Infinity")
        ),
        "InvalidInputException",
        "The schema is not valid JSON: Infinity is not a JSON value",
    )
    expect_error(
        lambda: personalize.create_schema(name="j", schema="[" * 9_000 + "]" * 9_000),
        "InvalidInputException",
        "The schema is not valid JSON: it nests too deeply.",
    )
    msg = expect_error(
        lambda: personalize.create_schema(
            name="a",
            schema=json.dumps(
                {"type": "record", "name": "X", "fields": [{"name": "A", "type": "array"}]}
            ),
        ),
        "InvalidInputException",
    )
    assert msg.startswith("Invalid schema: ") and "(at fields[0].type)" in msg
    expect_error(
        lambda: personalize.delete_schema(schemaArn=schema),
        "ResourceInUseException",
        f"Resource Arn {schema} is in use by {dataset}.",
    )
    expect_error(
        lambda: personalize.describe_schema(schemaArn=P + "schema/none"),
        "ResourceNotFoundException",
        f"Resource Arn {P}schema/none does not exist.",
    )
    expect_error(
        lambda: personalize.delete_schema(schemaArn=P + "schema/none"),
        "ResourceNotFoundException",
        f"Resource Arn {P}schema/none does not exist.",
    )


def test_schema_limit(personalize, expect_error):
    for i in range(500):
        personalize.create_schema(name=f"s{i}", schema=INTERACTIONS)
    expect_error(
        lambda: personalize.create_schema(name="s500", schema=INTERACTIONS),
        "LimitExceededException",
        "You have reached the limit of 500 schemas in this region.",
    )


# -- datasets --------------------------------------------------------------------------------


def test_dataset_create_describe_list(personalize, group, schema):
    arn = personalize.create_dataset(
        name="d", datasetGroupArn=group, datasetType="interactions", schemaArn=schema, tags=tags(2)
    )["datasetArn"]
    assert arn == P + "dataset/g/INTERACTIONS"
    d = personalize.describe_dataset(datasetArn=arn)["dataset"]
    assert (d["datasetType"], d["schemaArn"], d["datasetGroupArn"], d["status"]) == (
        "INTERACTIONS",
        schema,
        group,
        "ACTIVE",
    )
    assert "trackingId" not in d
    listed = personalize.list_datasets(datasetGroupArn=group)["datasets"]
    assert [(x["datasetArn"], x["datasetType"]) for x in listed] == [(arn, "INTERACTIONS")]
    assert personalize.list_datasets(datasetGroupArn=P + "dataset-group/other")["datasets"] == []


def test_dataset_errors(personalize, group, schema, dataset, expect_error):
    expect_error(
        lambda: personalize.create_dataset(
            name="d2", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
        ),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {dataset} already exists.",
    )
    expect_error(
        lambda: personalize.create_dataset(
            name="g-inter", datasetGroupArn=group, datasetType="Items", schemaArn=schema
        ),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {dataset} already exists.",
    )
    expect_error(
        lambda: personalize.create_dataset(
            name="d3", datasetGroupArn=group, datasetType="Clicks", schemaArn=schema
        ),
        "InvalidInputException",
        "Invalid datasetType 'Clicks'; valid types: Interactions, "
        "Items, Users, Actions, Action_Interactions.",
    )
    items = personalize.create_schema(name="items", schema=ITEMS)["schemaArn"]
    msg = expect_error(
        lambda: personalize.create_dataset(
            name="d4", datasetGroupArn=group, datasetType="Users", schemaArn=items
        ),
        "InvalidInputException",
    )
    assert msg.startswith(f"Schema {items} does not fit a dataset of type Users: ")
    expect_error(
        lambda: personalize.create_dataset(
            name="d5",
            datasetGroupArn=P + "dataset-group/none",
            datasetType="Items",
            schemaArn=schema,
        ),
        "ResourceNotFoundException",
        f"Resource Arn {P}dataset-group/none does not exist.",
    )
    expect_error(
        lambda: personalize.create_dataset(
            name="d6", datasetGroupArn=group, datasetType="Items", schemaArn=P + "schema/none"
        ),
        "ResourceNotFoundException",
        f"Resource Arn {P}schema/none does not exist.",
    )
    expect_error(
        lambda: personalize.create_dataset(
            name="d7", datasetGroupArn=group, datasetType="Items", schemaArn=items, tags=tags(51)
        ),
        "TooManyTagsException",
        "A resource can have at most 50 tags.",
    )
    shop = personalize.create_dataset_group(name="shop", domain="ECOMMERCE")["datasetGroupArn"]
    expect_error(
        lambda: personalize.create_dataset(
            name="d8", datasetGroupArn=shop, datasetType="Items", schemaArn=items
        ),
        "InvalidInputException",
        f"Schema {items} has domain none but dataset group {shop} has domain ECOMMERCE.",
    )
    expect_error(
        lambda: personalize.describe_dataset(datasetArn=P + "dataset/g/ITEMS"),
        "ResourceNotFoundException",
        f"Resource Arn {P}dataset/g/ITEMS does not exist.",
    )


def test_dataset_needs_an_active_group(make_client, expect_error):
    slow = make_client(durations={"dataset-group": 30})
    group = slow.create_dataset_group(name="slow")["datasetGroupArn"]
    schema = slow.create_schema(name="s", schema=INTERACTIONS)["schemaArn"]
    assert (
        slow.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"]
        == "CREATE PENDING"
    )
    expect_error(
        lambda: slow.create_dataset(
            name="d", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
        ),
        "ResourceInUseException",
        f"Resource Arn {group} is in CREATE PENDING state; it must be ACTIVE.",
    )
    expect_error(
        lambda: slow.delete_dataset_group(datasetGroupArn=group),
        "ResourceInUseException",
        f"Resource Arn {group} is in CREATE PENDING state and cannot be deleted.",
    )


def test_update_dataset(personalize, group, wait, expect_error, dataset):
    v1 = personalize.create_schema(name="items1", schema=ITEMS)["schemaArn"]
    v2 = personalize.create_schema(name="items2", schema=ITEMS_V2)["schemaArn"]
    bad = personalize.create_schema(name="items3", schema=ITEMS_BAD_V2)["schemaArn"]
    items = personalize.create_dataset(
        name="items", datasetGroupArn=group, datasetType="ITEMS", schemaArn=v1
    )["datasetArn"]
    expect_error(
        lambda: personalize.update_dataset(datasetArn=items, schemaArn=bad),
        "InvalidInputException",
        "Field PRICE is new, so it must allow null.",
    )
    expect_error(
        lambda: personalize.update_dataset(datasetArn=dataset, schemaArn=v2),
        "InvalidInputException",
        f"Only Items and Users datasets can be updated; {dataset} is of type INTERACTIONS.",
    )
    expect_error(
        lambda: personalize.update_dataset(datasetArn=items, schemaArn=P + "schema/x"),
        "ResourceNotFoundException",
        f"Resource Arn {P}schema/x does not exist.",
    )
    expect_error(
        lambda: personalize.update_dataset(datasetArn=P + "dataset/g/USERS", schemaArn=v2),
        "ResourceNotFoundException",
        f"Resource Arn {P}dataset/g/USERS does not exist.",
    )
    assert personalize.update_dataset(datasetArn=items, schemaArn=v2)["datasetArn"] == items
    d = personalize.describe_dataset(datasetArn=items)["dataset"]
    assert d["schemaArn"] == v2
    assert d["latestDatasetUpdate"]["schemaArn"] == v2
    assert d["latestDatasetUpdate"]["status"] == "ACTIVE"
    # and back: dropping PRICE is not allowed
    expect_error(
        lambda: personalize.update_dataset(datasetArn=items, schemaArn=v1),
        "InvalidInputException",
        f"The new schema must keep every field of {v2}; it lacks PRICE.",
    )


def test_update_dataset_while_updating(make_client, expect_error):
    c = make_client(durations={"dataset": 30, "dataset-group": 0})
    group = c.create_dataset_group(name="g")["datasetGroupArn"]
    v1 = c.create_schema(name="i1", schema=ITEMS)["schemaArn"]
    v2 = c.create_schema(name="i2", schema=ITEMS_V2)["schemaArn"]
    items = c.create_dataset(
        name="items", datasetGroupArn=group, datasetType="Items", schemaArn=v1
    )["datasetArn"]
    expect_error(
        lambda: c.update_dataset(datasetArn=items, schemaArn=v2),
        "ResourceInUseException",
        f"Resource Arn {items} is in CREATE PENDING state; it must be ACTIVE.",
    )


def test_dataset_delete_preconditions(personalize, group, dataset):
    f = personalize.create_filter(
        name="f",
        datasetGroupArn=group,
        filterExpression='EXCLUDE ItemID WHERE Items.GENRE IN ("x")',
    )
    expect_in_use(personalize, dataset, f["filterArn"])
    delete_until_gone(personalize, f["filterArn"])
    tracker = personalize.create_event_tracker(name="t", datasetGroupArn=group)
    expect_in_use(personalize, dataset, tracker["eventTrackerArn"])
    delete_until_gone(personalize, tracker["eventTrackerArn"])
    delete_until_gone(personalize, dataset)


# -- dataset import jobs -----------------------------------------------------------------------


def put_workshop(state_dir: Path, key: str = "interactions.csv") -> str:
    uri = f"s3://bucket/{key}"
    LocalObjectStore(state_dir).put(uri, (WORKSHOP / "interactions.csv").read_bytes())
    return uri


WORKSHOP_SCHEMA = (WORKSHOP / "interactions.avsc").read_text()


@pytest.fixture
def workshop_dataset(personalize, group) -> str:
    schema = personalize.create_schema(name="ws", schema=WORKSHOP_SCHEMA)["schemaArn"]
    return personalize.create_dataset(
        name="ws", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
    )["datasetArn"]


def test_import_job_happy_path(personalize, state_dir, workshop_dataset, wait):
    uri = put_workshop(state_dir)
    arn = personalize.create_dataset_import_job(
        jobName="imp1",
        datasetArn=workshop_dataset,
        dataSource={"dataLocation": uri},
        roleArn="arn:aws:iam::000000000000:role/r",
    )["datasetImportJobArn"]
    assert arn == P + "dataset-import-job/imp1"
    job = wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=arn),
        "datasetImportJob",
        timeout=30,
    )
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert (job["importMode"], job["dataSource"], job["publishAttributionMetricsToS3"]) == (
        "FULL",
        {"dataLocation": uri},
        False,
    )
    assert DatasetStore(state_dir).count(workshop_dataset) == 9522
    inc = personalize.create_dataset_import_job(
        jobName="imp2",
        datasetArn=workshop_dataset,
        dataSource={"dataLocation": uri},
        importMode="INCREMENTAL",
    )["datasetImportJobArn"]
    assert (
        wait(
            lambda: personalize.describe_dataset_import_job(datasetImportJobArn=inc),
            "datasetImportJob",
            timeout=30,
        )["status"]
        == "ACTIVE"
    )
    listed = personalize.list_dataset_import_jobs(datasetArn=workshop_dataset)
    assert [(j["jobName"], j["importMode"]) for j in listed["datasetImportJobs"]] == [
        ("imp1", "FULL"),
        ("imp2", "INCREMENTAL"),
    ]


def test_a_dataset_whose_records_cannot_be_removed_is_not_forgotten(
    personalize, state_dir, group, workshop_dataset, wait, wait_gone, fast_forward, caplog
):
    arn = personalize.create_dataset_import_job(
        jobName="imp1",
        datasetArn=workshop_dataset,
        dataSource={"dataLocation": put_workshop(state_dir)},
        roleArn="arn:aws:iam::000000000000:role/r",
    )["datasetImportJobArn"]
    wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=arn), "datasetImportJob"
    )
    assert DatasetStore(state_dir).count(workshop_dataset) == 9522
    # a directory where a file of the stored records is: removing it fails
    records = DatasetStore(state_dir).path_of(workshop_dataset)
    blocker = Path(f"{records}-journal")
    blocker.mkdir()
    personalize.delete_dataset(datasetArn=workshop_dataset)
    message = f"the delete of {workshop_dataset} waits: its stored records could not be removed"
    deadline = time.monotonic() + 60
    while not any(r.getMessage().startswith(message) for r in caplog.records):
        assert time.monotonic() < deadline, "the delete never tried to remove the records"
        personalize.list_datasets(datasetGroupArn=group)  # runs the due steps
        time.sleep(0.02)
    assert (
        personalize.describe_dataset(datasetArn=workshop_dataset)["dataset"]["status"]
        == "DELETE IN_PROGRESS"
    )
    assert records.is_file()  # the records are kept whole, the side files go first
    blocker.rmdir()
    fast_forward(workshop_dataset)  # the retry, now rather than in 5 s
    wait_gone(lambda: personalize.describe_dataset(datasetArn=workshop_dataset))
    again = personalize.create_dataset(
        name="ws",
        datasetGroupArn=group,
        datasetType="Interactions",
        schemaArn=personalize.list_schemas()["schemas"][0]["schemaArn"],
    )["datasetArn"]
    assert again == workshop_dataset
    assert DatasetStore(state_dir).count(again) == 0


def test_import_job_failures(personalize, state_dir, workshop_dataset, wait):
    uri = put_workshop(state_dir)
    first = personalize.create_dataset_import_job(
        jobName="inc-first",
        datasetArn=workshop_dataset,
        dataSource={"dataLocation": uri},
        importMode="INCREMENTAL",
    )["datasetImportJobArn"]
    job = wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=first),
        "datasetImportJob",
        timeout=30,
    )
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == (
        f"INCREMENTAL import into {workshop_dataset} needs an earlier FULL or INCREMENTAL "
        "import of that dataset; use importMode FULL first"
    )
    lines = (WORKSHOP / "interactions.csv").read_bytes().splitlines(keepends=True)
    LocalObjectStore(state_dir).put("s3://bucket/small.csv", b"".join(lines[:11]))
    small = personalize.create_dataset_import_job(
        jobName="small",
        datasetArn=workshop_dataset,
        dataSource={"dataLocation": "s3://bucket/small.csv"},
    )["datasetImportJobArn"]
    job = wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=small),
        "datasetImportJob",
        timeout=30,
    )
    assert (job["status"], job["failureReason"]) == (
        "CREATE FAILED",
        (
            "Input data at s3://bucket/small.csv has 10 records; an import job needs at least "
            "1000 interaction records"
        ),
    )
    missing = personalize.create_dataset_import_job(
        jobName="missing",
        datasetArn=workshop_dataset,
        dataSource={"dataLocation": "s3://bucket/none.csv"},
    )["datasetImportJobArn"]
    job = wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=missing),
        "datasetImportJob",
        timeout=30,
    )
    assert (job["status"], job["failureReason"]) == (
        "CREATE FAILED",
        "No object at s3://bucket/none.csv",
    )
    summaries = personalize.list_dataset_import_jobs()["datasetImportJobs"]
    assert [s["status"] for s in summaries] == ["CREATE FAILED"] * 3
    assert summaries[1]["failureReason"].startswith("Input data at s3://bucket/small.csv")


def test_import_job_errors(personalize, dataset, expect_error, make_client):
    src = {"dataLocation": "s3://bucket/x.csv"}
    personalize.create_dataset_import_job(jobName="j", datasetArn=dataset, dataSource=src)
    expect_error(
        lambda: personalize.create_dataset_import_job(
            jobName="j", datasetArn=dataset, dataSource=src
        ),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {P}dataset-import-job/j already exists.",
    )
    expect_error(
        lambda: personalize.create_dataset_import_job(
            jobName="k", datasetArn=P + "dataset/g/ITEMS", dataSource=src
        ),
        "ResourceNotFoundException",
        f"Resource Arn {P}dataset/g/ITEMS does not exist.",
    )
    expect_error(
        lambda: personalize.create_dataset_import_job(
            jobName="k", datasetArn=dataset, dataSource={"dataLocation": "ftp://x"}
        ),
        "InvalidInputException",
        "1 validation error detected: Value 'ftp://x' at "
        "'dataSource.dataLocation' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: (s3|http|https)://.+",
    )
    expect_error(
        lambda: personalize.create_dataset_import_job(
            jobName="k", datasetArn=dataset, dataSource={}
        ),
        "InvalidInputException",
        "dataSource.dataLocation is required.",
    )
    expect_error(
        lambda: personalize.create_dataset_import_job(
            jobName="k", datasetArn=dataset, dataSource=src, tags=tags(51)
        ),
        "TooManyTagsException",
        "A resource can have at most 50 tags.",
    )
    expect_error(
        lambda: personalize.describe_dataset_import_job(
            datasetImportJobArn=P + "dataset-import-job/none"
        ),
        "ResourceNotFoundException",
        f"Resource Arn {P}dataset-import-job/none does not exist.",
    )


def test_import_job_limit_and_dataset_state(make_client, expect_error):
    c = make_client(durations={"dataset-import-job": 60})
    g = c.create_dataset_group(name="g")["datasetGroupArn"]
    s = c.create_schema(name="s", schema=INTERACTIONS)["schemaArn"]
    d = c.create_dataset(name="d", datasetGroupArn=g, datasetType="Interactions", schemaArn=s)[
        "datasetArn"
    ]
    src = {"dataLocation": "s3://bucket/x.csv"}
    for i in range(5):
        c.create_dataset_import_job(jobName=f"j{i}", datasetArn=d, dataSource=src)
    expect_error(
        lambda: c.create_dataset_import_job(jobName="j5", datasetArn=d, dataSource=src),
        "LimitExceededException",
        "You have reached the limit of 5 dataset import "
        "jobs pending or in progress in this region.",
    )
    expect_error(
        lambda: c.delete_dataset(datasetArn=d),
        "ResourceInUseException",
        f"Resource Arn {d} is in use by {P}dataset-import-job/j0.",
    )
    slow = make_client(durations={"dataset": 60})
    s2 = slow.create_schema(name="items", schema=ITEMS)["schemaArn"]
    items = slow.create_dataset(name="items", datasetGroupArn=g, datasetType="Items", schemaArn=s2)[
        "datasetArn"
    ]
    expect_error(
        lambda: slow.create_dataset_import_job(jobName="x", datasetArn=items, dataSource=src),
        "ResourceInUseException",
        f"Resource Arn {items} is in CREATE PENDING state; it must be ACTIVE.",
    )


def test_import_job_names_are_spent(personalize, group, dataset, wait, wait_gone, expect_error):
    src = {"dataLocation": "s3://bucket/x.csv"}
    personalize.create_dataset_import_job(jobName="once", datasetArn=dataset, dataSource=src)
    wait(
        lambda: personalize.describe_dataset_import_job(
            datasetImportJobArn=P + "dataset-import-job/once"
        ),
        "datasetImportJob",
    )
    personalize.delete_dataset(datasetArn=dataset)
    wait_gone(lambda: personalize.describe_dataset(datasetArn=dataset))
    s = personalize.create_schema(name="s2", schema=INTERACTIONS)["schemaArn"]
    d2 = personalize.create_dataset(
        name="again", datasetGroupArn=group, datasetType="Interactions", schemaArn=s
    )["datasetArn"]
    expect_error(
        lambda: personalize.create_dataset_import_job(
            jobName="once", datasetArn=d2, dataSource=src
        ),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {P}dataset-import-job/once already exists.",
    )


# -- event trackers -----------------------------------------------------------------------


def test_event_tracker(personalize, group, dataset, wait_gone, expect_error):
    out = personalize.create_event_tracker(name="t", datasetGroupArn=group, tags=tags(1))
    arn, tracking = out["eventTrackerArn"], out["trackingId"]
    assert arn.startswith(P + "event-tracker/") and len(arn.rsplit("/", 1)[1]) == 8
    t = personalize.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]
    assert (t["name"], t["trackingId"], t["accountId"], t["datasetGroupArn"], t["status"]) == (
        "t",
        tracking,
        "000000000000",
        group,
        "ACTIVE",
    )
    assert personalize.describe_dataset(datasetArn=dataset)["dataset"]["trackingId"] == tracking
    assert [
        x["eventTrackerArn"]
        for x in personalize.list_event_trackers(datasetGroupArn=group)["eventTrackers"]
    ] == [arn]
    expect_error(
        lambda: personalize.create_event_tracker(name="t2", datasetGroupArn=group),
        "ResourceAlreadyExistsException",
        f"Dataset group {group} already has event tracker {arn}.",
    )
    g2 = personalize.create_dataset_group(name="g2")["datasetGroupArn"]
    expect_error(
        lambda: personalize.create_event_tracker(name="t", datasetGroupArn=g2),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {arn} already exists.",
    )
    expect_error(
        lambda: personalize.create_event_tracker(name="t3", datasetGroupArn=g2, tags=tags(51)),
        "TooManyTagsException",
        "A resource can have at most 50 tags.",
    )
    expect_error(
        lambda: personalize.create_event_tracker(
            name="t4", datasetGroupArn=P + "dataset-group/none"
        ),
        "ResourceNotFoundException",
        f"Resource Arn {P}dataset-group/none does not exist.",
    )
    expect_in_use(personalize, group, dataset)
    delete_until_gone(personalize, arn)


def test_event_tracker_needs_active_group(make_client, expect_error):
    c = make_client(durations={"dataset-group": 60})
    g = c.create_dataset_group(name="g")["datasetGroupArn"]
    expect_error(
        lambda: c.create_event_tracker(name="t", datasetGroupArn=g),
        "ResourceInUseException",
        f"Resource Arn {g} is in CREATE PENDING state; it must be ACTIVE.",
    )


# -- filters --------------------------------------------------------------------------------

EXPR = "INCLUDE ItemID WHERE Items.GENRE IN ($GENRES)"


def test_filter(personalize, group, wait_gone, expect_error):
    arn = personalize.create_filter(
        name="f", datasetGroupArn=group, filterExpression=EXPR, tags=tags(3)
    )["filterArn"]
    assert arn == P + "filter/f"
    f = personalize.describe_filter(filterArn=arn)["filter"]
    assert (f["filterExpression"], f["datasetGroupArn"], f["status"]) == (EXPR, group, "ACTIVE")
    listed = personalize.list_filters(datasetGroupArn=group)["Filters"]
    assert [x["filterArn"] for x in listed] == [arn] and "filterExpression" not in listed[0]
    expect_error(
        lambda: personalize.create_filter(name="f", datasetGroupArn=group, filterExpression=EXPR),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {arn} already exists.",
    )
    expect_error(
        lambda: personalize.create_filter(
            name="bad", datasetGroupArn=group, filterExpression="ItemID = 1"
        ),
        "InvalidInputException",
        "Invalid filter expression: it must start with "
        "INCLUDE or EXCLUDE, then ItemID, UserID or ActionID, then WHERE and a "
        "condition.",
    )
    expect_error(
        lambda: personalize.create_filter(
            name="g", datasetGroupArn=P + "dataset-group/none", filterExpression=EXPR
        ),
        "ResourceNotFoundException",
        f"Resource Arn {P}dataset-group/none does not exist.",
    )
    expect_error(
        lambda: personalize.create_filter(
            name="t", datasetGroupArn=group, filterExpression=EXPR, tags=tags(51)
        ),
        "TooManyTagsException",
        "A resource can have at most 50 tags.",
    )
    for i in range(29):
        personalize.create_filter(name=f"f{i}", datasetGroupArn=group, filterExpression=EXPR)
    expect_error(
        lambda: personalize.create_filter(name="f30", datasetGroupArn=group, filterExpression=EXPR),
        "LimitExceededException",
        f"Dataset group {group} already has 30 filters, the limit.",
    )
    delete_until_gone(personalize, arn)


def test_an_import_works_while_in_progress_and_settles_at_its_duration(
    make_client, state_dir, group, workshop_dataset, fast_forward
):
    slow = make_client(durations={"dataset-import-job": 600})
    arn = slow.create_dataset_import_job(
        jobName="imp-slow",
        datasetArn=workshop_dataset,
        dataSource={"dataLocation": put_workshop(state_dir)},
        roleArn="arn:aws:iam::000000000000:role/r",
    )["datasetImportJobArn"]
    describe = lambda: slow.describe_dataset_import_job(datasetImportJobArn=arn)  # noqa: E731
    assert describe()["datasetImportJob"]["status"] == "CREATE PENDING"
    assert DatasetStore(state_dir).count(workshop_dataset) == 0
    fast_forward(arn, one_step=True)  # leaves PENDING: the import runs now
    deadline = time.monotonic() + 60  # against a hang only
    while DatasetStore(state_dir).count(workshop_dataset) != 9522:
        assert time.monotonic() < deadline, "the import never ran"
        time.sleep(0.02)
    # the rows are in, but the job settles only when its 600 s are over
    assert describe()["datasetImportJob"]["status"] == "CREATE IN_PROGRESS"
    out = fast_forward(arn)
    assert out.startswith(f"create settle of {arn}: due now (was in ")
    assert out.endswith("s)\n1 step(s) brought forward.\n")
    assert describe()["datasetImportJob"]["status"] == "ACTIVE"
