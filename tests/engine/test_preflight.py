"""Preflight on ``--target aws`` (issue 14): the role each import passes trusts
personalize.amazonaws.com and may read the data, and the bucket policy lets the service
in. Run through the CLI in-process against moto's threaded server for IAM and S3 (the
standard ``AWS_ENDPOINT_URL_IAM`` / ``AWS_ENDPOINT_URL_S3`` settings point boto3 at it),
with good and bad roles and bucket policies; a call the credentials may not make is
reported as not checked, by a stand-in IAM endpoint that answers AccessDenied."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

BUCKET = "personalize-data-000000000000"
ROLE = "arn:aws:iam::123456789012:role/service-role/PersonalizeExecutionRole"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "personalize.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
        }
    ],
}
BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PersonalizeS3BucketAccessPolicy",
            "Effect": "Allow",
            "Principal": {"Service": "personalize.amazonaws.com"},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
        }
    ],
}
WHO_ROLE = (
    f"role PersonalizeExecutionRole ({ROLE}), which import segment-workshop-interactions "
    "passes to Personalize"
)
WHO_BUCKET = f"bucket {BUCKET}, which import segment-workshop-interactions reads"
HEAD = (
    "Error: preflight found {n} with what Personalize needs to read the data; nothing was "
    "changed:\n"
)


def _indented(doc) -> str:
    return "\n".join("    " + line for line in json.dumps(doc, indent=2).splitlines()) + "\n"


@pytest.fixture
def moto_env(tmp_path, monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = "http://{}:{}".format(*server.get_host_and_port())
    import urllib.request

    # moto's accounts live in the process: start each test from none
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_ENDPOINT_URL_IAM": url,
        "AWS_ENDPOINT_URL_S3": url,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    clients = {
        name: boto3.client(name, endpoint_url=url, region_name="us-east-1")
        for name in ("iam", "s3")
    }
    clients["s3"].create_bucket(Bucket=BUCKET)
    try:
        yield clients
    finally:
        server.stop()


def _role(iam, trust=TRUST, policy=READ, inline=False) -> None:
    iam.create_role(
        Path="/service-role/",
        RoleName="PersonalizeExecutionRole",
        AssumeRolePolicyDocument=json.dumps(trust),
    )
    if policy is None:
        return
    if inline:
        iam.put_role_policy(
            RoleName="PersonalizeExecutionRole",
            PolicyName="read",
            PolicyDocument=json.dumps(policy),
        )
        return
    arn = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(policy))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="PersonalizeExecutionRole", PolicyArn=arn)


def _preflight(cli, workshop):
    return cli("preflight", str(workshop), "--target", "aws", "--var", f"role={ROLE}")


@pytest.mark.parametrize("inline", [False, True])
def test_a_good_role_and_bucket_policy_pass(cli, workshop, moto_env, inline):
    _role(moto_env["iam"], inline=inline)
    moto_env["s3"].put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(BUCKET_POLICY))
    result = _preflight(cli, workshop)
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "OK: role PersonalizeExecutionRole trusts personalize.amazonaws.com and may read "
        f"s3://{BUCKET}/transformed/interactions.csv.\n"
        f"OK: bucket {BUCKET}'s policy lets personalize.amazonaws.com read it.\n"
        "Preflight passed.\n"
    )


def test_missing_role_and_bucket_policy_say_what_to_add(cli, workshop, moto_env):
    result = _preflight(cli, workshop)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        HEAD.format(n="2 problems")
        + f"  {WHO_ROLE}: it does not exist. Create it with this trust policy:\n"
        + _indented(TRUST)
        + "  and this permissions policy:\n"
        + _indented(READ)
        + f"  {WHO_BUCKET}: it has no bucket policy, and Personalize needs one that lets "
        "personalize.amazonaws.com in. Put this policy on it:\n"
        + _indented(BUCKET_POLICY)
        + "Fix them (docs/aws.md, sections 2 and 3) and run again.\n"
    )


def test_a_role_that_trusts_another_service_and_cannot_list(cli, workshop, moto_env):
    trust = json.loads(json.dumps(TRUST))
    trust["Statement"][0]["Principal"]["Service"] = "sagemaker.amazonaws.com"
    get_only = json.loads(json.dumps(READ))
    get_only["Statement"][0]["Action"] = ["s3:GetObject"]
    get_only["Statement"][0]["Resource"] = [f"arn:aws:s3:::{BUCKET}/*"]
    _role(moto_env["iam"], trust=trust, policy=get_only)
    partial = json.loads(json.dumps(BUCKET_POLICY))
    partial["Statement"][0]["Action"] = "s3:ListBucket"
    moto_env["s3"].put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(partial))
    result = _preflight(cli, workshop)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        HEAD.format(n="3 problems")
        + f"  {WHO_ROLE}: its trust policy does not let personalize.amazonaws.com assume it. "
        "Add this statement to its trust policy:\n"
        + _indented(TRUST["Statement"][0])
        + f"  {WHO_ROLE}: its policies do not allow s3:ListBucket on bucket {BUCKET}. Attach "
        "this policy to the role:\n"
        + _indented(READ)
        + f"  {WHO_BUCKET}: its policy does not let personalize.amazonaws.com s3:GetObject. "
        "Add this statement to the bucket policy:\n"
        + _indented(BUCKET_POLICY["Statement"][0])
        + "Fix them (docs/aws.md, sections 2 and 3) and run again.\n"
    )


def test_an_explicit_deny_wins(cli, workshop, moto_env):
    deny = json.loads(json.dumps(READ))
    deny["Statement"].append(
        {"Effect": "Deny", "Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKET}/transformed/*"}
    )
    _role(moto_env["iam"], policy=deny)
    moto_env["s3"].put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(BUCKET_POLICY))
    result = _preflight(cli, workshop)
    assert result.code == 1
    assert f"its policies do not allow s3:GetObject on bucket {BUCKET}." in result.err


class _Denied(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = (
            b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
            b"<Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message>"
            b"</Error><RequestId>1</RequestId></ErrorResponse>"
        )
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_iam_call_the_credentials_may_not_make_is_not_checked(
    cli, workshop, moto_env, monkeypatch
):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Denied)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", f"http://127.0.0.1:{server.server_port}")
    moto_env["s3"].put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(BUCKET_POLICY))
    try:
        result = _preflight(cli, workshop)
    finally:
        server.shutdown()
    assert result.code == 0
    assert result.err == (
        "Warning: could not check role PersonalizeExecutionRole: iam:GetRole was refused to "
        "these credentials (AccessDenied); if it is wrong, the import job fails with the "
        "service's reason.\n"
    )
    assert result.out == (
        f"OK: bucket {BUCKET}'s policy lets personalize.amazonaws.com read it.\n"
        "Preflight passed; 1 check could not be made (see the warning above).\n"
    )


def test_on_the_local_target_there_is_nothing_to_check(cli, workshop):
    result = cli("preflight", str(workshop))
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "Nothing to check on the local target: preflight checks the IAM role and the S3 "
        "bucket policy Personalize uses, on --target aws.\n"
    )


BATCH_JOB = """
batchInferenceJobs:
  nightly-recs:
    solution: segment-workshop-solution
    jobInput: s3://${bucket}/batch/users.jsonl
    jobOutput: s3://${bucket}/batch/out/
    roleArn: ${role}
