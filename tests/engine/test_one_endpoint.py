"""``--target aws`` against one ``preconcile local serve`` and nothing else: with
``AWS_ENDPOINT_URL`` pointing at it, personalize, personalize-runtime and S3 (``uploadFrom``,
the data fingerprint, the import job's read) all go to the same endpoint. Four runs: plan
shows changes, apply, plan empty, apply no-op.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import boto3
import pytest
from serving import start_serve

from personalize_reconcile.local import metering

BUCKET = "personalize-data-000000000000"


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
def test_four_runs_against_one_local_serve_endpoint(workshop, tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRECONCILE_"))}
    base.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        PRECONCILE_POLL_INTERVAL="0.05",
    )
    log = tmp_path / "calls.log"
    served = start_serve(tmp_path / "served", env=dict(base, PRECONCILE_LOCAL_CALL_LOG=str(log)))
    try:
        env = dict(base, AWS_ENDPOINT_URL=served.url)
        s3 = boto3.client(
            "s3",
            endpoint_url=served.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket=BUCKET)

        plan = _run(env, tmp_path, "plan", str(workshop), "--json")
        assert plan.returncode == 0, plan.stderr
        assert json.loads(plan.stdout)["summary"]["create"] == 7

        applied = _run(env, tmp_path, "apply", str(workshop), "--auto-approve")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert "Apply complete: 7 created, 0 updated, 0 replaced, 0 deleted." in applied.stdout
        data = (workshop.parent / "data" / "interactions.csv").read_bytes()
        got = s3.get_object(Bucket=BUCKET, Key="transformed/interactions.csv")["Body"].read()
        assert got == data
        stored = tmp_path / "served" / "s3" / BUCKET / "transformed" / "interactions.csv"
        assert stored.read_bytes() == data  # the object store the import job read

        again = _run(env, tmp_path, "plan", str(workshop), "--detailed-exitcode")
        assert again.returncode == 0, again.stdout + again.stderr

        before = len(metering.read(log))
        noop = _run(env, tmp_path, "apply", str(workshop), "--auto-approve")
        assert noop.returncode == 0, noop.stderr
        calls = metering.read(log)[before:]
        assert calls
        assert [
            c for c in calls if not c.split(".")[1].startswith(("Describe", "List", "Get"))
        ] == []
    finally:
        err = served.stop(signal.SIGTERM)
    assert "Traceback" not in err
