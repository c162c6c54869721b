"""Data deletion jobs: CreateDataDeletionJob, DescribeDataDeletionJob, ListDataDeletionJobs.

One job: the rules checked when a deletion is requested: the dataset group ACTIVE, an
``s3://`` dataLocation, at most :data:`PENDING_PER_GROUP` jobs not yet finished per group.
The users are removed when the job runs (``lifecycle`` through ``seams.run_deletion``,
``deletions``); ``numDeleted`` is then the number of records removed from the group's
datasets. Statuses are the API's own: ``PENDING > IN_PROGRESS > COMPLETED`` or
``FAILED`` (with failureReason). Jobs cannot be deleted; their names are spent for good.
Callers: ``control.call``.

Sources: reference §1 (ARN ``data-deletion-job/<name>``, spent job names), §9 (5 PENDING
data-deletion jobs per dataset group); the botocore model's DataDeletionJob.status.
"""

from __future__ import annotations

import sqlite3

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import operation, status_words
from personalize_reconcile.local.exceptions import InvalidInputException, LimitExceededException
from personalize_reconcile.local.statuses import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    CREATING,
)

KIND = "data-deletion-job"
PENDING_PER_GROUP = 5
"""Reference §9: PENDING data-deletion jobs per dataset group."""

status_words(
    KIND,
    {
        CREATE_PENDING: "PENDING",
        CREATE_IN_PROGRESS: "IN_PROGRESS",
        ACTIVE: "COMPLETED",
        CREATE_FAILED: "FAILED",
    },
)
# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeDataDeletionJob", "ListDataDeletionJobs", "datasetGroupArn")


@operation("CreateDataDeletionJob")
def create_data_deletion_job(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateDataDeletionJob (rules in the module docstring).

    Raises:
        ResourceNotFoundException / ResourceInUseException: the group is missing or not
            ACTIVE. InvalidInputException: dataLocation is not ``s3://``.
        LimitExceededException: 5 jobs of the group not finished yet.
        ResourceAlreadyExistsException: the job name is taken or spent.
    """
    group = records.load_parent(ctx, conn, params["datasetGroupArn"], "dataset-group")
    location = (params.get("dataSource") or {}).get("dataLocation") or ""
    if not location.startswith("s3://"):
        raise InvalidInputException(
            f"dataSource.dataLocation {location!r} must be an s3:// location of a CSV file "
            "with a USER_ID column."
        )
    running = records.count(
        conn, "kind=? AND grp=? AND status IN (?,?)", (KIND, group.arn, *CREATING)
    )
    if running >= PENDING_PER_GROUP:
        raise LimitExceededException(
            f"Dataset group {group.arn} already has {PENDING_PER_GROUP} data deletion jobs "
            "pending or in progress; wait for one to finish."
        )
    name = params["jobName"]
    arn = make_arn(ctx, f"{KIND}/{name}")
    body = {
        "jobName": name,
        "dataDeletionJobArn": arn,
        "datasetGroupArn": group.arn,
        "dataSource": {"dataLocation": location},
        "roleArn": params["roleArn"],
    }
    records.create_under(ctx, conn, group, KIND, arn, body, params, name_key="jobName")
    return {"dataDeletionJobArn": arn}
