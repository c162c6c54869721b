"""Durable state of the local target: one SQLite database (WAL) under the state dir.

One job: persist resources, tags, spent job names and the job queue, and give callers
short transactions that are safe across threads and processes. It knows table layouts,
not service rules. Callers: ``control`` (rules), ``jobs`` (job runner), ``lifecycle``
(status machine), and the runtime, which reads a resource through ``Store.get``.

Concurrency: every thread has its own connection; every write runs in ``BEGIN IMMEDIATE``
so that two processes on one state dir serialise their writes (SQLite's file lock) and
a reader never sees half a change. A lock another process holds longer than
:data:`LOCK_NOTICE_SECONDS` is reported once on the ``personalize_reconcile.wait`` logger
(the CLI prints it) and waited for up to the lock timeout (``PRECONCILE_LOCK_TIMEOUT``,
default 30 s), then :class:`StateLocked` says so; a state dir that cannot be written gives
:class:`StateReadOnly`. Times are epoch seconds (float).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = 1

LOCK_TIMEOUT_ENV = "PRECONCILE_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0
"""Seconds a command waits for a lock another process holds on the state (default)."""
LOCK_NOTICE_SECONDS = 2.0
"""Seconds of waiting for a lock before the wait is reported."""

wait_log = logging.getLogger("personalize_reconcile.wait")
"""Notices of waits a user should know about (the CLI prints them on standard error)."""


class StateUnavailable(sqlite3.OperationalError):
    """The state database exists and is sound but cannot be used now; ``str()`` names the
    file, the reason and what to do."""


class StateLocked(StateUnavailable):
    """Another process held a lock on the state database for the whole lock timeout.

    Attributes:
        path: the database file.
        waited: the lock timeout, in seconds (the wait was at least this long).
    """

    def __init__(self, path: Path, waited: float) -> None:
        self.path, self.waited = path, waited
        super().__init__(
            f"the local target's state {path} is still locked by another process after "
            f"{waited:g} s: let that process finish (another preconcile command on this "
            f"state dir, a sqlite3 shell, a backup), or stop it, then run again; set "
            f"{LOCK_TIMEOUT_ENV}=<seconds> to wait longer"
        )


class StateReadOnly(StateUnavailable):
    """The state database (or its folder) cannot be written, and a command needs to.

    Attributes:
        path: the database file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"the local target's state {path} cannot be written (read-only file or folder), "
            f"and this command needs to record its progress there: make {path.parent} and "
            "the files in it writable, or use another --state-dir"
        )


def _check_regular(path: Path) -> None:
    """Refuse a state database that is there but is not a regular file (a folder, a FIFO,
    a device): SQLite would call it read-only or a disk I/O error.

    Raises:
        StateUnavailable: naming the path, what it is and what to do.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return  # created on first use
    except OSError:
        return  # SQLite reports it
    if stat.S_ISREG(mode):
        return
    what = (
        "a folder"
        if stat.S_ISDIR(mode)
        else "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a device or socket"
    )
    raise StateUnavailable(
        f"the local target's state {path} is {what}, not a database file: move it aside "
        f"(or delete {path.parent} to start over), or use another --state-dir"
    )


def lock_timeout() -> float:
    """The lock timeout in seconds: ``PRECONCILE_LOCK_TIMEOUT`` when it is a number >= 0,
    else :data:`DEFAULT_LOCK_TIMEOUT`."""
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT
    return value if 0 <= value < float("inf") else DEFAULT_LOCK_TIMEOUT


def _is_locked(e: sqlite3.OperationalError) -> bool:
    return "locked" in str(e) or "busy" in str(e)


def _is_read_only(e: sqlite3.OperationalError) -> bool:
    text = str(e)
    return "readonly" in text or "read-only" in text or "unable to open database" in text


_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    arn      TEXT NOT NULL UNIQUE,
    kind     TEXT NOT NULL,
    account  TEXT NOT NULL,
    region   TEXT NOT NULL,
    name     TEXT,
    parent   TEXT,
    grp      TEXT,
    status   TEXT,
    created  REAL NOT NULL,
    updated  REAL NOT NULL,
    body     TEXT NOT NULL,
    extra    TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX IF NOT EXISTS resources_name
    ON resources(kind, account, region, name) WHERE name IS NOT NULL;
CREATE INDEX IF NOT EXISTS resources_kind ON resources(kind, account, region, seq);
CREATE INDEX IF NOT EXISTS resources_parent ON resources(parent, kind);
CREATE INDEX IF NOT EXISTS resources_grp ON resources(grp, kind);
CREATE TABLE IF NOT EXISTS tags (
    arn   TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
CREATE TABLE IF NOT EXISTS spent_names (
    kind TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (kind, account, region, name)
);
CREATE TABLE IF NOT EXISTS jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    arn         TEXT NOT NULL,
    action      TEXT NOT NULL,
    step        TEXT NOT NULL,
    due         REAL NOT NULL,
    heavy       INTEGER NOT NULL DEFAULT 0,
    owner       TEXT,
    lease_until REAL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    payload     TEXT NOT NULL DEFAULT '{}',
    created     REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs(heavy, due);
CREATE INDEX IF NOT EXISTS jobs_arn ON jobs(arn);
"""


