"""Batch inference and batch segment jobs, run as content-addressed jobs
(CreateBatchInferenceJob, CreateBatchSegmentJob; reference §2).

Batch jobs are create-only: they cannot be updated or deleted, and a job name is spent for
good (reference §1). Like imports (:mod:`personalize_reconcile.resources.import_job`), a
job's name is ``<name>-<8 hex>``, the hash covering the input data (the MD5 and size of the
``uploadFrom`` file, or the ETag and size of every object at ``jobInput``), the solution
version ARN and the configuration (input and output paths, ``numResults``, ``roleArn``).
So a job runs when any of those changed and never twice for the same inputs; a job that
failed is retried under the next attempt's name (the attempt number joins the hash). The
plan's reason says why a job runs, from the newest earlier job of the same base name: a new
solution version, a changed configuration (naming the fields), or changed input data.

One List call per kind reads every job of the account (ListBatchInferenceJobs /
ListBatchSegmentJobs without a filter), since an earlier job may belong to an earlier
version. ``destroy`` deletes no batch job: the service keeps them.

Callers: the engine, through ``resources.kinds()``.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from personalize_reconcile.resources.base import (
    UNKNOWN,
    Context,
    Desired,
    Kind,
    Live,
    ResourceError,
)
from personalize_reconcile.resources.fingerprint import short

CONFIG_FIELDS = ("jobInput", "jobOutput", "numResults", "roleArn")
"""The configuration a job's name covers, as Desired fields."""


def config_of(raw: dict[str, Any]) -> dict[str, Any]:
    """The :data:`CONFIG_FIELDS` of a Describe object, in the form of Desired fields."""
    return {
        "jobInput": ((raw.get("jobInput") or {}).get("s3DataSource") or {}).get("path"),
        "jobOutput": ((raw.get("jobOutput") or {}).get("s3DataDestination") or {}).get("path"),
        "numResults": raw.get("numResults"),
        "roleArn": raw.get("roleArn"),
    }


