"""Contract tests that apply to whole families of operations: ARN validation on every
operation that takes one, bad pagination tokens and filter ARNs on every List operation,
deletes of resources that are still being created."""

from __future__ import annotations

import pytest
from botocore import xform_name
from schemas import INTERACTIONS

from personalize_reconcile.local.control import HANDLERS as Personalize
from personalize_reconcile.rules.shapes import service_model

ARN_PATTERN = r"arn:([a-z\d-]+):personalize:.*:.*:.+"
P = "arn:aws:personalize:us-east-1:000000000000:"
MODEL = service_model("personalize")
HANDLED = [op for op in MODEL.operation_names if hasattr(Personalize, xform_name(op))]


def _arn_ops():
    for op in HANDLED:
        shape = MODEL.operation_model(op).input_shape
        required = list(shape.required_members)
        arn_members = [m for m in required if m.endswith("Arn")]
        if arn_members and not op.startswith("Create"):
            yield op, arn_members[0], [m for m in required if m != arn_members[0]]


FILLERS = {
    "schemaArn": P + "schema/s",
    "tags": [{"tagKey": "a", "tagValue": "b"}],
    "tagKeys": ["a"],
    "recommenderConfig": {},
}


@pytest.mark.parametrize("op,member,others", list(_arn_ops()))
def test_every_arn_parameter_is_validated(personalize, expect_error, op, member, others):
    params = {member: "not-an-arn"}
    params.update({m: FILLERS[m] for m in others})
    expect_error(
        lambda: getattr(personalize, xform_name(op))(**params),
        "InvalidInputException",
        f"1 validation error detected: Value 'not-an-arn' at '{member}' failed to "
        f"satisfy constraint: Member must satisfy regular expression pattern: "
        f"{ARN_PATTERN}",
    )


LIST_OPS = [op for op in HANDLED if op.startswith("List") and op != "ListTagsForResource"]


@pytest.mark.parametrize("op", LIST_OPS)
def test_every_list_rejects_a_bad_token(personalize, expect_error, op):
    expect_error(
        lambda: getattr(personalize, xform_name(op))(nextToken="bm90LWEtdG9rZW4"),
        "InvalidNextTokenException",
        "The nextToken is not valid for this request.",
    )


@pytest.mark.parametrize(
    "op",
    [
        op
        for op in LIST_OPS
        if any(m.endswith("Arn") for m in MODEL.operation_model(op).input_shape.members)
    ],
)
def test_every_list_filter_arn_is_validated(personalize, expect_error, op):
    member = next(m for m in MODEL.operation_model(op).input_shape.members if m.endswith("Arn"))
    expect_error(
        lambda: getattr(personalize, xform_name(op))(**{member: "nope"}),
        "InvalidInputException",
        f"1 validation error detected: Value 'nope' at '{member}' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {ARN_PATTERN}",
    )


def test_list_filters_page_through_their_parent(personalize):
    g = personalize.create_dataset_group(name="g")["datasetGroupArn"]
    for i in range(3):
        personalize.create_filter(
            name=f"f{i}",
            datasetGroupArn=g,
            filterExpression='EXCLUDE ItemID WHERE Items.A IN ("b")',
        )
    page = personalize.list_filters(datasetGroupArn=g, maxResults=2)
    rest = personalize.list_filters(datasetGroupArn=g, maxResults=2, nextToken=page["nextToken"])
    assert [f["name"] for f in page["Filters"] + rest["Filters"]] == ["f0", "f1", "f2"]


def test_deletes_of_resources_still_being_created(make_client, expect_error):
    fast = make_client()
    g = fast.create_dataset_group(name="g")["datasetGroupArn"]
    slow = make_client(durations={"event-tracker": 60, "filter": 60})
    t = slow.create_event_tracker(name="t", datasetGroupArn=g)["eventTrackerArn"]
    f = slow.create_filter(
        name="f", datasetGroupArn=g, filterExpression='EXCLUDE ItemID WHERE Items.A IN ("b")'
    )["filterArn"]
    expect_error(
        lambda: slow.delete_event_tracker(eventTrackerArn=t),
        "ResourceInUseException",
        f"Resource Arn {t} is in CREATE PENDING state and cannot be deleted.",
    )
    expect_error(
        lambda: slow.delete_filter(filterArn=f),
        "ResourceInUseException",
        f"Resource Arn {f} is in CREATE PENDING state and cannot be deleted.",
    )


def test_untag_a_schema_is_invalid(personalize, expect_error):
    s = personalize.create_schema(
        name="s",
        schema=INTERACTIONS,
    )["schemaArn"]
    expect_error(
        lambda: personalize.untag_resource(resourceArn=s, tagKeys=["a"]),
        "InvalidInputException",
        f"Resource {s} does not support tags.",
    )
    expect_error(
        lambda: personalize.tag_resource(resourceArn=s, tags=FILLERS["tags"]),
        "InvalidInputException",
        f"Resource {s} does not support tags.",
    )


@pytest.mark.parametrize(
    "body,problem",
    [
        (
            b'{"datasetGroups": [], "nextTokn": "x"}',
            "ListDatasetGroups answered members its model does not have: ['nextTokn']",
        ),
        (
            b'{"datasetGroups": [{"name": "g", "colour": "red"}]}',
            "ListDatasetGroups answered members its model does not have: "
            "['datasetGroups[0].colour']",
        ),
        (
            b'{"datasetGroups": [{"name": 7}]}',
            "ListDatasetGroups answer does not fit its output shape",
        ),
    ],
)
def test_the_answer_check_catches_what_the_parser_would_hide(body, problem):
    from answers import check_answer
    from botocore.awsrequest import AWSResponse
    from botocore.parsers import create_parser

    model = MODEL.operation_model("ListDatasetGroups")

    class Raw:
        def stream(self, **_):
            yield body

    response = AWSResponse("http://x/", 200, {}, Raw())
    parsed = create_parser("json").parse(
        {"status_code": 200, "headers": {}, "body": response.content}, model.output_shape
    )
    with pytest.raises(AssertionError) as info:
        check_answer(response, parsed, model)
    assert str(info.value).startswith(problem)
