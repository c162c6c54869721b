"""Checks of the local files imports upload, before anything is created.

One job: tell whether the CSV file an import uploads (``uploadFrom``) would pass the import
job, with the local target's reader of import data (``local.csvimport``, the service's
CSV rules, reference §5), so that plan refuses data the import would fail on rather than
apply creating the group, schema and dataset first, or deleting what a replacement
replaces. Callers: the engine (``engine/upload_checks.py``), for both targets.
"""

from __future__ import annotations

import os
from pathlib import Path

CHECK_MAX_BYTES = 256 * 1024 * 1024
"""Files larger than this are not read at plan time; their import reports what is wrong.
Up to this size the import's reader takes a file whole on its fast path (pyarrow's CSV
reader), in about 1 s per 128 MiB and 3-4 times the file's size in memory."""


def upload_problem(path: str | Path, shown_as: str, dataset_type: str, schema: dict) -> str | None:
    """Why an import of the file ``path`` would fail, as its failureReason with the line and
    column (``Input CSV data/x.csv, line 5, column TIMESTAMP: ...``); ``None`` when it would
    import, or when the file is larger than :data:`CHECK_MAX_BYTES` or cannot be read (the
    upload then reports the file).

    Args:
        path: the local file.
        shown_as: its name in the message (the manifest's ``uploadFrom``).
        dataset_type: ``INTERACTIONS``, ``ITEMS``, ``USERS``, ``ACTIONS`` or
            ``ACTION_INTERACTIONS``.
        schema: the dataset's Avro schema (the manifest's document).
    """
    from personalize_reconcile.local import csvimport

    try:
        if os.path.getsize(path) > CHECK_MAX_BYTES:
            return None
        return csvimport.check_file(Path(path), shown_as, dataset_type, schema)
    except (OSError, ValueError):
        return None
