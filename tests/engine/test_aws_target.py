"""``--target aws`` end to end without AWS: the standard endpoint settings point the
personalize clients at ``preconcile local serve`` and the S3 and IAM clients at moto's
threaded server; ``local serve --s3-endpoint-url`` makes the import jobs read through the
same S3. ``uploadFrom`` and the data fingerprint go through the real S3 API there, and
apply's preflight reads the service role and the bucket policy from moto's IAM and S3.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

import boto3
import pytest
from serving import start_serve

from personalize_reconcile.backends.local import local_client
from personalize_reconcile.local import metering

BUCKET = "personalize-data-000000000000"
ROLE = "PersonalizeExecutionRole"  # the workshop's role, by name
BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "personalize.amazonaws.com"},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
        }
    ],
}


@pytest.fixture
def aws_env(tmp_path):
    from moto.server import ThreadedMotoServer

    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRECONCILE_"))}
    base.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        # local serve settles in milliseconds: no need for the 5 s first poll meant for AWS
        PRECONCILE_POLL_INTERVAL="0.05",
    )
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    s3_url = "http://{}:{}".format(*moto.get_host_and_port())
    # moto's accounts live in the process: start from none
    urllib.request.urlopen(urllib.request.Request(f"{s3_url}/moto-api/reset", method="POST"))
    log = tmp_path / "calls.log"
    serve = start_serve(
        tmp_path / "served",
        "--s3-endpoint-url",
        s3_url,
        env=dict(base, PRECONCILE_LOCAL_CALL_LOG=str(log)),
    )
    try:
        url = serve.url
        env = dict(
            base,
            AWS_ENDPOINT_URL_PERSONALIZE=url,
            AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME=url,
            AWS_ENDPOINT_URL_S3=s3_url,
            AWS_ENDPOINT_URL_IAM=s3_url,
        )
        keys = dict(
            endpoint_url=s3_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3 = boto3.client("s3", **keys)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(BUCKET_POLICY))
        iam = boto3.client("iam", **keys)
        statement = {k: v for k, v in BUCKET_POLICY["Statement"][0].items() if k != "Principal"}
        iam.create_role(
            Path="/service-role/",
            RoleName=ROLE,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "personalize.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )
        iam.put_role_policy(
            RoleName=ROLE,
            PolicyName="read-data",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
        )
        yield env, log, s3_url
    finally:
        serve.stop(signal.SIGTERM)
        moto.stop()


def _run(env, cwd, *args):
    return subprocess.run(
        [sys.executable, "-m", "personalize_reconcile", *args, "--target", "aws"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_four_runs_against_local_serve_and_s3(aws_env, workshop, tmp_path):
    env, log, s3_url = aws_env
    plan = _run(env, tmp_path, "plan", str(workshop), "--json")
    assert plan.returncode == 0, plan.stderr
    doc = json.loads(plan.stdout)
    assert doc["target"] == "aws"
    assert doc["summary"]["create"] == 7

    applied = _run(env, tmp_path, "apply", str(workshop), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 7 created, 0 updated, 0 replaced, 0 deleted." in applied.stdout

    s3 = boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    head = s3.head_object(Bucket=BUCKET, Key="transformed/interactions.csv")
    assert head["ContentLength"] == (workshop.parent / "data" / "interactions.csv").stat().st_size

    again = _run(env, tmp_path, "plan", str(workshop), "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr

    before = len(metering.read(log))
    noop = _run(env, tmp_path, "apply", str(workshop), "--auto-approve")
    assert noop.returncode == 0, noop.stderr
    calls = metering.read(log)[before:]
    assert calls
    assert [c for c in calls if not c.split(".")[1].startswith(("Describe", "List", "Get"))] == []

    rec = _run(
        env,
        tmp_path,
        "recommend",
        "--campaign",
        "segment-workshop-campaign",
        "--user-id",
        "made-up",
        "--json",
    )
    assert rec.returncode == 0, rec.stderr
    assert len(json.loads(rec.stdout)["itemList"]) == 25


@pytest.mark.slow
def test_saved_plan_on_the_aws_target(aws_env, workshop, tmp_path):
    env, _, _ = aws_env
    path = tmp_path / "aws.plan"
    made = _run(env, tmp_path, "plan", str(workshop), "--out", str(path))
    assert made.returncode == 0, made.stderr
    saved = json.loads(path.read_text())
    assert (saved["target"]["name"], saved["target"]["state_dir"]) == ("aws", None)

    applied = _run(env, tmp_path, "apply", str(path))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 7 created, 0 updated, 0 replaced, 0 deleted." in applied.stdout

    again = _run(env, tmp_path, "apply", str(path))
    assert again.returncode == 1
    assert again.stderr.startswith(
        f"Error: the saved plan {path} is stale: the live state changed since the plan was "
        "made: dataset_group.segment-workshop exists now (ACTIVE); "
    )


def _serve(tmp_path, env, s3_url=None, *extra):
    args = [*(["--s3-endpoint-url", s3_url] if s3_url else []), *extra]
    served = start_serve(tmp_path / "served", *args, env=env)
    return served, served.url


@pytest.mark.slow
def test_a_failed_import_is_retried_under_a_new_name(aws_env, workshop, tmp_path):
    env, _, s3_url = aws_env
    # A second local Personalize that does NOT read the S3 server: its import cannot find
    # the uploaded object and fails...
    first, url = _serve(tmp_path / "b", env)
    try:
        run_env = dict(
            env, AWS_ENDPOINT_URL_PERSONALIZE=url, AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME=url
        )
        failed = _run(run_env, tmp_path, "apply", str(workshop), "--auto-approve")
        assert failed.returncode == 1
        assert (
            "  import.segment-workshop-interactions: Bucket personalize-data-000000000000 "
            "does not exist"
        ) in failed.stderr
    finally:
        first.stop(signal.SIGTERM)
    # ... then the same state served with the S3 server: the next apply retries the import.
    second, url = _serve(tmp_path / "b", env, s3_url)
    try:
        run_env = dict(
            env, AWS_ENDPOINT_URL_PERSONALIZE=url, AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME=url
        )
        plan = _run(run_env, tmp_path, "plan", str(workshop), "--json")
        change = next(
            c for c in json.loads(plan.stdout)["resource_changes"] if c["type"] == "import"
        )
        assert change["actions"] == ["create"]
        assert change["reason"].startswith(
            "the last import of this data failed: Bucket personalize-data-000000000000 does "
            "not exist"
        )
        assert "; trying again" in change["reason"]
        fixed = _run(run_env, tmp_path, "apply", str(workshop), "--auto-approve")
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        again = _run(run_env, tmp_path, "plan", str(workshop), "--detailed-exitcode")
        assert again.returncode == 0, again.stdout + again.stderr
    finally:
        second.stop(signal.SIGTERM)


@pytest.mark.slow
def test_local_target_with_an_s3_endpoint_uploads_where_it_imports(aws_env, workshop, tmp_path):
    env, _, s3_url = aws_env
    env = dict(env, PRECONCILE_LOCAL_S3_ENDPOINT_URL=s3_url)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "personalize_reconcile",
            "apply",
            str(workshop),
            "--auto-approve",
            "--state-dir",
            str(tmp_path / "inproc"),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert s3.head_object(Bucket=BUCKET, Key="transformed/interactions.csv")["ContentLength"] > 0


@pytest.mark.slow
def test_apply_through_injected_faults_converges_without_duplicates(aws_env, workshop, tmp_path):
    env, _, s3_url = aws_env
    served, url = _serve(
        tmp_path / "faulty", env, s3_url, "--faults", "throttle=0.05,error=0.03,drop=0.03,seed=7"
    )
    try:
        run_env = dict(
            env, AWS_ENDPOINT_URL_PERSONALIZE=url, AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME=url
        )
        runs = []
        for _ in range(3):  # a run may end on a fault its retries could not absorb; run again
            runs.append(_run(run_env, tmp_path, "apply", str(workshop), "--auto-approve"))
            if runs[-1].returncode == 0:
                break
        assert runs[-1].returncode == 0, [r.stdout + r.stderr for r in runs]
        plan = _run(run_env, tmp_path, "plan", str(workshop), "--detailed-exitcode")
        assert plan.returncode == 0, plan.stdout + plan.stderr
    finally:
        err = served.stop(signal.SIGTERM)
    assert "injecting faults: throttle 0.05, error 0.03, drop 0.03 per request (seed 7)" in err
    state = tmp_path / "faulty" / "served"
    client = local_client("personalize", state_dir=state)
    solution = "arn:aws:personalize:us-east-1:000000000000:solution/segment-workshop-solution"
    dataset = "arn:aws:personalize:us-east-1:000000000000:dataset/segment-workshop/INTERACTIONS"
    assert len(client.list_solution_versions(solutionArn=solution)["solutionVersions"]) == 1
    assert len(client.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]) == 1
    assert len(client.list_campaigns(solutionArn=solution)["campaigns"]) == 1


@pytest.mark.slow
def test_apply_stops_before_writing_when_the_bucket_policy_is_missing(aws_env, workshop, tmp_path):
    env, log, s3_url = aws_env
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.delete_bucket_policy(Bucket=BUCKET)
    planned = _run(env, tmp_path, "plan", str(workshop), "--detailed-exitcode")
    assert planned.returncode == 2, planned.stderr
    assert planned.stderr.startswith(
        "Warning: apply will stop before writing anything: preflight found 1 problem with "
        "what Personalize needs to read the data:\n"
        f"  bucket {BUCKET}, which import segment-workshop-interactions reads: it has no "
        "bucket policy"
    )
    assert planned.stderr.endswith(
        "Fix it (docs/aws.md, sections 2 and 3), or apply with --skip-preflight.\n"
    )
    before = len(metering.read(log)) if log.exists() else 0
    refused = _run(env, tmp_path, "apply", str(workshop), "--auto-approve")
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "Error: preflight found 1 problem with what Personalize needs to read the data; "
        "nothing was changed:\n"
        f"  bucket {BUCKET}, which import segment-workshop-interactions reads: it has no "
        "bucket policy, and Personalize needs one that lets personalize.amazonaws.com in. "
        "Put this policy on it:\n"
    )
    assert refused.stderr.endswith(
        "Fix it (docs/aws.md, sections 2 and 3) and run again, or pass --skip-preflight to "
        "apply anyway.\n"
    )
    calls = metering.read(log)[before:] if log.exists() else []
    assert [c for c in calls if not c.split(".")[1].startswith(("Describe", "List", "Get"))] == []
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0  # nothing uploaded
