"""Dataset export jobs and data deletion jobs through boto3 on the local target: what an
export writes to s3:// for each ingestionMode, which records a deletion removes, its
statuses and numDeleted, and that the next training no longer sees the deleted users."""

from __future__ import annotations

import csv
import io

import planted_events
import pytest
from personalize_steps import BUCKET, ROLE, Group
from schemas import USER_ID, record

from personalize_reconcile.local.objectstore import LocalObjectStore

SENT_AT = 1_800_000_000
AGE = {"name": "AGE", "type": ["null", "int"]}


@pytest.fixture
def setup(personalize, make_client, wait, state_dir, tmp_path):
    """The planted group (1200 imported interactions), a Users dataset, two recorded
    events for ua000 and two users put with PutUsers."""
    group = Group(
        personalize,
        wait,
        state_dir,
        planted_events.write(tmp_path / "planted.csv"),
        planted_events.SCHEMA,
        name="jobs",
    )
    schema = personalize.create_schema(name="jobs-users", schema=record("Users", [USER_ID, AGE]))
    users = personalize.create_dataset(
        name="jobs-users",
        datasetGroupArn=group.arn,
        datasetType="Users",
        schemaArn=schema["schemaArn"],
    )["datasetArn"]
    wait(lambda: personalize.describe_dataset(datasetArn=users), "dataset")
    tracker = personalize.create_event_tracker(name="jobs-tracker", datasetGroupArn=group.arn)
    events = make_client("personalize-events")
    events.put_events(
        trackingId=tracker["trackingId"],
        userId="ua000",
        sessionId="s1",
        eventList=[
            {"eventType": "click", "itemId": "b01", "sentAt": SENT_AT},
            {"eventType": "watch", "itemId": "b02", "sentAt": SENT_AT + 1},
        ],
    )
    events.put_users(
        datasetArn=users,
        users=[
            {"userId": "ua000", "properties": '{"age": 31}'},
            {"userId": "ub000", "properties": '{"age": "42"}'},
        ],
    )
    group.users_arn = users
    return group


def _export(personalize, wait, state_dir, dataset_arn: str, name: str, mode: str | None) -> list:
    args = {"ingestionMode": mode} if mode else {}
    arn = personalize.create_dataset_export_job(
        jobName=name,
        datasetArn=dataset_arn,
        roleArn=ROLE,
        jobOutput={"s3DataDestination": {"path": f"{BUCKET}/exports/"}},
        **args,
    )["datasetExportJobArn"]
    job = wait(
        lambda: personalize.describe_dataset_export_job(datasetExportJobArn=arn), "datasetExportJob"
    )
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert job["ingestionMode"] == (mode or "PUT")
    text = LocalObjectStore(state_dir).get(f"{BUCKET}/exports/{name}/part-00000.csv").decode()
    return list(csv.reader(io.StringIO(text)))


def test_export_writes_each_ingestion_mode(setup, personalize, wait, state_dir):
    put = _export(personalize, wait, state_dir, setup.dataset_arn, "export-put", None)
    assert put == [
        ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"],
        ["ua000", "b01", "click", str(SENT_AT)],
        ["ua000", "b02", "watch", str(SENT_AT + 1)],
    ]
    bulk = _export(personalize, wait, state_dir, setup.dataset_arn, "export-bulk", "BULK")
    with (state_dir.parent / "planted.csv").open(newline="") as fh:
        assert bulk == list(csv.reader(fh))
    everything = _export(personalize, wait, state_dir, setup.dataset_arn, "export-all", "ALL")
    assert everything == bulk + put[1:]
    users = _export(personalize, wait, state_dir, setup.users_arn, "export-users", "ALL")
    assert users == [["USER_ID", "AGE"], ["ua000", "31"], ["ub000", "42"]]
    listed = personalize.list_dataset_export_jobs(datasetArn=setup.dataset_arn)
    assert [j["jobName"] for j in listed["datasetExportJobs"]] == [
        "export-put",
        "export-bulk",
        "export-all",
    ]


