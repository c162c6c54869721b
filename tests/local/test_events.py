"""personalize-events through boto3 on the local target: PutEvents, PutItems, PutUsers,
PutActions and PutActionInteractions, in-process and over HTTP; recorded events reach the
next training and change a user's recommendations at once (real time)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import planted_events
import pytest
from personalize_steps import ROLE, Group
from schemas import ITEM_ID, TIMESTAMP, USER_ID, record

from personalize_reconcile.local import service as local_service
from personalize_reconcile.local.objectstore import LocalObjectStore
from personalize_reconcile.local.server import LocalServer

SENT_AT = 1_800_000_000


@pytest.fixture
def events(make_client):
    return make_client("personalize-events")


@pytest.fixture
def planted(personalize, wait, state_dir, tmp_path):
    return Group(
        personalize,
        wait,
        state_dir,
        planted_events.write(tmp_path / "planted.csv"),
        planted_events.SCHEMA,
        name="planted",
    )


def _tracker(personalize, wait, group_arn: str) -> str:
    out = personalize.create_event_tracker(name="tracker", datasetGroupArn=group_arn)
    wait(
        lambda: personalize.describe_event_tracker(eventTrackerArn=out["eventTrackerArn"]),
        "eventTracker",
    )
    return out["trackingId"]


def _clicks(items: list[str]) -> list[dict]:
    return [{"eventType": "click", "itemId": i, "sentAt": SENT_AT + k} for k, i in enumerate(items)]


def _top(runtime, campaign: str, user: str) -> list[str]:
    out = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=5)
    return [i["itemId"] for i in out["itemList"]]


def test_events_change_a_users_recommendations_at_once(planted, personalize, runtime, events, wait):
    version = planted.version("planted-up", "aws-user-personalization")
    campaign = planted.campaign("planted-campaign", version["solutionVersionArn"])
    tracking_id = _tracker(personalize, wait, planted.arn)
    before = _top(runtime, campaign, "ua000")
    assert all(i.startswith("a") for i in before), before

    events.put_events(
        trackingId=tracking_id,
        userId="ua000",
        sessionId="session-1",
        eventList=_clicks([f"b{k:02d}" for k in range(10)]),
    )
    after = _top(runtime, campaign, "ua000")
    assert all(i.startswith("b") for i in after), after
    assert _top(runtime, campaign, "ua000") == after  # deterministic

    # another user is untouched; an anonymous session is personalized from its events
    assert all(i.startswith("a") for i in _top(runtime, campaign, "ua001"))
    events.put_events(
        trackingId=tracking_id, sessionId="anonymous-1", eventList=_clicks(["b03", "b04"])
    )
    assert all(i.startswith("b") for i in _top(runtime, campaign, "anonymous-1"))


def test_real_time_counts_only_the_solutions_event_type(
    planted, personalize, runtime, events, wait
):
    version = planted.version("planted-clicks", "aws-user-personalization", eventType="click")
    campaign = planted.campaign("planted-clicks-campaign", version["solutionVersionArn"])
    tracking_id = _tracker(personalize, wait, planted.arn)
    before = _top(runtime, campaign, "ua002")
    views = [dict(e, eventType="view") for e in _clicks([f"b{k:02d}" for k in range(10)])]
    events.put_events(trackingId=tracking_id, userId="ua002", sessionId="s", eventList=views)
    assert _top(runtime, campaign, "ua002") == before
    clicks = _clicks([f"b{k:02d}" for k in range(10)])
    events.put_events(trackingId=tracking_id, userId="ua002", sessionId="s", eventList=clicks)
    assert all(i.startswith("b") for i in _top(runtime, campaign, "ua002"))


def test_recorded_events_are_part_of_the_next_training(planted, personalize, runtime, events, wait):
    tracking_id = _tracker(personalize, wait, planted.arn)
    events.put_events(
        trackingId=tracking_id,
        userId="newcomer",
        sessionId="session-2",
        eventList=_clicks([f"b{k:02d}" for k in range(10)]),
    )
    # trained after the events: the model knows the newcomer as a B user
    version = planted.version("planted-after", "aws-user-personalization")
    campaign = planted.campaign("planted-after-campaign", version["solutionVersionArn"])
    assert all(i.startswith("b") for i in _top(runtime, campaign, "newcomer"))
    # a user the training never saw gets popular items (group A's own is ua-heavy: mixed)
    assert _top(runtime, campaign, "nobody") != _top(runtime, campaign, "newcomer")


@pytest.fixture
def group(personalize, wait):
    arn = personalize.create_dataset_group(name="events-group")["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=arn), "datasetGroup")
    return arn


def _dataset(personalize, wait, group: str, dtype: str, fields: list[dict]) -> str:
    schema = personalize.create_schema(name=f"s-{dtype.lower()}", schema=record(dtype, fields))
    arn = personalize.create_dataset(
        name=f"d-{dtype.lower()}",
        datasetGroupArn=group,
        datasetType=dtype,
        schemaArn=schema["schemaArn"],
    )["datasetArn"]
    wait(lambda: personalize.describe_dataset(datasetArn=arn), "dataset")
    return arn


def test_put_events_errors(personalize, events, wait, group, expect_error):
    expect_error(
        lambda: events.put_events(
            trackingId="not-a-tracker", sessionId="s", eventList=_clicks(["i1"])
        ),
        "InvalidInputException",
        "No event tracker has trackingId not-a-tracker; use the trackingId that "
        "CreateEventTracker (or DescribeEventTracker) returned.",
    )
    tracking_id = _tracker(personalize, wait, group)
    expect_error(
        lambda: events.put_events(trackingId=tracking_id, sessionId="s", eventList=_clicks(["i1"])),
        "InvalidInputException",
        f"Dataset group {group} has no ACTIVE Interactions dataset; create one before "
        "recording events.",
    )
    _dataset(
        personalize,
        wait,
        group,
        "Interactions",
        [USER_ID, ITEM_ID, TIMESTAMP, {"name": "DEVICE", "type": "string"}],
    )
    expect_error(
        lambda: events.put_events(
            trackingId=tracking_id,
            sessionId="s",
            eventList=[{"eventType": "click", "sentAt": SENT_AT}],
        ),
        "InvalidInputException",
        "eventList[0] has no itemId; the Interactions dataset's schema requires ITEM_ID.",
    )
    expect_error(
        lambda: events.put_events(trackingId=tracking_id, sessionId="s", eventList=_clicks(["i1"])),
        "InvalidInputException",
        "eventList[0] has no value for DEVICE, which the dataset's schema requires; set it in "
        "properties (in camel case: device).",
    )
    expect_error(
        lambda: events.put_events(
            trackingId=tracking_id,
            sessionId="s",
            eventList=[dict(_clicks(["i1"])[0], properties=json.dumps({"colour": "red"}))],
        ),
        "InvalidInputException",
        "eventList[0].properties has 'colour', which is not a field of the dataset's schema; "
        "known properties: device.",
    )
    eleven = [{"eventType": "click", "itemId": "i1", "sentAt": SENT_AT}] * 11
    expect_error(
        lambda: events.put_events(trackingId=tracking_id, sessionId="s", eventList=eleven),
        "InvalidInputException",
        f"1 validation error detected: Value '{eleven}' at 'eventList' failed to satisfy "
        "constraint: Member must have length less than or equal to 10",
    )
    events.put_events(
        trackingId=tracking_id,
        sessionId="s",
        eventList=[dict(_clicks(["i1"])[0], properties=json.dumps({"device": "phone"}))],
    )


def test_put_events_over_http(personalize, events, wait, group, state_dir):
    _dataset(personalize, wait, group, "Interactions", [USER_ID, ITEM_ID, TIMESTAMP])
    tracking_id = _tracker(personalize, wait, group)
    server = LocalServer(local_service.get_service(state_dir), host="127.0.0.1", port=0)
    server.serve_in_thread()
    try:
        client = boto3.client(
            "personalize-events",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="AKIALOCALTEST0000000",
            aws_secret_access_key="local",
        )
        out = client.put_events(trackingId=tracking_id, sessionId="s", eventList=_clicks(["i1"]))
        assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
        with pytest.raises(client.exceptions.InvalidInputException) as info:
            client.put_events(trackingId="nope", sessionId="s", eventList=_clicks(["i1"]))
        assert info.value.response["Error"]["Message"] == (
            "No event tracker has trackingId nope; use the trackingId that "
            "CreateEventTracker (or DescribeEventTracker) returned."
        )
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        # a hand-written request: an ISO 8601 sentAt is read, anything else refused
        status, body = _raw_put_events(server.url, tracking_id, "2027-01-15T08:00:00Z")
        assert (status, body) == (200, {})
        status, body = _raw_put_events(server.url, tracking_id, "soon")
        assert (status, body) == (
            400,
            {"message": 'eventList[0].sentAt "soon" is not a timestamp; send epoch seconds.'},
        )
    finally:
        server.shutdown()
        server.server_close()


def test_metric_attribution_values_from_recorded_events(
    personalize, events, wait, group, state_dir
):
    interactions = _dataset(
        personalize,
        wait,
        group,
        "Interactions",
        [
            USER_ID,
            ITEM_ID,
            TIMESTAMP,
            {"name": "EVENT_TYPE", "type": "string"},
            {"name": "EVENT_VALUE", "type": ["null", "float"]},
        ],
    )
    items = _dataset(
        personalize, wait, group, "Items", [ITEM_ID, {"name": "PRICE", "type": ["null", "double"]}]
    )
    attribution = personalize.create_metric_attribution(
        name="revenue",
        datasetGroupArn=group,
        metrics=[
            {"eventType": "purchase", "metricName": "PURCHASES", "expression": "SAMPLECOUNT()"},
            {"eventType": "purchase", "metricName": "REVENUE", "expression": "SUM(Items.PRICE)"},
            {
                "eventType": "rating",
                "metricName": "STARS",
                "expression": "SUM(Interactions.EVENT_VALUE)",
            },
        ],
        metricsOutputConfig={
            "s3DataDestination": {"path": "s3://metrics-bucket/out/"},
            "roleArn": ROLE,
        },
    )["metricAttributionArn"]
    wait(
        lambda: personalize.describe_metric_attribution(metricAttributionArn=attribution),
        "metricAttribution",
    )
    events.put_items(
        datasetArn=items,
        items=[
            {"itemId": "shoe", "properties": '{"price": 59.5}'},
            {"itemId": "sock", "properties": '{"price": "4.25"}'},
        ],
    )
    tracking_id = _tracker(personalize, wait, group)
    events.put_events(
        trackingId=tracking_id,
        userId="buyer",
        sessionId="s",
        eventList=[
            {"eventType": "purchase", "itemId": "shoe", "sentAt": SENT_AT},
            {"eventType": "purchase", "itemId": "sock", "sentAt": SENT_AT + 1},
            {"eventType": "purchase", "itemId": "unknown-item", "sentAt": SENT_AT + 2},
            {"eventType": "rating", "itemId": "shoe", "eventValue": 4.5, "sentAt": SENT_AT + 3},
            {"eventType": "rating", "itemId": "sock", "eventValue": 2.0, "sentAt": SENT_AT + 4},
            {"eventType": "click", "itemId": "sock", "sentAt": SENT_AT + 5},
        ],
    )
    store = LocalObjectStore(state_dir)

    def metric(name):
        return json.loads(store.get(f"s3://metrics-bucket/out/metrics/{name}.json"))

    assert metric("PURCHASES") == {
        "metricName": "PURCHASES",
        "eventType": "purchase",
        "expression": "SAMPLECOUNT()",
        "eventCount": 3,
        "value": 3.0,
    }
    assert metric("REVENUE")["value"] == 63.75
    assert metric("STARS") == {
        "metricName": "STARS",
        "eventType": "rating",
        "expression": "SUM(Interactions.EVENT_VALUE)",
        "eventCount": 2,
        "value": 6.5,
    }
    listed = personalize.list_metric_attribution_metrics(metricAttributionArn=attribution)
    assert [m["metricName"] for m in listed["metrics"]] == ["PURCHASES", "REVENUE", "STARS"]
    assert interactions.endswith("/INTERACTIONS")


def test_put_items_and_users_errors(personalize, events, wait, group, expect_error):
    items = _dataset(
        personalize, wait, group, "Items", [ITEM_ID, {"name": "PRICE", "type": "double"}]
    )
    expect_error(
        lambda: events.put_users(datasetArn=items, users=[{"userId": "u1"}]),
        "InvalidInputException",
        f"PutUsers needs a dataset of type USERS; {items} is of type ITEMS.",
    )
    missing = items.replace("/ITEMS", "/USERS")
    expect_error(
        lambda: events.put_users(datasetArn=missing, users=[{"userId": "u1"}]),
        "ResourceNotFoundException",
        f"Could not find dataset {missing}.",
        status=404,
    )
    expect_error(
        lambda: events.put_items(
            datasetArn=items, items=[{"itemId": "i1", "properties": '{"price": "cheap"}'}]
        ),
        "InvalidInputException",
        'items[0].properties: PRICE must be a number, not "cheap".',
    )
    expect_error(
        lambda: events.put_items(datasetArn=items, items=[{"itemId": "i1"}]),
        "InvalidInputException",
        "items[0] has no value for PRICE, which the dataset's schema requires; set it in "
        "properties (in camel case: price).",
    )
    expect_error(
        lambda: events.put_items(datasetArn=items, items=[{"itemId": "i1", "properties": "[1]"}]),
        "InvalidInputException",
        "items[0].properties must be a JSON object.",
    )


def _raw_put_events(url: str, tracking_id: str, sent_at: str) -> tuple[int, dict]:
    body = {
        "trackingId": tracking_id,
        "sessionId": "raw",
        "eventList": [{"eventType": "click", "itemId": "i1", "sentAt": sent_at}],
    }
    req = urllib.request.Request(
        url + "/events",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
