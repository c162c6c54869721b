"""Data deletion jobs' work: remove the listed users' records from a dataset group.

One job: read the user list a data deletion job names (``dataSource.dataLocation``: a CSV
object, or every object under a folder path ending in ``/``, whose header has a USER_ID
column) and remove every record of those users from each of the group's datasets that has
a USER_ID field (Interactions, Users, Action_Interactions), through
``datastore.DatasetStore.delete_users``. The next training no longer reads them, and the
runtime no longer sees their recorded events. Caller: ``seams.run_deletion``.

Source: the CreateDataDeletionJob API reference (a CSV of USER_IDs in S3; statuses
PENDING > IN_PROGRESS > COMPLETED or FAILED; ``numDeleted``).
"""

from __future__ import annotations

import csv
import io

from personalize_reconcile.local.datastore import DatasetStore, DatastoreError
from personalize_reconcile.local.objectstore import ObjectStore, ObjectStoreError


class DeletionFailed(Exception):
    """The job cannot run; ``str()`` is the job's failureReason."""


def read_user_ids(store: ObjectStore, location: str) -> set[str]:
    """The USER_ID values of the CSV object(s) at ``location``.

    Raises:
        DeletionFailed: the objects cannot be read, are not UTF-8 text, or have no
            USER_ID column in their header.
    """
    try:
        objects = store.locate(location)
        users: set[str] = set()
        for obj in objects:
            try:
                text = store.get(obj.uri).decode("utf-8-sig")
            except UnicodeDecodeError:
                raise DeletionFailed(f"{obj.uri} is not UTF-8 text.") from None
            reader = csv.reader(io.StringIO(text))
            header = next(reader, [])
            if "USER_ID" not in header:
                raise DeletionFailed(
                    f"{obj.uri} has no USER_ID column; a data deletion job reads a CSV file "
                    "whose header is USER_ID, one user per line."
                )
            col = header.index("USER_ID")
            users.update(row[col] for row in reader if len(row) > col and row[col])
    except ObjectStoreError as exc:
        raise DeletionFailed(str(exc)) from None
    return users


def delete_users(data: DatasetStore, dataset_arns: list[str], users: set[str]) -> int:
    """Remove ``users``' records from each dataset; return how many records went.

    Raises:
        DeletionFailed: a dataset's records cannot be rewritten.
    """
    try:
        return sum(data.delete_users(arn, users) for arn in dataset_arns)
    except DatastoreError as exc:
        raise DeletionFailed(str(exc)) from None
