"""Metric attributions through boto3 on the local target: create, describe, list, update,
list metrics, delete, with the service's rules (one per group, 1-10 metrics, expressions
over numeric fields of the group's datasets) and what they block (a dataset's delete)."""

from __future__ import annotations

import pytest
from schemas import INTERACTIONS, ITEMS_V2

P = "arn:aws:personalize:us-east-1:000000000000:"
ROLE = "arn:aws:iam::000000000000:role/PersonalizeRole"
OUTPUT = {"roleArn": ROLE, "s3DataDestination": {"path": "s3://bucket/metrics/"}}
CLICKS = {"eventType": "click", "metricName": "CLICKS", "expression": "SAMPLECOUNT()"}
REVENUE = {"eventType": "purchase", "metricName": "REVENUE", "expression": "SUM(Items.PRICE)"}


@pytest.fixture
def group(personalize, wait):
    """An ACTIVE group with an Interactions dataset and an Items dataset with PRICE."""
    g = personalize.create_dataset_group(name="g")["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=g), "datasetGroup")
    for kind, body in (("Interactions", INTERACTIONS), ("Items", ITEMS_V2)):
        schema = personalize.create_schema(name=f"s-{kind}", schema=body)["schemaArn"]
        ds = personalize.create_dataset(
            name=f"d-{kind}", schemaArn=schema, datasetGroupArn=g, datasetType=kind
        )["datasetArn"]
        wait(lambda ds=ds: personalize.describe_dataset(datasetArn=ds), "dataset")
    return g


def create(personalize, group, metrics=(CLICKS, REVENUE), output=OUTPUT, name="ma"):
    return personalize.create_metric_attribution(
        name=name, datasetGroupArn=group, metrics=list(metrics), metricsOutputConfig=output
    )["metricAttributionArn"]


def test_create_describe_list_and_metrics(personalize, group, wait):
    arn = create(personalize, group)
    assert arn == P + "metric-attribution/ma"
    found = wait(
        lambda: personalize.describe_metric_attribution(metricAttributionArn=arn),
        "metricAttribution",
    )
    assert {k: found[k] for k in ("name", "metricAttributionArn", "datasetGroupArn", "status")} == {
        "name": "ma",
        "metricAttributionArn": arn,
        "datasetGroupArn": group,
        "status": "ACTIVE",
    }
    assert found["metricsOutputConfig"] == OUTPUT
    listed = personalize.list_metric_attributions(datasetGroupArn=group)["metricAttributions"]
    assert [(m["name"], m["status"]) for m in listed] == [("ma", "ACTIVE")]
    assert personalize.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == [
        CLICKS,
        REVENUE,
    ]
    page = personalize.list_metric_attribution_metrics(metricAttributionArn=arn, maxResults=1)
    rest = personalize.list_metric_attribution_metrics(
        metricAttributionArn=arn, nextToken=page["nextToken"]
    )
    assert (page["metrics"], rest["metrics"], "nextToken" in rest) == ([CLICKS], [REVENUE], False)


def test_one_per_group(personalize, group, expect_error):
    arn = create(personalize, group)
    expect_error(
        lambda: create(personalize, group, name="other"),
        "ResourceAlreadyExistsException",
        f"Dataset group {group} already has metric attribution {arn}.",
    )


BAD_METRICS = [
    (
        [CLICKS, dict(CLICKS, eventType="view")],
        "Metric name CLICKS is given more than once.",
    ),
    (
        [dict(CLICKS, expression="AVG(Items.PRICE)")],
        "Metric CLICKS: expression 'AVG(Items.PRICE)' is not valid; use SAMPLECOUNT() or "
        "SUM(<Interactions|Items>.<COLUMN>), e.g. SUM(Items.PRICE).",
    ),
    (
        [dict(REVENUE, expression="SUM(Users.AGE)")],
        "Metric REVENUE: Users is not a dataset type a metric can sum over; use Interactions "
        "or Items.",
    ),
    (
        [dict(REVENUE, expression="SUM(Items.GENRE)")],
        "Metric REVENUE: GENRE is not a numeric field (int, long, float or double) of the "
        "Items dataset's schema.",
    ),
    (
        [dict(REVENUE, expression="SUM(Interactions.EVENT_VALUE)")],
        "Metric REVENUE: EVENT_VALUE is not a numeric field (int, long, float or double) of "
        "the Interactions dataset's schema.",
    ),
]


@pytest.mark.parametrize("metrics,message", BAD_METRICS)
def test_bad_metrics_are_refused(personalize, group, expect_error, metrics, message):
    expect_error(
        lambda: create(personalize, group, metrics=metrics), "InvalidInputException", message
    )
    assert personalize.list_metric_attributions(datasetGroupArn=group)["metricAttributions"] == []


def test_a_dataset_the_group_lacks(personalize, wait, expect_error):
    g = personalize.create_dataset_group(name="bare")["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=g), "datasetGroup")
    expect_error(
        lambda: create(personalize, g, metrics=[REVENUE]),
        "InvalidInputException",
        f"Metric REVENUE: dataset group {g} has no Items dataset.",
    )


def test_the_output_goes_to_s3(personalize, group, expect_error):
    web = {"roleArn": ROLE, "s3DataDestination": {"path": "https://example.com/m"}}
    expect_error(
        lambda: create(personalize, group, output=web),
        "InvalidInputException",
        "metricsOutputConfig.s3DataDestination.path 'https://example.com/m' must be an s3:// "
        "location.",
    )


def test_update_adds_and_removes_metrics_and_replaces_the_output(
    personalize, group, wait, expect_error
):
    arn = create(personalize, group)
    wait(
        lambda: personalize.describe_metric_attribution(metricAttributionArn=arn),
        "metricAttribution",
    )
    views = {"eventType": "view", "metricName": "VIEWS", "expression": "SAMPLECOUNT()"}
    new_output = {"roleArn": ROLE, "s3DataDestination": {"path": "s3://bucket/other/"}}
    out = personalize.update_metric_attribution(
        metricAttributionArn=arn,
        addMetrics=[views],
        removeMetrics=["CLICKS"],
        metricsOutputConfig=new_output,
    )
    assert out["metricAttributionArn"] == arn
    assert personalize.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == [
        REVENUE,
        views,
    ]
    described = personalize.describe_metric_attribution(metricAttributionArn=arn)
    assert described["metricAttribution"]["metricsOutputConfig"] == new_output
    expect_error(
        lambda: personalize.update_metric_attribution(metricAttributionArn=arn, addMetrics=[views]),
        "ResourceAlreadyExistsException",
        f"Metric attribution {arn} already has a metric named VIEWS.",
    )
    expect_error(
        lambda: personalize.update_metric_attribution(
            metricAttributionArn=arn, removeMetrics=["NOPE"]
        ),
        "InvalidInputException",
        f"Metric attribution {arn} has no metric named NOPE.",
    )
    expect_error(
        lambda: personalize.update_metric_attribution(
            metricAttributionArn=arn, removeMetrics=["REVENUE", "VIEWS"]
        ),
        "InvalidInputException",
        "A metric attribution has 1 to 10 metrics; this update leaves 0.",
    )
    nine = [dict(views, metricName=f"M{i}") for i in range(9)]
    expect_error(
        lambda: personalize.update_metric_attribution(metricAttributionArn=arn, addMetrics=nine),
        "InvalidInputException",
        "A metric attribution has 1 to 10 metrics; this update leaves 11.",
    )


def test_it_blocks_the_delete_of_a_dataset_it_sums_over(personalize, group, wait, wait_gone):
    arn = create(personalize, group)
    wait(
        lambda: personalize.describe_metric_attribution(metricAttributionArn=arn),
        "metricAttribution",
    )
    items = P + "dataset/g/ITEMS"
    with pytest.raises(personalize.exceptions.ResourceInUseException) as refused:
        personalize.delete_dataset(datasetArn=items)
    assert refused.value.response["Error"]["Message"] == (
        f"Resource Arn {items} is in use by {arn}."
    )
    personalize.delete_metric_attribution(metricAttributionArn=arn)
    wait_gone(lambda: personalize.describe_metric_attribution(metricAttributionArn=arn))
    personalize.delete_dataset(datasetArn=items)
    wait_gone(lambda: personalize.describe_dataset(datasetArn=items))


def test_unknown_attribution(personalize, expect_error):
    arn = P + "metric-attribution/none"
    expect_error(
        lambda: personalize.describe_metric_attribution(metricAttributionArn=arn),
        "ResourceNotFoundException",
        f"Resource Arn {arn} does not exist.",
    )


def test_listing_metrics_needs_the_attribution(personalize, expect_error):
    expect_error(
        lambda: personalize.list_metric_attribution_metrics(),
        "InvalidInputException",
        "metricAttributionArn is required: name the attribution.",
    )
