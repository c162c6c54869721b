"""The Segment workshop, exercises 2 and 4, with the AWS CLI alone against ``preconcile
local serve``: dataset group, schema, import, solution, version, campaign, then an event
tracker and PutEvents that change a user's recommendations at once.

Every call is an ``aws`` command with ``--endpoint-url``, the S3 ones too (``aws s3 mb``,
``aws s3 cp`` up and down): one endpoint, no other server. Skipped when the AWS CLI is not
installed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from serving import start_serve
from workshop_data import WORKSHOP_CSV

WORKSHOP = WORKSHOP_CSV.parent
BUCKET = "s3://personalize-data-000000000000"
ROLE = "arn:aws:iam::000000000000:role/PersonalizeRole"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed"),
]


class Aws:
    """``aws <service> <command> ... --endpoint-url URL --output json`` in a subprocess."""

    def __init__(self, url: str, home: Path) -> None:
        self.url = url
        self.env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "AKIALOCALTEST0000000",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        }

    def s3(self, *args: str) -> str:
        """``aws s3 ARGS... --endpoint-url URL``; its standard output."""
        done = subprocess.run(
            ["aws", "s3", *args, "--endpoint-url", self.url],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def __call__(self, service: str, command: str, *args: str) -> dict:
        done = subprocess.run(
            ["aws", service, command, *args, "--endpoint-url", self.url, "--output", "json"],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def wait(self, command: str, arg: str, arn: str, key: str, done: str = "ACTIVE") -> dict:
        deadline = time.monotonic() + 120
        while True:
            got = self("personalize", command, arg, arn)[key]
            if got["status"] in (done, "CREATE FAILED", "FAILED"):
                assert got["status"] == done, got.get("failureReason")
                return got
            assert time.monotonic() < deadline, got
            time.sleep(0.2)


@pytest.fixture
def aws(tmp_path):
    state = tmp_path / "state"
    served = start_serve(state)
    try:
        aws = Aws(served.url, tmp_path)
        aws.s3("mb", BUCKET)
        aws.s3("cp", str(WORKSHOP_CSV), f"{BUCKET}/workshop/interactions.csv")
        aws.tmp = tmp_path
        yield aws
    finally:
        served.stop()


def test_workshop_exercises_2_and_4_with_the_aws_cli(aws):
    group = aws("personalize", "create-dataset-group", "--name", "segment-workshop")
    group_arn = group["datasetGroupArn"]
    aws.wait("describe-dataset-group", "--dataset-group-arn", group_arn, "datasetGroup")
    schema = aws(
        "personalize",
        "create-schema",
        "--name",
        "segment-workshop-interactions",
        "--schema",
        f"file://{WORKSHOP / 'interactions.avsc'}",
    )
    dataset = aws(
        "personalize",
        "create-dataset",
        "--name",
        "segment-workshop-interactions",
        "--dataset-group-arn",
        group_arn,
        "--dataset-type",
        "Interactions",
        "--schema-arn",
        schema["schemaArn"],
    )["datasetArn"]
    aws.wait("describe-dataset", "--dataset-arn", dataset, "dataset")
    job = aws(
        "personalize",
        "create-dataset-import-job",
        "--job-name",
        "segment-workshop-import",
        "--dataset-arn",
        dataset,
        "--data-source",
        f"dataLocation={BUCKET}/workshop/interactions.csv",
        "--role-arn",
        ROLE,
    )["datasetImportJobArn"]
    aws.wait("describe-dataset-import-job", "--dataset-import-job-arn", job, "datasetImportJob")
    solution = aws(
        "personalize",
        "create-solution",
        "--name",
        "segment-workshop-solution",
        "--dataset-group-arn",
        group_arn,
        "--recipe-arn",
        "arn:aws:personalize:::recipe/aws-user-personalization",
    )["solutionArn"]
    aws.wait("describe-solution", "--solution-arn", solution, "solution")
    version = aws("personalize", "create-solution-version", "--solution-arn", solution)[
        "solutionVersionArn"
    ]
    aws.wait("describe-solution-version", "--solution-version-arn", version, "solutionVersion")
    campaign = aws(
        "personalize",
        "create-campaign",
        "--name",
        "segment-workshop-campaign",
        "--solution-version-arn",
        version,
        "--min-provisioned-tps",
        "1",
    )["campaignArn"]
    aws.wait("describe-campaign", "--campaign-arn", campaign, "campaign")

    rows = list(csv.DictReader(WORKSHOP_CSV.open()))
    user, other = rows[0]["USER_ID"], rows[1]["USER_ID"]

    def top(who: str) -> list[str]:
        out = aws(
            "personalize-runtime",
            "get-recommendations",
            "--campaign-arn",
            campaign,
            "--user-id",
            who,
            "--num-results",
            "10",
        )
        return [i["itemId"] for i in out["itemList"]]

    before, other_before = top(user), top(other)
    # exercise 4: an event tracker, then events for the user through PutEvents
    tracker = aws(
        "personalize",
        "create-event-tracker",
        "--name",
        "segment-workshop-tracker",
        "--dataset-group-arn",
        group_arn,
    )
    aws.wait(
        "describe-event-tracker", "--event-tracker-arn", tracker["eventTrackerArn"], "eventTracker"
    )
    clicked = [i for i in dict.fromkeys(r["ITEM_ID"] for r in reversed(rows)) if i not in before]
    events = [
        {"eventType": "Product Clicked", "itemId": item, "sentAt": 1_700_000_000 + k}
        for k, item in enumerate(clicked[:5])
    ]
    aws(
        "personalize-events",
        "put-events",
        "--tracking-id",
        tracker["trackingId"],
        "--user-id",
        user,
        "--session-id",
        "workshop-session",
        "--event-list",
        json.dumps(events),
    )
    after = top(user)
    # the five items just clicked, none of them recommended before, are now
    assert set(clicked[:5]) <= set(after), (before, after)
    assert top(user) == after  # the same events give the same answer
    assert top(other) == other_before  # only that user's recommendations moved

    # the recorded events, exported as CSV (ingestionMode PUT, the default)
    export = aws(
        "personalize",
        "create-dataset-export-job",
        "--job-name",
        "segment-workshop-events",
        "--dataset-arn",
        dataset,
        "--role-arn",
        ROLE,
        "--job-output",
        json.dumps({"s3DataDestination": {"path": f"{BUCKET}/exports/"}}),
    )["datasetExportJobArn"]
    aws.wait("describe-dataset-export-job", "--dataset-export-job-arn", export, "datasetExportJob")
    copy = aws.tmp / "exported.csv"
    aws.s3("cp", f"{BUCKET}/exports/segment-workshop-events/part-00000.csv", str(copy))
    written = copy.read_bytes()
    assert list(csv.reader(io.StringIO(written.decode()))) == [
        ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"],
        *[[user, e["itemId"], e["eventType"], str(e["sentAt"])] for e in events],
    ]

    # a data deletion job removes the user: its imported rows and its recorded events
    forget = aws.tmp / "forget.csv"
    forget.write_text(f"USER_ID\n{user}\n")
    aws.s3("cp", str(forget), f"{BUCKET}/delete/users.csv")
    deletion = aws(
        "personalize",
        "create-data-deletion-job",
        "--job-name",
        "segment-workshop-forget",
        "--dataset-group-arn",
        group_arn,
        "--data-source",
        f"dataLocation={BUCKET}/delete/users.csv",
        "--role-arn",
        ROLE,
    )["dataDeletionJobArn"]
    job = aws.wait(
        "describe-data-deletion-job",
        "--data-deletion-job-arn",
        deletion,
        "dataDeletionJob",
        done="COMPLETED",
    )
    assert job["numDeleted"] == sum(r["USER_ID"] == user for r in rows) + len(events)
    # the served version still knows the user; the deleted events no longer move it
    assert top(user) == before
