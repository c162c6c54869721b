"""The steps every resource kind's operations share: find, create, delete and update a
stored resource.

One job: the generic half of each operation, over ``personalize_reconcile.local.store``:
look a resource up by ARN and kind (NotFound), require ACTIVE (InUse), insert one with
name uniqueness and tags, mark one for deletion, start an update in ``latest*Update``,
count for quotas, and schedule the job that moves its status on (``jobs.schedule``; what
the steps do is in ``lifecycle``). Callers: the kind modules.

Timing: with D the minimum duration of the kind (``RequestContext.duration``), a job's
first step is due at 0.2 D after the request; the payload records the request time and D
(reference §2 for the statuses).
"""

from __future__ import annotations

import sqlite3
import time

from personalize_reconcile.local import jobs
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.errors import (
    already_exists,
    busy,
    in_use_by,
    not_active,
    not_found,
)
from personalize_reconcile.local.control.tags import check_tags, tag_pairs
from personalize_reconcile.local.exceptions import ResourceInUseException
from personalize_reconcile.local.statuses import (
    ACTIVE,
    CREATE_PENDING,
    CREATE_STOPPING,
    CREATING,
    DELETE_PENDING,
    DELETING,
    LATEST_KEY,
)
from personalize_reconcile.local.store import Resource


def load(ctx: RequestContext, conn: sqlite3.Connection, arn: str, kind: str) -> Resource:
    """The caller's resource ``arn`` of ``kind``.

    Raises:
        ResourceNotFoundException: no such ARN, another kind, or another account or region.
    """
    res = ctx.store.get(arn, conn)
    if res is None or res.kind != kind or res.account != ctx.account or res.region != ctx.region:
        raise not_found(arn)
    return res


def require_active(res: Resource) -> Resource:
    """``res`` itself when ACTIVE.

    Raises:
        ResourceInUseException: any other status (reference §3).
    """
    if res.status != ACTIVE:
        raise not_active(res)
    return res


def load_parent(ctx: RequestContext, conn: sqlite3.Connection, arn: str, kind: str) -> Resource:
    """A resource a Create operation names as its parent: it must exist (NotFound) and be
    ACTIVE (InUse), reference §3."""
    return require_active(load(ctx, conn, arn, kind))


def count(conn: sqlite3.Connection, where: str, args: tuple) -> int:
    """How many stored resources match the SQL condition ``where`` (for quotas)."""
    return conn.execute(f"SELECT COUNT(*) FROM resources WHERE {where}", args).fetchone()[0]


def _schedule(
    ctx: RequestContext, conn: sqlite3.Connection, res: Resource, action: str, now: float
) -> None:
    d = ctx.duration(res.kind)
    jobs.schedule(
        conn, res.arn, action, "start", now + 0.2 * d, payload={"requested": now, "duration": d}
    )


def create(
    ctx: RequestContext,
    conn: sqlite3.Connection,
    *,
    kind: str,
    arn: str,
    name: str | None,
    body: dict,
    parent: str | None = None,
    grp: str | None = None,
    tags: list[dict] | None = None,
    status: str | None = CREATE_PENDING,
    unique_name: bool = True,
) -> Resource:
    """Insert a new resource (and its tags), and schedule its creation when it starts
    CREATE PENDING (``status=None``: a resource without status, usable at once).

    Args:
        kind, arn, name, body: the stored row (``body`` is the Describe shape's own fields).
        parent, grp: the ARN of the resource it belongs to and of its dataset group.
        tags: the request's ``tags`` member.
        unique_name: whether ``name`` must be unused (and never spent) in the kind,
            account and region; otherwise the name is not stored as a key.

    Raises:
        ResourceAlreadyExistsException: the ARN or the name is taken (reference §1).
        InvalidInputException / TooManyTagsException: see ``tags.check_tags``.
    """
    store = ctx.store
    if store.get(arn, conn) is not None:
        raise already_exists(arn)
    if name is not None and unique_name:
        other = store.by_name(conn, kind, ctx.account, ctx.region, name)
        if other is not None or store.name_spent(conn, kind, ctx.account, ctx.region, name):
            raise already_exists(other.arn if other else arn)
    pairs = tag_pairs(tags)
    check_tags(pairs)
    now = time.time()
    res = Resource(
        arn=arn,
        kind=kind,
        account=ctx.account,
        region=ctx.region,
        name=name if unique_name else None,
        parent=parent,
        grp=grp,
        status=status,
        created=now,
        updated=now,
        body=body,
    )
    try:
        store.insert(conn, res)
    except sqlite3.IntegrityError:
        raise already_exists(arn) from None
    if pairs:
        store.set_tags(conn, arn, pairs)
    if status == CREATE_PENDING:
        _schedule(ctx, conn, res, "create", now)
    return res


