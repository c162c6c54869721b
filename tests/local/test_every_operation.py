"""Every operation of botocore's ``personalize``, ``personalize-runtime`` and
``personalize-events`` models, called over HTTP against ``preconcile local serve`` with
boto3's own clients: none answers UnknownOperationException, and every answer fits its
model (the shape of a success, or an error code the model lists for the operation).

Each call is made with the smallest request its input shape allows (required members
only, values built from the shape's constraints), so most answer with a validation or a
not-found error: what is checked here is that the operation exists and answers in its
model's terms; the contract tests check what each one does.
"""

from __future__ import annotations

import botocore
import botocore.session
import pytest
from answers import check_answer
from botocore.config import Config
from botocore.exceptions import ClientError
from serving import start_serve

SERVICES = ("personalize", "personalize-runtime", "personalize-events")
ARN = "arn:aws:personalize:us-east-1:000000000000:thing/nothing"


def _value(shape, name: str = ""):
    """The smallest value that satisfies ``shape``'s constraints (required members only)."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        return {m: _value(shape.members[m], m) for m in shape.required_members}
    if kind == "list":
        return [_value(shape.member, name) for _ in range(meta.get("min", 0) or 0)]
    if kind == "map":
        return {}
    if kind in ("integer", "long"):
        return max(int(meta.get("min", 1)), 1) if meta.get("max", 2) >= 1 else int(meta["min"])
    if kind in ("float", "double"):
        return float(meta.get("min", 1.0))
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return 1_700_000_000
    if kind == "blob":
        return b"x"
    if shape.enum:
        return shape.enum[0]
    if name.endswith("Arn") or name == "resourceArn" or "arn:" in meta.get("pattern", ""):
        return ARN
    text = "x" * max(int(meta.get("min", 1)), 1)
    return text


def _operations():
    session = botocore.session.get_session()
    for service in SERVICES:
        model = session.get_service_model(service)
        for op in model.operation_names:
            yield service, op


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    serve = start_serve(tmp_path_factory.mktemp("walk"))
    yield serve
    serve.stop()


@pytest.mark.parametrize("service,op", list(_operations()))
def test_every_operation_answers_in_its_models_terms(served, service, op):
    session = botocore.session.get_session()
    client = session.create_client(
        service,
        region_name="us-east-1",
        endpoint_url=served.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )
    client.meta.events.register("after-call", check_answer)
    model = client.meta.service_model.operation_model(op)
    params = _value(model.input_shape) if model.input_shape is not None else {}
    method = getattr(client, botocore.xform_name(op))
    try:
        method(**params)
    except ClientError as e:
        assert e.response["Error"]["Code"] != "UnknownOperationException", e.response["Error"]
