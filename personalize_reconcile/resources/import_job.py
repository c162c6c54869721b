"""Dataset import job: one bulk import of CSV data (CreateDatasetImportJob; reference §2, §5).

Import jobs are create-only (they cannot be updated or deleted, and a job name is spent for
good), so this kind never updates: a job whose name carries the current fingerprint
(:mod:`personalize_reconcile.resources.fingerprint`) means the data is imported; otherwise
a new job is created, after uploading ``uploadFrom`` when the object differs. One
ListDatasetImportJobs call per dataset reads every import of it.

Callers: the engine, through ``resources.kinds()`` and ``engine/desired.py``.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import Any

from personalize_reconcile.backends.target import ContentChangedError
from personalize_reconcile.resources.base import Context, Desired, Kind, Live, ResourceError
from personalize_reconcile.resources.fingerprint import short


def job_name(desired: Desired, dataset_created: Any, attempt: int = 1) -> str:
    """Set and return an import job's name: ``<name>-<8 hex>`` over the data fingerprint
    (``desired.extra["data_fp"]``), the dataLocation, the import mode, the dataset's
    creationDateTime (its incarnation) and, from the second attempt on, the attempt."""
    created = (
        dataset_created.timestamp() if hasattr(dataset_created, "timestamp") else dataset_created
    )
    parts = [
        desired.extra["data_fp"],
        desired.fields["dataLocation"],
        desired.fields["importMode"],
        created,
    ]
    if attempt > 1:
        parts.append(attempt)
    desired.extra["attempt"] = attempt
    desired.name = f"{desired.extra['base_name']}-{short(*parts)}"
    return desired.name


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
        """Find the job for the current data. Attempt 1 is ``<name>-<fingerprint>``; when
        a job of that name failed (job names are spent for good), or its data was replaced
        since (:meth:`after_full`), the next attempt gets a fingerprint that also covers
        the attempt number, and so on. The latest attempt that did not fail is the data's
        job; with none, re-running apply imports it with a fresh name."""
        dataset = ctx.live.get(desired.extra["dataset_address"])
        if dataset is None or desired.extra["dataset_address"] not in ctx.arns:
            desired.note = "new data to import" + _duplicates_note(desired)
            return None
        jobs = {j.get("jobName"): j for j in self.jobs_of(ctx, dataset.arn)}
        created = dataset.raw.get("creationDateTime")
        attempt, failure, found = 1, None, None
        while True:
            job = jobs.get(job_name(desired, created, attempt))
            if job is None:
                break
            if job.get("status") != "CREATE FAILED":
                found, failure = (job, attempt), None
            else:
                failure = job.get("failureReason") or "no reason given"
            attempt += 1
        if found is not None and failure is None:
            job_name(desired, created, found[1])  # the name and attempt of that job
            return _job_live(found[0], desired)
        # a name for the next attempt (job_name set it); say why it is needed
        desired.note = (
            f"the last import of this data failed: {failure}; trying again"
            if failure
            else _not_imported_note(desired, jobs, created)
        )
        desired.note += _duplicates_note(desired)
        return None

    def after_full(
        self, ctx: Context, desired: Desired, full: str, since: Any | None
    ) -> Live | None:
        """Read an import again whose data a FULL import replaced, or is about to replace:
        a FULL import replaces the dataset's bulk data (reference §5), so what this one
        imported is gone and it must run again.

        Args:
            ctx: the context (the dataset was read).
            desired: this import, read by :meth:`read` and found imported.
            full: that FULL import, in words (``import.x (importMode FULL)``, ``a FULL
                import of other data``).
            since: its job's creationDateTime, or ``None`` when it is to be created by
                this plan.

        Returns:
            A later attempt of this import's job made after ``full``'s (so it is the data
            now), or ``None``: the next attempt is to be created, with ``desired.note``
            saying why.
        """
        dataset = ctx.live[desired.extra["dataset_address"]]
        jobs = {j.get("jobName"): j for j in self.jobs_of(ctx, dataset.arn)}
        created = dataset.raw.get("creationDateTime")
        attempt = desired.extra.get("attempt", 1)
        while True:
            attempt += 1
            job = jobs.get(job_name(desired, created, attempt))
            if job is None:
                desired.note = (
                    f"{full} replaced the dataset's data since this data was imported; "
                    "imported again"
                    if since is not None
                    else f"{full} is imported first and replaces the dataset's data; "
                    "imported again after it"
                ) + _duplicates_note(desired)
                return None
            made = job.get("creationDateTime")
            if (
                job.get("status") != "CREATE FAILED"
                and since is not None
                and not later(since, made)
            ):
                return _job_live(job, desired)

    def find(self, ctx: Context, desired: Desired) -> Live | None:
        """The job named ``desired.name`` (completed before the create was refused),
        listed afresh: another apply may have created it since refresh."""
        dataset = ctx.arns[desired.extra["dataset_address"]]
        with self._lock:
            self._jobs.pop(dataset, None)
        for job in self.jobs_of(ctx, dataset):
            if job.get("jobName") == desired.name:
                return _job_live(job, desired)
        return None

    def create(self, ctx: Context, desired: Desired) -> str:
        upload = desired.extra.get("upload_path")
        location = desired.fields["dataLocation"]
        if upload is not None:
            etag, size = desired.extra["upload_etag"], desired.extra["upload_size"]
            try:
                head = ctx.objects.head(location)
            except LookupError:  # no such object or bucket: upload it
                head = None
            except Exception as exc:  # noqa: BLE001 - access denied, throttling, ...
                raise ResourceError(_head_failed(location, exc)) from exc
            if head is None or (head.etag, head.size) != (etag, size):
                try:  # only the bytes the plan read and checked (their MD5)
                    ctx.objects.put(location, upload, content_md5=etag.strip('"'))
                except ContentChangedError:
                    raise ResourceError(
                        f"{desired.extra.get('upload_from', upload)} changed since the plan "
                        "read it, so it was not uploaded; plan again to use it as it is now"
                    ) from None
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


def _not_imported_note(desired: Desired, jobs: dict[str, Any], created: Any) -> str:
    """Why an import with no job for its data is planned: the data is new, or it was
    imported with the other ``importMode`` (its job's name covers the mode)."""
    mode = desired.fields["importMode"]
    other = "INCREMENTAL" if mode == "FULL" else "FULL"
    probe = Desired(
        desired.address,
        desired.kind,
        desired.name,
        {**desired.fields, "importMode": other},
        extra={k: desired.extra[k] for k in ("data_fp", "base_name") if k in desired.extra},
    )
    if job_name(probe, created) in jobs:
        return f"this data was imported with importMode {other}; importing it as {mode}"
    return "this data has not been imported yet"


def _job_live(job: dict[str, Any], desired: Desired) -> Live:
    """The :class:`Live` of an import job summary (its fields are the desired ones: a job
    that exists under the name imported exactly this data)."""
    return Live(
        job["datasetImportJobArn"],
        job.get("status", "ACTIVE"),
        dict(desired.fields),
        job,
        failure_reason=job.get("failureReason"),
    )


def made_by(job_name: str, base_names: list[str]) -> bool:
    """Whether ``job_name`` is one :func:`job_name` gives an import of one of
    ``base_names`` (``<base name>-<8 hex>``), whatever its data."""
    return any(
        job_name.startswith(base + "-") and _HEX8.fullmatch(job_name[len(base) + 1 :]) is not None
        for base in base_names
    )


_HEX8 = re.compile(r"[0-9a-f]{8}")


def seconds(t: Any) -> float:
    """A service time (a datetime, or epoch seconds) in epoch seconds; a missing one is 0."""
    return t.timestamp() if hasattr(t, "timestamp") else float(t or 0)


def later(a: Any, b: Any) -> bool:
    """Whether the time ``a`` is later than ``b`` (see :func:`seconds`)."""
    return seconds(a) > seconds(b)


def _head_failed(location: str, exc: Exception) -> str:
    """The reason an import stops when its data location cannot be looked at: the bucket,
    the key and what S3 (or the local store) answered."""
    bucket, _, key = location.removeprefix("s3://").partition("/")
    err = getattr(exc, "response", {}).get("Error", {})
    answer = f"{err.get('Code')}: {err.get('Message')}" if err else f"{type(exc).__name__}: {exc}"
    return (
        f"cannot check whether the data is already at {location} (bucket {bucket}, key {key}) "
        f"before uploading it: {answer}"
    )


def _duplicates_note(desired: Desired) -> str:
    """``; it holds N exact duplicate rows (the first is line L), which training counts
    once`` for an ``uploadFrom`` file with such rows, else ``""``."""
    upload = desired.extra.get("upload_path")
    dups = duplicate_rows(upload) if upload else None
    if not dups:
        return ""
    count, line = dups
    return (
        f"; it holds {count} exact duplicate row{'s' if count != 1 else ''} "
        f"(the first is line {line}), which training counts once"
    )


DUPLICATES_MAX_BYTES = 512 * 1024 * 1024
"""Files up to this size are checked for exact duplicate rows when an import is planned."""


def duplicate_rows(path: str) -> tuple[int, int] | None:
    """How many data rows of the CSV file ``path`` repeat an earlier row byte for byte,
    and the line number (1-based, header = 1) of the first such repeat; ``None`` when
    there are none, or the file is larger than :data:`DUPLICATES_MAX_BYTES` or cannot be
    read (the import reports what is wrong with it). Line ends are ignored, so CRLF and
    LF copies of a row count as the same.

    Training leaves such rows out of the minimum-data counts (``local/training/data.py``);
    the plan says so before the data is imported.
    """
    try:
        if os.path.getsize(path) > DUPLICATES_MAX_BYTES:
            return None
        seen: set[bytes] = set()
        count, first = 0, 0
        with open(path, "rb") as fh:
            fh.readline()  # the header
            for number, line in enumerate(fh, 2):
                row = line.rstrip(b"\r\n")
                if not row:
                    continue
                key = hashlib.blake2b(row, digest_size=16).digest()
                if key in seen:
                    count += 1
                    first = first or number
                else:
                    seen.add(key)
    except OSError:
        return None
    return (count, first) if count else None
