"""Dataset export jobs' work: a dataset's records written as CSV to ``s3://``.

One job: write the records of one dataset, chosen by how they arrived (``BULK``: import
jobs; ``PUT``: PutEvents, PutItems, PutUsers, PutActions...; ``ALL``: both), as one CSV
object ``<path>/<jobName>/part-00000.csv`` under the job's
``jobOutput.s3DataDestination.path``. The header is the schema's field names in schema
order; a null is an empty cell, booleans are ``true``/``false``, whole-number fields are
written without a decimal point. Caller: ``seams.run_export``.

Source: the CreateDatasetExportJob API reference (ingestionMode BULK | PUT | ALL,
default PUT).
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from personalize_reconcile.local.datastore import DatasetStore, DatastoreError
from personalize_reconcile.local.objectstore import ObjectStore, ObjectStoreError

PART_NAME = "part-00000.csv"
"""The one object an export writes, under ``<path>/<jobName>/``."""


class ExportFailed(Exception):
    """The export cannot be written; ``str()`` is the job's failureReason."""


def output_uri(path: str, job_name: str) -> str:
    """Where an export job writes: ``<path>/<jobName>/part-00000.csv`` (``path`` with or
    without a trailing ``/``)."""
    return f"{path.rstrip('/')}/{job_name}/{PART_NAME}"


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "boolean":
        return "true" if value else "false"
    if kind in ("int", "long"):
        return str(int(value))
    if kind in ("float", "double"):
        number = float(value)
        return "" if math.isnan(number) else repr(number)
    return str(value)


def export_dataset(
    data: DatasetStore,
    store: ObjectStore,
    dataset_arn: str,
    ingestion_mode: str,
    path: str,
    job_name: str,
) -> int:
    """Write ``dataset_arn``'s records of ``ingestion_mode`` to :func:`output_uri`.

    Args:
        data: the state dir's dataset store.
        store: where ``s3://`` objects are written.
        dataset_arn: the dataset exported.
        ingestion_mode: ``BULK``, ``PUT`` or ``ALL``.
        path: ``jobOutput.s3DataDestination.path``.
        job_name: the job's name (the folder written under ``path``).

    Returns:
        The number of records written (0 writes a header-only file).

    Raises:
        ExportFailed: the records cannot be read or the object cannot be written.
    """
    try:
        stored = data.load(dataset_arn, source=None if ingestion_mode == "ALL" else ingestion_mode)
    except DatastoreError as exc:
        raise ExportFailed(str(exc)) from None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f.name for f in stored.fields])
    for i in range(stored.num_rows):
        row = []
        for f in stored.fields:
            mask = stored.nulls.get(f.name)
            value = None if mask is not None and mask[i] else stored.columns[f.name][i]
            row.append(_cell(value, f.type))
        writer.writerow(row)
    try:
        store.put(output_uri(path, job_name), buffer.getvalue().encode())
    except ObjectStoreError as exc:
        raise ExportFailed(str(exc)) from None
    return stored.num_rows
