"""``preconcile local serve``: plain boto3 in another process against the HTTP server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import pytest
from serving import serve_command, start_serve

CLIENT = textwrap.dedent("""
    import json, time
    import boto3
    from botocore.exceptions import ClientError

    c = boto3.client("personalize", region_name="eu-west-1")   # endpoint from the env
    arn = c.create_dataset_group(name="served")["datasetGroupArn"]
    listed = [g["datasetGroupArn"] for g in c.list_dataset_groups()["datasetGroups"]]
    deadline = time.monotonic() + 60
    while c.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] != "ACTIVE":
        assert time.monotonic() < deadline, "never ACTIVE"
        time.sleep(0.05)
    c.delete_dataset_group(datasetGroupArn=arn)
    gone = None
    while gone is None:
        try:
            c.describe_dataset_group(datasetGroupArn=arn)
        except ClientError as e:
            gone = e.response["Error"]["Code"]
        assert time.monotonic() < deadline + 60, "never gone"
        time.sleep(0.05)
    try:
        c.create_dataset_group(name="bad name")
    except ClientError as e:
        bad = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
    r = boto3.client("personalize-runtime", region_name="eu-west-1")
    try:
        r.get_recommendations(campaignArn=arn.replace("dataset-group", "campaign"), userId="u")
    except ClientError as e:
        runtime = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
    print(json.dumps({"arn": arn, "listed": listed, "gone": gone, "bad": bad,
                      "runtime": runtime,
                      "after": c.list_dataset_groups()["datasetGroups"]}))