@dataclass
class Resource:
    """One stored resource.

    Attributes:
        arn: its ARN (primary identity).
        kind: ``dataset-group``, ``schema``, ... (``config.KINDS``).
        account, region: where it lives (List operations filter on them).
        name: the unique name within (kind, account, region), or ``None`` for resources
            whose name is not unique in the account (solution versions: their ARN
            carries a generated id, and the name is unique only within the solution,
            which the kind checks itself).
        parent: the ARN List operations filter by (dataset group for datasets, solution
            for versions and campaigns, dataset for import jobs), or ``None``.
        grp: the dataset group ARN this resource belongs to, or ``None``.
        status: the service status string (``CREATE PENDING``, ``ACTIVE``...) or ``None``.
        created, updated: epoch seconds (``creationDateTime``, ``lastUpdatedDateTime``).
        seq: creation order, unique and never reused (pagination keys on it).
        body: the Describe fields other than status and timestamps.
        extra: private data not shown by Describe (metrics, pending updates' internals).
    """

    arn: str
    kind: str
    account: str
    region: str
    name: str | None
    parent: str | None
    grp: str | None
    status: str | None
    created: float
    updated: float
    body: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    seq: int = 0


_COLS = "seq, arn, kind, account, region, name, parent, grp, status, created, updated, body, extra"


def _row(r: tuple) -> Resource:
    return Resource(
        seq=r[0],
        arn=r[1],
        kind=r[2],
        account=r[3],
        region=r[4],
        name=r[5],
        parent=r[6],
        grp=r[7],
        status=r[8],
        created=r[9],
        updated=r[10],
        body=json.loads(r[11]),
        extra=json.loads(r[12]),
    )


