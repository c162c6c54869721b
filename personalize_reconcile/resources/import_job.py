"""Dataset import job: one bulk import of CSV data (CreateDatasetImportJob; reference §2, §5).

Import jobs are create-only (they cannot be updated or deleted, and a job name is spent for
good), so this kind never updates: a job whose name carries the current fingerprint
(:mod:`personalize_reconcile.resources.fingerprint`) means the data is imported; otherwise
a new job is created, after uploading ``uploadFrom`` when the object differs. One
ListDatasetImportJobs call per dataset reads every import of it.
"""

from __future__ import annotations

import threading
from typing import Any

from personalize_reconcile.resources.base import UNKNOWN, Context, Desired, Kind, Live


class ImportJobKind(Kind):
    """The ``import`` resource kind (dataset import jobs)."""

    kind = "import"
    title = "import job"
    result_key = "datasetImportJob"
    arn_key = "datasetImportJobArn"
    create_only = True
    policy: dict = {}

    def __init__(self) -> None:
        self._jobs: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @property
    def api_name(self) -> str:
        return "dataset_import_job"

    def jobs_of(self, ctx: Context, dataset_arn: str) -> list[dict[str, Any]]:
        """Every import job summary of a dataset (one paginated List call, cached)."""
        with self._lock:
            if dataset_arn not in self._jobs:
                jobs = []
                pages = ctx.personalize.get_paginator("list_dataset_import_jobs").paginate(
                    datasetArn=dataset_arn
                )
                for page in pages:
                    jobs.extend(page.get("datasetImportJobs", []))
                self._jobs[dataset_arn] = jobs
            return self._jobs[dataset_arn]

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        dataset = desired.extra["dataset_address"]
        if dataset not in ctx.arns or desired.name is UNKNOWN:
            return None
        for job in self.jobs_of(ctx, ctx.arns[dataset]):
            if job.get("jobName") == desired.name:
                return Live(
                    job["datasetImportJobArn"],
                    job.get("status", "ACTIVE"),
                    dict(desired.fields),
                    job,
                    failure_reason=job.get("failureReason"),
                )
        return None

    def create(self, ctx: Context, desired: Desired) -> str:
        upload = desired.extra.get("upload_path")
        location = desired.fields["dataLocation"]
        if upload is not None:
            etag, size = desired.extra["upload_etag"], desired.extra["upload_size"]
            try:
                head = ctx.objects.head(location)
                same = head.etag == etag and head.size == size
            except Exception:  # noqa: BLE001 - any "not there" answer means upload
                same = False
            if not same:
                ctx.objects.put(location, upload)
        args = {
            "jobName": desired.name,
            "datasetArn": ctx.arns[desired.extra["dataset_address"]],
            "dataSource": {"dataLocation": location},
            "importMode": desired.fields["importMode"],
            "tags": ctx.tags_for(desired),
        }
        if desired.fields.get("roleArn"):
            args["roleArn"] = desired.fields["roleArn"]
        if desired.fields.get("publishAttributionMetricsToS3") is not None:
            args["publishAttributionMetricsToS3"] = desired.fields["publishAttributionMetricsToS3"]
        return ctx.personalize.create_dataset_import_job(**args)["datasetImportJobArn"]
