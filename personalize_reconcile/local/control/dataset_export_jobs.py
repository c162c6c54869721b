"""Dataset export jobs: CreateDatasetExportJob, DescribeDatasetExportJob,
ListDatasetExportJobs.

One job: the rules checked when an export is requested: the dataset ACTIVE, an ``s3://``
output path, ``ingestionMode`` BULK, PUT (the default) or ALL. The records are written
when the job runs (``lifecycle`` through ``seams.run_export``, ``exports``), where a
failure becomes the job's CREATE FAILED. Jobs cannot be deleted; their names are spent for
good. Callers: ``control.call``.

Sources: reference §1 (ARN ``dataset-export-job/<name>``, spent job names), §2 (Std
statuses); the CreateDatasetExportJob API reference (ingestionMode default PUT).
"""

from __future__ import annotations

import sqlite3

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import InvalidInputException

KIND = "dataset-export-job"
DEFAULT_INGESTION_MODE = "PUT"
"""The CreateDatasetExportJob API reference: "The default value is PUT"."""

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeDatasetExportJob", "ListDatasetExportJobs", "datasetArn")


@operation("CreateDatasetExportJob")
def create_dataset_export_job(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateDatasetExportJob: dataset ACTIVE, an s3:// output path (rules in the module
    docstring).

    Raises:
        ResourceNotFoundException / ResourceInUseException: the dataset is missing or not
            ACTIVE. InvalidInputException: the path is not ``s3://``.
        ResourceAlreadyExistsException: the job name is taken or spent.
    """
    ds = records.load_parent(ctx, conn, params["datasetArn"], "dataset")
    destination = dict(params["jobOutput"]["s3DataDestination"])
    if not destination.get("path", "").startswith("s3://"):
        raise InvalidInputException(
            f"jobOutput.s3DataDestination.path {destination.get('path')!r} must be an s3:// "
            "location."
        )
    name = params["jobName"]
    arn = make_arn(ctx, f"{KIND}/{name}")
    body = {
        "jobName": name,
        "datasetExportJobArn": arn,
        "datasetArn": ds.arn,
        "ingestionMode": params.get("ingestionMode") or DEFAULT_INGESTION_MODE,
        "roleArn": params["roleArn"],
        "jobOutput": {"s3DataDestination": destination},
    }
    records.create_under(ctx, conn, ds, KIND, arn, body, params, name_key="jobName")
    return {"datasetExportJobArn": arn}
