"""Dataset import jobs: CreateDatasetImportJob, DescribeDatasetImportJob,
ListDatasetImportJobs.

One job: the rules checked when an import is requested: the dataset ACTIVE, a
``dataLocation``, at most :data:`IMPORT_JOBS_IN_PROGRESS_PER_REGION` running. The data
itself is read when the job runs (``lifecycle`` through ``seams.run_import``), where a
failure becomes the job's CREATE FAILED. Jobs cannot be deleted; their names are spent
for good when their dataset goes. Callers: ``control.call``.

Sources: reference §1 (ARN, spent names), §5 (imports, modes), §9 (quota).
"""

from __future__ import annotations

import sqlite3

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import InvalidInputException, LimitExceededException
from personalize_reconcile.local.statuses import CREATING

KIND = "dataset-import-job"
IMPORT_JOBS_IN_PROGRESS_PER_REGION = 5
"""Reference §9, the documented default quota."""

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeDatasetImportJob", "ListDatasetImportJobs", "datasetArn")


@operation("CreateDatasetImportJob")
def create_dataset_import_job(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateDatasetImportJob: dataset ACTIVE; at most 5 jobs running per region; the
    data is read when the job runs (reference §5)."""
    ds = records.load_parent(ctx, conn, params["datasetArn"], "dataset")
    name = params["jobName"]
    arn = make_arn(ctx, f"dataset-import-job/{name}")
    running = records.count(
        conn,
        "kind='dataset-import-job' AND account=? AND region=? AND status IN (?,?)",
        (ctx.account, ctx.region, *CREATING),
    )
    if running >= IMPORT_JOBS_IN_PROGRESS_PER_REGION and ctx.store.get(arn, conn) is None:
        raise LimitExceededException(
            f"You have reached the limit of {IMPORT_JOBS_IN_PROGRESS_PER_REGION} dataset "
            "import jobs pending or in progress in this region."
        )
    location = params["dataSource"].get("dataLocation")
    if not location:
        raise InvalidInputException("dataSource.dataLocation is required.")
    body = {
        "jobName": name,
        "datasetImportJobArn": arn,
        "datasetArn": ds.arn,
        "dataSource": {"dataLocation": location},
        "importMode": params.get("importMode") or "FULL",
        "publishAttributionMetricsToS3": bool(params.get("publishAttributionMetricsToS3", False)),
    }
    if params.get("roleArn"):
        body["roleArn"] = params["roleArn"]
    records.create_under(ctx, conn, ds, KIND, arn, body, params, name_key="jobName")
    return {"datasetImportJobArn": arn}
