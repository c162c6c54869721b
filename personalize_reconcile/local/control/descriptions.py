"""The Describe shape of a stored resource.

One job: turn a stored row into the object a Describe operation answers (``campaign``,
``solution``...): its body, ``status``, ``creationDateTime`` and
``lastUpdatedDateTime`` (epoch seconds), plus the fields a kind computes from other rows
(registered by its module with ``registry.describer``). Callers: the kind modules
(Describe and List answers), ``pagination`` (summaries), and the status machine through
``LocalService`` (``lifecycle`` builds the trainer's Describe-shaped input with it).

Source: reference §2 (fields, List vs Describe).
"""

from __future__ import annotations

import sqlite3

from personalize_reconcile.local.control import registry
from personalize_reconcile.local.store import Resource, Store


def describe(
    res: Resource, conn: sqlite3.Connection | None = None, store: Store | None = None
) -> dict:
    """The Describe object of a stored resource (``datasetGroup``, ``solution``...).

    Fields computed from other rows (a dataset's ``trackingId``, a solution's
    ``latestSolutionVersion``) are filled in when ``store`` is given; ``conn`` is the
    connection to read them with (``None``: the thread's own).
    """
    out = dict(res.body)
    if res.status is not None:
        words = registry.status_words_of(res.kind)
        out["status"] = words.get(res.status, res.status) if words else res.status
    out["creationDateTime"] = res.created
    out["lastUpdatedDateTime"] = res.updated
    if store is not None:
        computed = registry.describer_of(res.kind)
        if computed is not None:
            computed(res, out, conn, store)
    return out