"""


def test_an_output_location_needs_put_object(cli, workshop, moto_env):
    workshop.write_text(workshop.read_text() + BATCH_JOB)
    _role(moto_env["iam"])  # may read, not write
    writes = json.loads(json.dumps(BUCKET_POLICY))
    writes["Statement"][0]["Action"] = ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    moto_env["s3"].put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(writes))
    result = _preflight(cli, workshop)
    assert (result.code, result.out) == (1, "")
    who = (
        f"role PersonalizeExecutionRole ({ROLE}), which batch inference job nightly-recs "
        "and import segment-workshop-interactions passes to Personalize"
    )
    can_write = json.loads(json.dumps(READ))
    can_write["Statement"][0]["Action"] = ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    assert (
        f"  {who}: its policies do not allow s3:PutObject on bucket {BUCKET}. Attach this "
        "policy to the role:\n" + _indented(can_write)
    ) in result.err
    assert "bucket personalize-data-000000000000, which" not in result.err  # its policy is right


@pytest.mark.parametrize(
    "case,expected",
    [
        (
            "no credentials",
            "Error: no AWS credentials were found: configure them (aws configure, AWS_PROFILE, "
            "or environment variables), or use --target local\n",
        ),
        (
            "IAM out of reach",
            "Error: cannot reach http://127.0.0.1:9/: check the network and the region, or use "
            "--target local\n",
        ),
    ],
)
def test_a_preflight_that_can_check_nothing_is_an_error_not_a_pass(
    cli, workshop, moto_env, tmp_path, monkeypatch, case, expected
):
    """A preflight that could check nothing must not let a pipeline go on."""
    if case == "no credentials":
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    else:
        monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:9")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = _preflight(cli, workshop)
    assert (result.code, result.out, result.err) == (1, "", expected)


def test_iam_pointed_at_local_serve_says_why_it_is_not_checked(
    cli, workshop, moto_env, monkeypatch, tmp_path
):
    """AWS_ENDPOINT_URL sends IAM to local serve too: the warning carries its answer."""
    from personalize_reconcile.local.server import LocalServer
    from personalize_reconcile.local.service import close_service, get_service

    svc = get_service(tmp_path / "served")
    server = LocalServer(svc, "127.0.0.1", 0)
    server.serve_in_thread()
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", server.url)
    moto_env["s3"].put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(BUCKET_POLICY))
    try:
        result = _preflight(cli, workshop)
    finally:
        server.shutdown()
        server.server_close()
        close_service(svc)
    assert result.code == 0
    assert result.err == (
        "Warning: could not check role PersonalizeExecutionRole: iam:GetRole answered "
        "InvalidAction: local serve answers Amazon Personalize (personalize, "
        "personalize-runtime, personalize-events) and S3, not iam; point only those services "
        "at it (AWS_ENDPOINT_URL_PERSONALIZE, AWS_ENDPOINT_URL_S3, ...) rather than every "
        "service (AWS_ENDPOINT_URL); if it is wrong, the import job fails with the service's "
        "reason.\n"
    )
