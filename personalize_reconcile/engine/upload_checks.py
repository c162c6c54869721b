"""Data a plan would import that its import job would refuse: one job, reading each local
file an import of the plan uploads (``uploadFrom``) with the service's CSV rules before
anything is created or deleted, so that plan never promises an import apply cannot make
(and a replacement never deletes what serves while its data is bad).

Only imports the plan creates are read (new data, or a retry of a failed import); a no-op
plan reads nothing. The reading itself is the backends' (``backends/uploads.py``). Called
by the CLI's plan and apply, after the ownership refusal.
"""

from __future__ import annotations

from personalize_reconcile.backends.uploads import upload_problem
from personalize_reconcile.engine.plan import Plan
from personalize_reconcile.resources import Desired


class UploadRefused(Exception):
    """Files the plan's imports would upload fail the import's checks.

    ``str()`` names each import and its file's first problem (file, line, column), says
    that nothing was changed and how to go on.
    """


def refuse_bad_uploads(plan: Plan, desired: dict[str, Desired]) -> None:
    """Raise :class:`UploadRefused` when an import ``plan`` creates would upload a local file
    its import job would fail on (reference §5: the CSV rules, at least 1000 interaction
    records).

    Args:
        plan: the plan.
        desired: address -> desired resource (an import's ``extra`` carries
            ``upload_path``, ``upload_from`` and ``dataset_address``; the dataset's,
            ``dataset_type``; the dataset depends on its schema, whose ``extra["document"]``
            is the Avro schema).

    Raises:
        UploadRefused: one or more files would fail.
    """
    problems = []
    for change in plan.changes:
        d = desired.get(change.address)
        if change.type != "import" or "create" not in change.actions or d is None:
            continue
        path = d.extra.get("upload_path")
        if path is None:
            continue
        dataset = desired[d.extra["dataset_address"]]
        schema = desired[dataset.depends_on[1]].extra["document"]
        problem = upload_problem(
            path, str(d.extra["upload_from"]), dataset.extra["dataset_type"].upper(), schema
        )
        if problem:
            problems.append(f"{change.address}: {problem}")
    if problems:
        lines = "".join(f"\n  {p}" for p in problems)
        files = "the file" if len(problems) == 1 else "the files"
        raise UploadRefused(
            f"the data to import would fail its import; nothing was changed:{lines}\n"
            f"  Fix {files} (uploadFrom) and plan again."
        )