class BatchJobKind(Kind):
    """The ``batch_inference_job`` kind, or with ``segment`` the ``batch_segment_job``
    kind."""

    create_only = True
    policy: dict = {}

    def __init__(self, segment: bool = False) -> None:
        noun = "segment" if segment else "inference"
        self.segment = segment
        self.kind = f"batch_{noun}_job"
        self.title = f"batch {noun} job"
        self.result_key = f"batch{noun.capitalize()}Job"
        self.arn_key = f"{self.result_key}Arn"
        self._jobs: list[dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def jobs(self, ctx: Context, fresh: bool = False) -> list[dict[str, Any]]:
        """Every job summary of this kind in the account (one paginated List, cached)."""
        with self._lock:
            if self._jobs is None or fresh:
                jobs: list[dict[str, Any]] = []
                for page in ctx.personalize.get_paginator(f"list_{self.kind}s").paginate():
                    jobs.extend(page.get(f"{self.result_key}s", []))
                self._jobs = jobs
            return self._jobs

    def data_fingerprint(self, ctx: Context, desired: Desired) -> str:
        """The input's fingerprint: of the ``uploadFrom`` file (set by the desired state),
        else of the objects at ``jobInput`` (ETag and size of each; one S3 read).

        Raises:
            personalize_reconcile.local.objectstore.ObjectStoreError (or the S3
                equivalent): nothing at ``jobInput``.
        """
        if "data_fp" not in desired.extra:
            objects = ctx.objects.locate(desired.fields["jobInput"])
            desired.extra["data_fp"] = short([(o.uri, o.etag, o.size) for o in objects])
        return desired.extra["data_fp"]

    def job_name(self, ctx: Context, desired: Desired, version_arn: str, attempt: int = 1) -> str:
        """Set and return the job's name: ``<name>-<8 hex>`` over the input data, the
        solution version ARN, the configuration and, from the second attempt on, the
        attempt number."""
        parts: list[Any] = [
            self.data_fingerprint(ctx, desired),
            version_arn,
            {k: desired.fields.get(k) for k in CONFIG_FIELDS},
        ]
        if attempt > 1:
            parts.append(attempt)
        desired.extra["attempt"] = attempt
        desired.name = f"{desired.extra['base_name']}-{short(*parts)}"
        return desired.name

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        """Find the job for the current inputs (attempt 1, or a later attempt when earlier
        ones failed); when there is none, ``desired.note`` says why one runs."""
        version_arn = ctx.arns.get(desired.extra["version_address"])
        if version_arn is None:
            desired.name = UNKNOWN
            desired.note = "a new solution version: it runs once apply has trained it"
            return None
        jobs = {j.get("jobName"): j for j in self.jobs(ctx)}
        attempt, failure = 1, None
        while True:
            job = jobs.get(self.job_name(ctx, desired, version_arn, attempt))
            if job is None:
                desired.note = (
                    f"the last run of these inputs failed: {failure}; trying again"
                    if failure
                    else self._why(ctx, desired, version_arn)
                )
                return None
            if job.get("status") != "CREATE FAILED":
                return self._live(job, desired)
            failure = job.get("failureReason") or "no reason given"
            attempt += 1

    def _live(self, job: dict[str, Any], desired: Desired) -> Live:
        return Live(
            job[self.arn_key],
            job.get("status", "ACTIVE"),
            dict(desired.fields),
            job,
            failure_reason=job.get("failureReason"),
        )

    def _why(self, ctx: Context, desired: Desired, version_arn: str) -> str:
        """Why the job runs, from the newest earlier job of the same base name."""
        pattern = re.compile(re.escape(desired.extra["base_name"]) + "-[0-9a-f]{8}")
        earlier = [j for j in self.jobs(ctx) if pattern.fullmatch(j.get("jobName") or "")]
        if not earlier:
            return "it has not run yet"
        last = max(earlier, key=lambda j: str(j.get("creationDateTime") or ""))
        if last.get("solutionVersionArn") != version_arn:
            return "a new solution version"
        raw = self.describe(ctx, last[self.arn_key]) or {}
        before = config_of(raw)
        changed = [k for k in CONFIG_FIELDS if before.get(k) != desired.fields.get(k)]
        if changed:
            return f"its configuration changed ({', '.join(changed)})"
        return "the input data changed"

    def complete_name(self, ctx: Context, desired: Desired) -> None:
        """At apply, name a job whose solution version was trained in this run."""
        if desired.name is UNKNOWN:
            version_arn = ctx.arns.get(desired.extra["version_address"])
            if version_arn is not None:
                self.job_name(ctx, desired, version_arn)

    def find(self, ctx: Context, desired: Desired) -> Live | None:
        """The job named ``desired.name``, listed afresh (another apply may have created
        it since refresh)."""
        for job in self.jobs(ctx, fresh=True):
            if job.get("jobName") == desired.name:
                return self._live(job, desired)
        return None

    def create(self, ctx: Context, desired: Desired) -> str:
        location = desired.fields["jobInput"]
        upload = desired.extra.get("upload_path")
        if upload is not None:
            try:
                head = ctx.objects.head(location)
            except LookupError:  # no such object or bucket: upload it
                head = None
            except Exception as exc:  # noqa: BLE001 - access denied, throttling, ...
                raise ResourceError(
                    f"cannot check whether the input is already at {location} before "
                    f"uploading it: {type(exc).__name__}: {exc}"
                ) from exc
            wanted = (desired.extra["upload_etag"], desired.extra["upload_size"])
            if head is None or (head.etag, head.size) != wanted:
                ctx.objects.put(location, upload)
        args: dict[str, Any] = {
            "jobName": desired.name,
            "solutionVersionArn": ctx.arns[desired.extra["version_address"]],
            "jobInput": {"s3DataSource": {"path": location}},
            "jobOutput": {"s3DataDestination": {"path": desired.fields["jobOutput"]}},
            "roleArn": desired.fields["roleArn"],
            "tags": ctx.tags_for(desired),
        }
        if desired.fields.get("numResults") is not None:
            args["numResults"] = desired.fields["numResults"]
        create = getattr(ctx.personalize, f"create_{self.kind}")
        return create(**args)[self.arn_key]

    def kept_by_destroy(self, ctx: Context, desired: Desired) -> str | None:
        """``Kept batch_inference_job.<name>: the service cannot delete batch jobs; its runs
        <job names> and their output at <jobOutput> stay.`` when jobs of this base name
        exist, else ``None``."""
        pattern = re.compile(re.escape(desired.extra["base_name"]) + "-[0-9a-f]{8}")
        runs = sorted(
            j["jobName"] for j in self.jobs(ctx) if pattern.fullmatch(j.get("jobName") or "")
        )
        if not runs:
            return None
        runs_of, owner = ("run", "its") if len(runs) == 1 else ("runs", "their")
        return (
            f"Kept {desired.address}: the service cannot delete batch jobs; its {runs_of} "
            f"{', '.join(runs)} and {owner} output at {desired.fields['jobOutput']} stay."
        )

    def delete(self, ctx: Context, arn: str) -> None:
        """Batch jobs cannot be deleted (reference §2); destroy leaves them."""
        raise TypeError(f"{self.title}s cannot be deleted")