def create_under(
    ctx: RequestContext,
    conn: sqlite3.Connection,
    parent: Resource,
    kind: str,
    arn: str,
    body: dict,
    params: dict,
    *,
    name_key: str = "name",
    unique_name: bool = True,
) -> Resource:
    """:func:`create` for a resource that belongs to ``parent`` (a dataset group, a
    dataset or a solution), named ``params[name_key]`` and tagged ``params["tags"]`` as the
    request says; its group is the parent's (or the parent, for a dataset group).

    Raises:
        see :func:`create`.
    """
    return create(
        ctx,
        conn,
        kind=kind,
        arn=arn,
        name=params.get(name_key),
        body=body,
        parent=parent.arn,
        grp=parent.grp or parent.arn,
        tags=params.get("tags"),
        unique_name=unique_name,
    )


def check_deletable(res: Resource) -> None:
    """Refuse to delete a resource still being created or already being deleted.

    Raises:
        ResourceInUseException: ``res`` is CREATE PENDING/IN_PROGRESS or DELETE
            PENDING/IN_PROGRESS (reference §3).
    """
    if res.status in CREATING or res.status in DELETING:
        raise busy(res)


def refuse_if_used(res: Resource, users: list[Resource]) -> None:
    """Refuse to delete ``res`` while ``users`` (resources that depend on it) exist.

    Raises:
        ResourceInUseException: ``Resource Arn <arn> is in use by <first user>.``
    """
    if users:
        raise in_use_by(res, users[0])


def delete(ctx: RequestContext, conn: sqlite3.Connection, res: Resource) -> None:
    """Mark ``res`` DELETE PENDING and schedule its delete (any other job of it is
    dropped).

    Raises:
        ResourceInUseException: ``res`` is being created, stopped or deleted.
    """
    if res.status in CREATING or res.status in DELETING or res.status == CREATE_STOPPING:
        raise busy(res)
    now = time.time()
    res.status = DELETE_PENDING
    ctx.store.save(conn, res)
    conn.execute("DELETE FROM jobs WHERE arn=?", (res.arn,))
    _schedule(ctx, conn, res, "delete", now)


def no_update_running(res: Resource) -> None:
    """Refuse a second update while one is pending.

    Raises:
        ResourceInUseException: ``latest*Update`` is CREATE PENDING or IN_PROGRESS.
    """
    latest = res.body.get(LATEST_KEY[res.kind])
    if latest and latest.get("status") in CREATING:
        raise ResourceInUseException(
            f"Resource Arn {res.arn} has an update in {latest['status']} state."
        )


def start_update(
    ctx: RequestContext, conn: sqlite3.Connection, res: Resource, update: dict
) -> None:
    """Record ``update`` (the complete new configuration) as ``res``'s pending
    ``latest*Update`` (CREATE PENDING) and schedule it; the current configuration serves
    until the update is ACTIVE (reference §2)."""
    now = time.time()
    latest = dict(update)
    latest.update(status=CREATE_PENDING, creationDateTime=now, lastUpdatedDateTime=now)
    res.body[LATEST_KEY[res.kind]] = latest
    ctx.store.save(conn, res)
    conn.execute("DELETE FROM jobs WHERE arn=? AND action='update'", (res.arn,))
    _schedule(ctx, conn, res, "update", now)


def start_transition(
    ctx: RequestContext, conn: sqlite3.Connection, res: Resource, action: str, status: str
) -> None:
    """Put ``res`` in ``status`` (the first status of ``action``, e.g. STOP PENDING for
    ``stop``) and schedule the steps that move it on (``lifecycle``; reference §2 for a
    recommender's stop and start)."""
    now = time.time()
    res.status = status
    ctx.store.save(conn, res)
    conn.execute("DELETE FROM jobs WHERE arn=? AND action IN ('stop','start')", (res.arn,))
    _schedule(ctx, conn, res, action, now)