def test_export_refuses_a_path_outside_s3(setup, personalize, expect_error):
    expect_error(
        lambda: personalize.create_dataset_export_job(
            jobName="export-http",
            datasetArn=setup.dataset_arn,
            roleArn=ROLE,
            jobOutput={"s3DataDestination": {"path": "https://example.com/out/"}},
        ),
        "InvalidInputException",
        "jobOutput.s3DataDestination.path 'https://example.com/out/' must be an s3:// location.",
    )


def _deletion(personalize, group_arn: str, name: str, location: str) -> str:
    return personalize.create_data_deletion_job(
        jobName=name,
        datasetGroupArn=group_arn,
        dataSource={"dataLocation": location},
        roleArn=ROLE,
    )["dataDeletionJobArn"]


def test_deletion_removes_the_listed_users(
    setup, personalize, make_client, runtime, wait, state_dir, fast_forward
):
    LocalObjectStore(state_dir).put(f"{BUCKET}/delete/users.csv", b"USER_ID\nua000\nub000\n")
    slow = make_client("personalize", durations={"data-deletion-job": 600})
    arn = _deletion(slow, setup.arn, "forget-two", f"{BUCKET}/delete/users.csv")
    assert (
        slow.describe_data_deletion_job(dataDeletionJobArn=arn)["dataDeletionJob"]["status"]
        == "PENDING"
    )
    fast_forward(arn)
    job = wait(
        lambda: personalize.describe_data_deletion_job(dataDeletionJobArn=arn),
        "dataDeletionJob",
        statuses=("COMPLETED", "FAILED"),
    )
    assert job["status"] == "COMPLETED", job.get("failureReason")
    # ua000: 10 imported + 2 recorded interactions and a user; ub000: 10 and a user
    assert job["numDeleted"] == 24
    summaries = personalize.list_data_deletion_jobs(datasetGroupArn=setup.arn)["dataDeletionJobs"]
    assert [(j["jobName"], j["status"]) for j in summaries] == [("forget-two", "COMPLETED")]

    rows = _export(personalize, wait, state_dir, setup.dataset_arn, "after-delete", "ALL")
    assert len(rows) == 1 + 1200 - 20
    assert not {r[0] for r in rows[1:]} & {"ua000", "ub000"}
    users = _export(personalize, wait, state_dir, setup.users_arn, "users-after-delete", "ALL")
    assert users == [["USER_ID", "AGE"]]

    # the next training does not know ua000: it gets what an unknown user gets
    version = setup.version("after-delete", "aws-user-personalization")
    campaign = setup.campaign("after-delete-campaign", version["solutionVersionArn"])

    def top(user):
        out = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=5)
        return [i["itemId"] for i in out["itemList"]]

    assert top("ua000") == top("someone-never-seen")
    assert top("ua001") != top("someone-never-seen")


def test_deletion_fails_without_a_user_id_column(setup, personalize, wait, state_dir):
    LocalObjectStore(state_dir).put(f"{BUCKET}/delete/bad.csv", b"USER\nua000\n")
    arn = _deletion(personalize, setup.arn, "bad-list", f"{BUCKET}/delete/bad.csv")
    job = wait(
        lambda: personalize.describe_data_deletion_job(dataDeletionJobArn=arn),
        "dataDeletionJob",
        statuses=("COMPLETED", "FAILED"),
    )
    assert job["status"] == "FAILED"
    assert job["failureReason"] == (
        f"{BUCKET}/delete/bad.csv has no USER_ID column; a data deletion job reads a CSV file "
        "whose header is USER_ID, one user per line."
    )


def test_deletion_refuses_a_location_outside_s3(setup, personalize, expect_error):
    expect_error(
        lambda: _deletion(personalize, setup.arn, "http-list", "https://example.com/users.csv"),
        "InvalidInputException",
        "dataSource.dataLocation 'https://example.com/users.csv' must be an s3:// location of "
        "a CSV file with a USER_ID column.",
    )