class Store:
    """The SQLite database of one state dir.

    Args:
        db_path: the database file; its directory is created when missing.

        timeout: seconds to wait for a lock another process holds (default:
            :func:`lock_timeout`).

    Raises:
        sqlite3.DatabaseError: the file exists but is not a database, or holds another
            format version of the local state.
        StateLocked: another process held a lock for the whole timeout.
        StateReadOnly: a new database cannot be created, or a write is refused.
    """

    def __init__(self, db_path: Path, timeout: float | None = None) -> None:
        self.path = Path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.timeout = lock_timeout() if timeout is None else timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        found = self._locked_retry(self._initialise)
        if found != str(SCHEMA_VERSION):
            raise sqlite3.DatabaseError(
                f"{self.path} holds local state of format {found}; this version of "
                f"preconcile reads format {SCHEMA_VERSION}. Use another --state-dir or "
                "remove this one."
            )

    def _initialise(self) -> str:
        """Create the tables of a new database (a sound one is only read) and return
        its format version."""
        conn = self.conn()
        known = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        row = known and conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row:
            return row[0]
        conn.executescript(_DDL)
        conn.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
        return conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]

    def _locked_retry(self, step):
        """Run ``step()``, waiting out a lock another process holds: reported once after
        :data:`LOCK_NOTICE_SECONDS`, given up after :attr:`timeout` seconds.

        Raises:
            StateLocked: still locked after the timeout.
            StateReadOnly: the database or its folder cannot be written.
        """
        start = time.monotonic()
        told = False
        while True:
            try:
                return step()
            except StateUnavailable:
                raise
            except sqlite3.OperationalError as e:
                if _is_read_only(e):
                    raise StateReadOnly(self.path) from None
                if not _is_locked(e):
                    raise
                if time.monotonic() - start >= self.timeout:
                    raise StateLocked(self.path, self.timeout) from None
                if not told:
                    told = True
                    wait_log.warning(
                        "Waiting for the lock on %s, held by another process (up to %g s)...",
                        self.path,
                        self.timeout,
                    )

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit mode; use :meth:`write` for changes).
        A statement waits at most :data:`LOCK_NOTICE_SECONDS` for a lock; longer waits go
        through :meth:`_locked_retry`."""
        c = getattr(self._local, "conn", None)
        if c is None:
            _check_regular(Path(self.path))
            c = sqlite3.connect(
                self.path,
                timeout=LOCK_NOTICE_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
            try:
                c.execute("PRAGMA journal_mode=WAL")
                c.execute("PRAGMA synchronous=NORMAL")
            except BaseException:
                c.close()
                raise
            self._local.conn = c
            with self._lock:
                self._all.append(c)
        return c

    def _begin(self) -> sqlite3.Connection:
        c = self.conn()
        c.execute("BEGIN IMMEDIATE")
        return c

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed on success, rolled back
        on any exception. Not re-entrant.

        Raises:
            StateLocked: another process held the write lock for the whole lock timeout.
            StateReadOnly: the database cannot be written.
        """
        c = self._locked_retry(self._begin)
        try:
            yield c
            c.execute("COMMIT")
        except BaseException as e:
            if c.in_transaction:
                c.execute("ROLLBACK")
            if isinstance(e, sqlite3.OperationalError) and _is_read_only(e):
                raise StateReadOnly(self.path) from None
            raise

    def release(self) -> None:
        """Close this thread's connection (a thread that is about to end calls this, so a
        server making a thread per client connection does not leak them)."""
        c = getattr(self._local, "conn", None)
        if c is None:
            return
        self._local.conn = None
        with self._lock:
            if c in self._all:
                self._all.remove(c)
        try:
            c.close()
        except sqlite3.Error:
            pass

    def close(self) -> None:
        """Close every connection this object opened (call once no thread uses it)."""
        with self._lock:
            conns, self._all = self._all, []
        for c in conns:
            try:
                c.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    def touch(self, key: str) -> None:
        """Record in the database that something kept outside it changed (the records a
        PutEvents added under ``key``), so that readers whose caches follow the database's
        version (SQLite's ``data_version``: the runtime's campaign cache) read again."""
        with self.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                (key, str(time.time_ns())),
            )

    # -- resources -------------------------------------------------------------------

    def get(self, arn: str, conn: sqlite3.Connection | None = None) -> Resource | None:
        """The resource with this ARN, or ``None``."""
        c = conn or self.conn()
        r = c.execute(f"SELECT {_COLS} FROM resources WHERE arn = ?", (arn,)).fetchone()
        return _row(r) if r else None

    def by_name(
        self, conn: sqlite3.Connection, kind: str, account: str, region: str, name: str
    ) -> Resource | None:
        """The resource of ``kind`` called ``name`` in (account, region), or ``None``."""
        r = conn.execute(
            f"SELECT {_COLS} FROM resources WHERE kind=? AND account=? AND region=? AND name=?",
            (kind, account, region, name),
        ).fetchone()
        return _row(r) if r else None

    def insert(self, conn: sqlite3.Connection, res: Resource) -> Resource:
        """Insert ``res`` (its ``seq`` is assigned and returned in place)."""
        cur = conn.execute(
            "INSERT INTO resources(arn, kind, account, region, name, parent, grp, status,"
            " created, updated, body, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                res.arn,
                res.kind,
                res.account,
                res.region,
                res.name,
                res.parent,
                res.grp,
                res.status,
                res.created,
                res.updated,
                json.dumps(res.body),
                json.dumps(res.extra),
            ),
        )
        res.seq = int(cur.lastrowid or 0)
        return res

    def save(self, conn: sqlite3.Connection, res: Resource, *, touch: bool = True) -> None:
        """Write back parent, status, body and extra (and ``updated`` = now when
        ``touch``); a campaign's parent moves when it is updated to another solution."""
        if touch:
            res.updated = time.time()
        conn.execute(
            "UPDATE resources SET parent=?, status=?, updated=?, body=?, extra=? WHERE arn=?",
            (
                res.parent,
                res.status,
                res.updated,
                json.dumps(res.body),
                json.dumps(res.extra),
                res.arn,
            ),
        )

    def remove(self, conn: sqlite3.Connection, arn: str) -> None:
        """Delete the resource, its tags and its jobs."""
        conn.execute("DELETE FROM resources WHERE arn = ?", (arn,))
        conn.execute("DELETE FROM tags WHERE arn = ?", (arn,))
        conn.execute("DELETE FROM jobs WHERE arn = ?", (arn,))

    def select(
        self,
        conn: sqlite3.Connection | None,
        where: str,
        args: tuple = (),
        limit: int | None = None,
    ) -> list[Resource]:
        """Resources matching an SQL ``where`` clause over the columns, in ``seq`` order."""
        c = conn or self.conn()
        sql = f"SELECT {_COLS} FROM resources WHERE {where} ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_row(r) for r in c.execute(sql, args).fetchall()]

    # -- names spent by jobs that cannot be deleted ----------------------------------

    def name_spent(
        self, conn: sqlite3.Connection, kind: str, account: str, region: str, name: str
    ) -> bool:
        """Whether a job name was used by a job that is gone (reference §1)."""
        return (
            conn.execute(
                "SELECT 1 FROM spent_names WHERE kind=? AND account=? AND region=? AND name=?",
                (kind, account, region, name),
            ).fetchone()
            is not None
        )

    def spend_name(self, conn: sqlite3.Connection, res: Resource) -> None:
        """Remember ``res``'s name as used for good."""
        if res.name is not None:
            conn.execute(
                "INSERT OR IGNORE INTO spent_names VALUES (?,?,?,?)",
                (res.kind, res.account, res.region, res.name),
            )

    # -- tags ------------------------------------------------------------------------

    def tags(self, arn: str, conn: sqlite3.Connection | None = None) -> list[tuple[str, str]]:
        """The resource's tags as (key, value), in key order."""
        c = conn or self.conn()
        return [
            (k, v)
            for k, v in c.execute(
                "SELECT key, value FROM tags WHERE arn=? ORDER BY key", (arn,)
            ).fetchall()
        ]

    def set_tags(self, conn: sqlite3.Connection, arn: str, tags: list[tuple[str, str]]) -> None:
        """Add or overwrite tags."""
        conn.executemany(
            "INSERT OR REPLACE INTO tags(arn, key, value) VALUES (?,?,?)",
            [(arn, k, v) for k, v in tags],
        )

    def drop_tags(self, conn: sqlite3.Connection, arn: str, keys: list[str]) -> None:
        """Remove the tags with these keys (missing keys are ignored)."""
        conn.executemany("DELETE FROM tags WHERE arn=? AND key=?", [(arn, k) for k in keys])