""")


def test_plain_boto3_process_against_local_serve(tmp_path):
    server = start_serve(tmp_path / "state")
    try:
        env = dict(
            os.environ,
            AWS_ACCESS_KEY_ID="x",
            AWS_SECRET_ACCESS_KEY="y",
            AWS_ENDPOINT_URL_PERSONALIZE=server.url,
            AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME=server.url,
        )
        done = subprocess.run(
            [sys.executable, "-c", CLIENT], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
    finally:
        err = server.stop()
    arn = "arn:aws:personalize:eu-west-1:000000000000:dataset-group/served"
    assert out == {
        "arn": arn,
        "listed": [arn],
        "gone": "ResourceNotFoundException",
        "bad": ["InvalidInputException", 400],
        "runtime": ["ResourceNotFoundException", 404],
        "after": [],
    }
    assert f"listening on http://127.0.0.1:{server.port} " in err
    assert "Traceback" not in err


def test_non_loopback_host_warns_loudly(tmp_path):
    server = start_serve(tmp_path / "state", "--host", "0.0.0.0")
    err = server.stop()
    assert "WARNING: serving on 0.0.0.0, not loopback" in err
    assert "requests are NOT authenticated" in err


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = subprocess.run(
            serve_command(tmp_path / "state", "--port", str(port)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        err = proc.stderr
    assert proc.returncode == 1
    assert err.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "target,body,code,message",
    [
        (
            "AmazonPersonalize.NoSuchOperation",
            b"{}",
            "UnknownOperationException",
            "Unknown operation NoSuchOperation.",
        ),
        (
            "Other.ListDatasetGroups",
            b"{}",
            "UnknownOperationException",
            "Missing or unknown X-Amz-Target 'Other.ListDatasetGroups'; expected "
            "AmazonPersonalize.<Operation>.",
        ),
        (
            "AmazonPersonalize.ListDatasetGroups",
            b"[1, 2]",
            "SerializationException",
            "The request body must be a JSON object.",
        ),
        (
            "AmazonPersonalize.ListDatasetGroups",
            b"{not json",
            "SerializationException",
            "The request body is not valid JSON.",
        ),
        (
            "AmazonPersonalize.CreateDatasetGroup",
            b'{"name": 5}',
            "InvalidInputException",
            "1 validation error detected: Value '5' at 'name' failed to satisfy constraint: "
            "Member must be a string, not an integer",
        ),
        (
            "AmazonPersonalize.CreateRecommender",
            b"{}",
            "InvalidInputException",
            "3 validation errors detected: Value null at 'name' failed to satisfy constraint: "
            "Member must not be null; Value null at 'datasetGroupArn' failed to satisfy "
            "constraint: Member must not be null; Value null at 'recipeArn' failed to satisfy "
            "constraint: Member must not be null",
        ),
        (
            "AmazonPersonalize.CreateDataDeletionJob",
            b'{"jobName": "j", "datasetGroupArn": '
            b'"arn:aws:personalize:us-east-1:000000000000:dataset-group/g", "dataSource": '
            b'{"dataLocation": "s3://b/users.csv"}, "roleArn": '
            b'"arn:aws:iam::000000000000:role/R"}',
            "ResourceNotFoundException",
            "Resource Arn arn:aws:personalize:us-east-1:000000000000:dataset-group/g does not "
            "exist.",
        ),
    ],
)
def test_raw_http_errors(http_url, target, body, code, message):
    req = urllib.request.Request(
        http_url + "/",
        data=body,
        method="POST",
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    assert info.value.code == 400
    assert json.loads(info.value.read()) == {"__type": code, "message": message}


def test_raw_runtime_unknown_path(http_url):
    req = urllib.request.Request(
        http_url + "/nowhere",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    assert info.value.code == 404
    assert info.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert json.loads(info.value.read()) == {
        "message": "No personalize-runtime operation at POST /nowhere."
    }


@pytest.fixture(scope="module")
def http_url(tmp_path_factory):
    """An in-thread LocalServer on a free port (for raw HTTP requests)."""
    from personalize_reconcile.local.server import LocalServer
    from personalize_reconcile.local.service import close_service, get_service

    svc = get_service(tmp_path_factory.mktemp("http") / "state")
    server = LocalServer(svc, "127.0.0.1", 0)
    server.serve_in_thread()
    yield server.url
    server.shutdown()
    server.server_close()
    close_service(svc)


def _aws_cli() -> str | None:
    import shutil

    path = shutil.which("aws")
    if path is None:
        return None
    try:
        ok = subprocess.run([path, "--version"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if ok else None


@pytest.mark.skipif(_aws_cli() is None, reason="the AWS CLI is not installed")
def test_aws_cli_with_endpoint_url(tmp_path):
    server = start_serve(tmp_path / "state")
    env = dict(
        os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y", AWS_DEFAULT_REGION="us-east-1"
    )
    env.pop("AWS_PROFILE", None)
    try:
        base = [_aws_cli(), "--endpoint-url", server.url, "personalize"]
        made = subprocess.run(
            base + ["create-dataset-group", "--name", "cli"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        listed = subprocess.run(
            base + ["list-dataset-groups"], env=env, capture_output=True, text=True, timeout=60
        )
        bad = subprocess.run(
            base
            + [
                "describe-dataset-group",
                "--dataset-group-arn",
                "arn:aws:personalize:us-east-1:000000000000:dataset-group/none",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.stop()
    assert json.loads(made.stdout) == {
        "datasetGroupArn": "arn:aws:personalize:us-east-1:000000000000:dataset-group/cli"
    }
    assert [g["name"] for g in json.loads(listed.stdout)["datasetGroups"]] == ["cli"]
    assert bad.returncode != 0
    assert "ResourceNotFoundException" in bad.stderr


def test_server_threads_do_not_leak_database_connections(tmp_path):
    from personalize_reconcile.local.server import LocalServer
    from personalize_reconcile.local.service import close_service, get_service

    svc = get_service(tmp_path / "state")
    server = LocalServer(svc, "127.0.0.1", 0)
    server.serve_in_thread()
    try:
        before = len(svc.store._all)
        for _ in range(20):  # a new connection, hence a new server thread, each time
            req = urllib.request.Request(
                server.url + "/",
                data=b"{}",
                method="POST",
                headers={"X-Amz-Target": "AmazonPersonalize.ListDatasetGroups"},
            )
            with urllib.request.urlopen(req, timeout=5) as r:
                assert json.load(r) == {"datasetGroups": []}
        # each server thread closes its connection as it ends; give them time to end
        deadline = time.monotonic() + 60
        while len(svc.store._all) > before + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(svc.store._all) <= before + 2
    finally:
        server.shutdown()
        server.server_close()
        close_service(svc)


def _raw(http_url: str, request: bytes) -> str:
    """Send ``request`` on a new connection; return the whole reply (the server closes
    these connections after answering)."""
    host, port = http_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


LIST_SCHEMAS = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonPersonalize.ListSchemas\r\n"


def test_bad_content_length_is_a_clear_error(http_url):
    reply = _raw(http_url, LIST_SCHEMAS + b"Content-Length: many\r\n\r\n")
    assert reply.startswith("HTTP/1.1 400 ")
    assert reply.endswith(
        '{"__type":"SerializationException","message":"The Content-Length header is not a number."}'
    )


def test_an_absurd_content_length_is_refused_unread(http_url):
    reply = _raw(http_url, LIST_SCHEMAS + b"Content-Length: 1000000000000000\r\n\r\n")
    assert reply.startswith("HTTP/1.1 413 ")
    assert reply.endswith(
        '{"__type":"SerializationException","message":"The request body is '
        '1,000,000,000,000,000 bytes; the local target accepts at most 8,388,608."}'
    )


def test_a_content_length_of_thousands_of_digits_is_refused_unread(http_url):
    reply = _raw(http_url, LIST_SCHEMAS + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n")
    assert reply.startswith("HTTP/1.1 413 ")
    assert reply.endswith(
        '{"__type":"SerializationException","message":"The request body is larger than '
        "8,388,608 bytes, the most the local target accepts (its Content-Length has 5,000 "
        'digits)."}'
    )


def test_a_chunked_body_is_refused_not_taken_for_an_empty_one(http_url):
    reply = _raw(
        http_url,
        LIST_SCHEMAS + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    )
    assert reply.startswith("HTTP/1.1 400 ")
    assert reply.endswith(
        '{"__type":"SerializationException","message":"The local target does not accept a '
        'Transfer-Encoding; send the body with a Content-Length."}'
    )
    assert reply.count("HTTP/1.1") == 1  # the chunks were not read as a second request


def test_a_huge_operation_name_or_path_is_cut_in_the_error(http_url):
    reply = _raw(
        http_url,
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonPersonalize."
        + b"A" * 60_000
        + b"\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
    )
    assert json.loads(reply.split("\r\n\r\n", 1)[1]) == {
        "__type": "UnknownOperationException",
        "message": "Unknown operation " + "A" * 80 + "… (60,000 characters).",
    }
    reply = _raw(
        http_url,
        b"POST /" + b"r" * 60_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    )
    assert reply.startswith("HTTP/1.1 404 ")
    assert json.loads(reply.split("\r\n\r\n", 1)[1]) == {
        "message": "No personalize-runtime operation at POST /"
        + "r" * 79
        + "… (60,001 characters)."
    }
    # the same path without a JSON body is S3's: the bucket name is cut there too
    reply = _raw(
        http_url,
        b"POST /" + b"r" * 60_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Length: 2\r\n\r\n{}",
    )
    assert reply.startswith("HTTP/1.1 400 ")
    assert "<BucketName>" + "r" * 1024 + "… (60,000 characters)</BucketName>" in reply
    assert len(reply) < 5000


def test_deeply_nested_json_is_a_serialization_error(http_url):
    body = b"[" * 100_000 + b"]" * 100_000
    reply = _raw(
        http_url,
        LIST_SCHEMAS + b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
    )
    assert reply.startswith("HTTP/1.1 400 ")
    assert json.loads(reply.split("\r\n\r\n", 1)[1]) == {
        "__type": "SerializationException",
        "message": "The request body is nested too deeply.",
    }


def test_a_stalled_client_does_not_hold_up_others(http_url):
    host, port = http_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as stalled:
        stalled.sendall(LIST_SCHEMAS + b"Content-Length: 100\r\n\r\n{")  # then nothing
        reply = _raw(http_url, LIST_SCHEMAS + b"Connection: close\r\nContent-Length: 2\r\n\r\n{}")
    assert reply.startswith("HTTP/1.1 200 ")
    assert reply.endswith('{"schemas":[]}')


def test_bad_account_id_is_a_clear_error(tmp_path):
    proc = subprocess.run(
        serve_command(tmp_path / "state", "--port", "0", "--account-id", "42"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    err = proc.stderr
    assert proc.returncode == 1
    assert err == (
        "Error: cannot open the local state: account id '42' (--account-id) must be 12 digits\n"
    )


@pytest.mark.parametrize(
    "spec,message",
    [
        (
            "throttle",
            "fault setting 'throttle' is not name=value with a name among throttle, error, drop, seed",
        ),
        (
            "lag=0.1",
            "fault setting 'lag=0.1' is not name=value with a name among throttle, error, drop, seed",
        ),
        ("error=lots", "fault error='lots' is not a number"),
        ("drop=1.5", "fault drop=1.5 must be a probability between 0 and 1"),
        ("throttle=0.6,error=0.6", "the fault rates add up to more than 1"),
        ("seed=" + "9" * 5000, "fault seed='" + "9" * 80 + "…' (5000 characters) is not a number"),
    ],
)
def test_bad_fault_settings_are_clear_errors(tmp_path, spec, message):
    proc = subprocess.run(
        serve_command(tmp_path / "state", "--port", "0", "--faults", spec),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr == (
        f"Error: --faults: {message}; write e.g. throttle=0.3,error=0.05,drop=0.05,seed=1\n"
    )


@pytest.mark.parametrize("host", ["", " "])
def test_an_empty_host_is_refused_not_taken_for_every_interface(tmp_path, host):
    """An empty host would bind every interface of the machine, unauthenticated."""
    proc = subprocess.run(
        serve_command(tmp_path / "state", "--port", "0", "--host", host),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        "Error: --host is empty; give the address to listen on, such as 127.0.0.1 (this "
        "machine only, the default) or 0.0.0.0 (every interface)\n"
    )
    assert not (tmp_path / "state").exists()


def test_an_integer_past_a_float_in_a_hyperparameter_range_is_a_validation_error(http_url):
    """It was an InternalFailure (500): formatting the bound overflowed a float."""

    def call(target: str, body: str) -> str:
        data = body.encode()
        return _raw(
            http_url,
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonPersonalize."
            + target.encode()
            + b"\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(data)
            + data,
        )

    call("CreateDatasetGroup", '{"name": "hp-range"}')
    huge = "1" + "0" * 400
    reply = call(
        "CreateSolution",
        '{"name": "s", "datasetGroupArn": "arn:aws:personalize:us-east-1:000000000000:'
        'dataset-group/hp-range", "recipeArn": "arn:aws:personalize:::recipe/aws-sims", '
        '"performHPO": true, "solutionConfig": {"hpoConfig": {"algorithmHyperParameterRanges":'
        ' {"continuousHyperParameterRanges": [{"name": "popularity_discount_factor", '
        f'"minValue": {huge}, "maxValue": {huge}}}]}}}}}}}}',
    )
    assert reply.startswith("HTTP/1.1 400 ")
    assert json.loads(reply.split("\r\n\r\n", 1)[1]) == {
        "__type": "InvalidInputException",
        "message": "Invalid solutionConfig.hpoConfig.algorithmHyperParameterRanges."
        "continuousHyperParameterRanges[0].minValue: minValue of popularity_discount_factor "
        "must be between 0 and 1, not " + huge[:80] + "… (401 characters). The service's "
        "range for aws-sims (default 0.5).",
    }


def test_a_client_dripping_its_request_is_dropped_at_the_deadline(tmp_path, monkeypatch):
    """One byte at a time never trips the read timeout; the whole-request deadline (here cut
    to half a second) frees the thread long before the client would have finished."""
    from personalize_reconcile.local import server as server_module
    from personalize_reconcile.local.service import close_service, get_service

    monkeypatch.setattr(server_module, "REQUEST_DEADLINE_SECONDS", 0.5)
    svc = get_service(tmp_path / "state")
    server = server_module.LocalServer(svc, "127.0.0.1", 0)
    server.serve_in_thread()
    try:
        host, port = server.server_address[:2]
        dropped = False
        with socket.create_connection((host, port), timeout=60) as slow:
            slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
            for byte in b"X-Padding: " + b"p" * 400:  # 400 x 50 ms: 40 times the deadline
                try:
                    slow.sendall(bytes([byte]))
                    slow.settimeout(0.05)  # wait a moment for the server to close
                    if slow.recv(1) == b"":
                        dropped = True
                        break
                except TimeoutError:
                    continue  # still open: drip on
                except OSError:
                    dropped = True
                    break
        assert dropped
        reply = _raw(server.url, LIST_SCHEMAS + b"Connection: close\r\nContent-Length: 2\r\n\r\n{}")
        assert reply.startswith("HTTP/1.1 200 ")
    finally:
        server.shutdown()
        server.server_close()
        close_service(svc)


def test_a_service_it_does_not_answer_is_named_in_that_services_error(http_url):
    """IAM through ``local serve`` (AWS_ENDPOINT_URL set for every service) gets an error
    botocore reads, naming what local serve answers, rather than S3's XML, which it read as
    'Unknown'."""
    iam = boto3.client(
        "iam",
        endpoint_url=http_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(botocore.exceptions.ClientError) as info:
        iam.get_role(RoleName="PersonalizeExecutionRole")
    error = info.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidAction",
        "local serve answers Amazon Personalize (personalize, personalize-runtime, "
        "personalize-events) and S3, not iam; point only those services at it "
        "(AWS_ENDPOINT_URL_PERSONALIZE, AWS_ENDPOINT_URL_S3, ...) rather than every service "
        "(AWS_ENDPOINT_URL)",
    )