def test_put_actions_and_action_interactions(
    personalize, make_client, wait, state_dir, expect_error
):
    group = personalize.create_dataset_group(name="actions-group")["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group), "datasetGroup")

    def dataset(dtype, fields):
        schema = personalize.create_schema(name=f"s-{dtype.lower()}", schema=record(dtype, fields))
        arn = personalize.create_dataset(
            name=f"d-{dtype.lower()}",
            datasetGroupArn=group,
            datasetType=dtype,
            schemaArn=schema["schemaArn"],
        )["datasetArn"]
        wait(lambda: personalize.describe_dataset(datasetArn=arn), "dataset")
        return arn

    action_id = {"name": "ACTION_ID", "type": "string"}
    actions = dataset("Actions", [action_id, {"name": "VALUE", "type": ["null", "long"]}])
    interactions = dataset(
        "Action_Interactions",
        [
            USER_ID,
            action_id,
            {"name": "TIMESTAMP", "type": "long"},
            {"name": "EVENT_TYPE", "type": "string"},
        ],
    )
    tracker = personalize.create_event_tracker(name="actions-tracker", datasetGroupArn=group)
    events = make_client("personalize-events")
    events.put_actions(
        datasetArn=actions, actions=[{"actionId": "signup", "properties": '{"value": 5}'}]
    )
    events.put_action_interactions(
        trackingId=tracker["trackingId"],
        actionInteractions=[
            {
                "actionId": "signup",
                "sessionId": "s1",
                "userId": "u1",
                "timestamp": SENT_AT,
                "eventType": "TAKEN",
            },
            {
                "actionId": "signup",
                "sessionId": "s2",
                "timestamp": SENT_AT + 1,
                "eventType": "NOT_TAKEN",
            },
        ],
    )
    assert _export(personalize, wait, state_dir, actions, "export-actions", None) == [
        ["ACTION_ID", "VALUE"],
        ["signup", "5"],
    ]
    assert _export(personalize, wait, state_dir, interactions, "export-action-events", None) == [
        ["USER_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE"],
        ["u1", "signup", str(SENT_AT), "TAKEN"],
        ["s2", "signup", str(SENT_AT + 1), "NOT_TAKEN"],
    ]
    expect_error(
        lambda: events.put_action_interactions(
            trackingId="nope",
            actionInteractions=[
                {"actionId": "a", "sessionId": "s", "timestamp": SENT_AT, "eventType": "TAKEN"}
            ],
        ),
        "ResourceNotFoundException",
        "No event tracker has trackingId nope; use the trackingId that CreateEventTracker (or "
        "DescribeEventTracker) returned.",
        status=404,
    )


def test_deletion_jobs_go_with_their_group_and_their_names_stay_spent(
    personalize, wait, wait_gone, state_dir, expect_error
):
    LocalObjectStore(state_dir).put(f"{BUCKET}/delete/none.csv", b"USER_ID\nnobody\n")

    def new_group():
        arn = personalize.create_dataset_group(name="short-lived")["datasetGroupArn"]
        wait(lambda: personalize.describe_dataset_group(datasetGroupArn=arn), "datasetGroup")
        return arn

    group = new_group()
    arn = _deletion(personalize, group, "forget-nobody", f"{BUCKET}/delete/none.csv")
    job = wait(
        lambda: personalize.describe_data_deletion_job(dataDeletionJobArn=arn),
        "dataDeletionJob",
        statuses=("COMPLETED", "FAILED"),
    )
    assert (job["status"], job["numDeleted"]) == ("COMPLETED", 0)
    personalize.delete_dataset_group(datasetGroupArn=group)
    wait_gone(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    expect_error(
        lambda: personalize.describe_data_deletion_job(dataDeletionJobArn=arn),
        "ResourceNotFoundException",
        f"Resource Arn {arn} does not exist.",
    )
    group = new_group()
    expect_error(
        lambda: _deletion(personalize, group, "forget-nobody", f"{BUCKET}/delete/none.csv"),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {arn} already exists.",
    )
