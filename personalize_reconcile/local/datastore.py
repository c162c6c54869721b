"""Imported rows per dataset, kept under the state dir for training (reference §5).

One job: durable storage of the records a dataset import job read, per dataset ARN, and
every read of them (loads for training, counts, whether a bulk import exists, dropping a
deleted dataset's records, removing a user's records). Callers: ``seams`` (an import job
stores its rows, a finished dataset delete drops them), ``events`` (records put one by
one), ``runtime`` (a user's recent events), ``exports``, ``deletions``, ``attribution``
and ``training.trainer`` (reads them; the only module of ``local`` that training
imports).

Layout, per dataset, in ``<state_dir>/datasets/``:

* ``<name>.sqlite``: the metadata only (SQLite, WAL, ``synchronous=FULL``): the latest
  import's schema fields, the dataset type, how many bulk imports were stored, the record
  count, and the ordered list of segment files that hold the records.
* ``<name>.parts/<id>.arrow``: the records, as Arrow IPC files (one per import or batch
  of put records; a replace-by-ID write rewrites one merged file). Each holds the schema's
  columns (types from :mod:`personalize_reconcile.local.columns`) plus
  ``_preconcile_source`` (``int8``: 0 for rows of import jobs, 1 for records put one by one)
  and, in files of records put one by one, ``_preconcile_put_at`` (``float64`` epoch
  seconds they were put).

A write takes the metadata database's write lock first (``BEGIN IMMEDIATE``), writes new
segment files to a temporary name, fsyncs and renames them, fsyncs the folder, and only
then commits the new segment list; the files it replaced are removed after the commit. A
crash or a failure before the commit leaves the previous records as they were (files no
committed list names are removed by the next write), and two processes never interleave
their writes. Segment files are read only when they are regular files (a symlink is
refused). A metadata file of the earlier layout (every record in a ``records`` table) is
migrated to this one the first time it is opened.

API (class :class:`DatasetStore`, one per state dir; safe across threads and processes):

* ``DatasetStore(state_dir)``.
* ``store_import(dataset_arn, table, mode="FULL", dataset_type=None) -> int``: keep the
  rows of a :class:`~personalize_reconcile.local.csvimport.CsvTable` (its Arrow columns
  when it has them, else its numpy ``columns`` and ``nulls``); returns the number of
  records now stored. ``mode``: ``"FULL"`` replaces the bulk data (records put one by one
  are kept); ``"INCREMENTAL"`` adds rows and, for Items/Users/Actions, replaces the record
  with the same ITEM_ID/USER_ID/ACTION_ID (Interactions and Action_Interactions rows are
  appended). ``dataset_type`` defaults to the ARN's last segment
  (``.../dataset/<group>/INTERACTIONS``). Raises :class:`NoEarlierImportError` for
  INCREMENTAL into a dataset with no earlier bulk import, ``ValueError`` for a bad mode.
* ``put_records(dataset_arn, fields, records, dataset_type=None) -> int``: keep records
  put one by one (PutEvents/PutItems/...; ``records`` are dicts of typed values); they
  survive FULL imports and replace by ID like INCREMENTAL.
* ``delete_users(dataset_arn, user_ids) -> int``: remove every record of those USER_IDs
  (a data deletion job); returns how many went.
* ``stamp(dataset_arn) -> tuple``: changes whenever the records may have changed (two
  ``stat`` calls), for callers that cache what they read.
* ``has_import(dataset_arn) -> bool``: whether a bulk import has been stored.
* ``count(dataset_arn) -> int``: records stored (0 for an unknown dataset).
* ``revision(dataset_arn) -> tuple[str, ...]``: changes whenever the records change (a
  cache key for what is derived from ``load``).
* ``load(dataset_arn) -> StoredData``: ``fields`` (``list[Field]``, the latest import's
  schema), ``columns`` (name -> numpy array, same dtypes as ``CsvTable``, rows in the
  order stored; a replaced record moves to the end), ``nulls`` (name -> bool mask for
  nullable fields), ``num_rows``; ``source="BULK"|"PUT"`` keeps the rows of import jobs
  or the records put one by one only, ``put_after=t`` the records put after ``t``. An
  unknown dataset gives empty columns and ``fields == []``.
* ``drop(dataset_arn) -> None``: forget the dataset (it was deleted). No error if absent.

Errors: :class:`DatastoreError` (base), :class:`NoEarlierImportError`; ``str()`` is a
one-sentence message, e.g. ``INCREMENTAL import into arn:...:dataset/g/ITEMS needs an
earlier FULL or INCREMENTAL import of that dataset; use importMode FULL first``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from personalize_reconcile.local import columns as cols
from personalize_reconcile.rules.avro import Field, canonical_dataset_type

__all__ = ["DatasetStore", "DatastoreError", "NoEarlierImportError", "StoredData"]

ID_COLUMN = {"Items": "ITEM_ID", "Users": "USER_ID", "Actions": "ACTION_ID"}
"""The record ID of dataset types whose INCREMENTAL imports replace by ID (reference §5)."""

FORMAT = 2
"""The layout version in each metadata file (1: rows in SQLite, 2: Arrow segment files)."""

_BUSY_TIMEOUT_S = 60.0
_SOURCE = "_preconcile_source"  # 0: BULK (import jobs), 1: PUT (records put one by one)
_PUT_AT = "_preconcile_put_at"  # float64 epoch seconds a record was put; null for imports
_BULK, _PUT = 0, 1
_READ_ATTEMPTS = 5


class DatastoreError(Exception):
    """Base class of dataset-store errors; ``str()`` is a one-sentence message."""


class NoEarlierImportError(DatastoreError):
    """INCREMENTAL import into a dataset that has no earlier bulk import (reference §5)."""


class _Table(Protocol):
    fields: list[Field]
    columns: Mapping[str, np.ndarray]
    nulls: Mapping[str, np.ndarray]
    num_rows: int


@dataclass
class StoredData:
    """A dataset's stored records, as columns for the trainer.

    Attributes:
        fields: the schema fields of the latest import, in schema order.
        columns: field name -> numpy array of ``num_rows`` values (``string`` -> ``object``
            with ``None`` for null; ``int``/``long`` -> ``int64`` with 0 for null;
            ``float``/``double`` -> ``float64`` with NaN for null; ``boolean`` -> ``bool``).
        nulls: field name -> ``bool`` mask of nulls, for nullable fields.
        num_rows: number of records.
    """

    fields: list[Field]
    columns: dict[str, np.ndarray]
    nulls: dict[str, np.ndarray]
    num_rows: int


class _Segment(NamedTuple):
    seq: int
    file: str
    rows: int
    put: int  # rows put one by one


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dataset_type_of(arn: str) -> str | None:
    # arn:aws:personalize:<region>:<account>:dataset/<group>/<TYPE> (reference §1)
    return canonical_dataset_type(arn.rsplit("/", 1)[-1]) if "/" in arn else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DatasetStore:
    """Imported records per dataset ARN in ``<state_dir>/datasets/`` (module docstring)."""

    def __init__(self, state_dir: str | os.PathLike) -> None:
        """``state_dir``: the local target's state directory (created on first write)."""
        self.dir = Path(state_dir) / "datasets"

    def path_of(self, dataset_arn: str) -> Path:
        """The SQLite file that holds ``dataset_arn``'s metadata (its segment list)."""
        tail = dataset_arn.split(":dataset/", 1)[-1]
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", tail)[:80]
        digest = hashlib.sha256(dataset_arn.encode()).hexdigest()[:12]
        return self.dir / f"{safe}-{digest}.sqlite"

    def parts_of(self, dataset_arn: str) -> Path:
        """The folder of ``dataset_arn``'s segment files (``<name>.parts`` beside
        :meth:`path_of`)."""
        return self.path_of(dataset_arn).with_suffix(".parts")

    # --- connections, metadata, migration ---------------------------------------------------

    @contextmanager
    def _connect(self, dataset_arn: str, *, create: bool) -> Iterator[sqlite3.Connection | None]:
        path = self.path_of(dataset_arn)
        if not create and not path.exists():
            yield None
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "records" in tables:
                self._migrate(conn, dataset_arn)
            elif "segments" not in tables and create:
                conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS segments (seq INTEGER PRIMARY KEY "
                    "AUTOINCREMENT, file TEXT NOT NULL, rows INTEGER NOT NULL, "
                    "put INTEGER NOT NULL)"
                )
            yield conn
        finally:
            conn.close()

    @staticmethod
    def _meta(conn: sqlite3.Connection) -> dict[str, Any]:
        try:
            rows = conn.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.OperationalError:
            return {}
        return {k: json.loads(v) for k, v in rows}

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, **values: Any) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [(k, json.dumps(v)) for k, v in values.items()],
        )

    @staticmethod
    def _segments(conn: sqlite3.Connection) -> list[_Segment]:
        try:
            rows = conn.execute("SELECT seq, file, rows, put FROM segments ORDER BY seq")
            return [_Segment(*r) for r in rows.fetchall()]
        except sqlite3.OperationalError:
            return []

    def _migrate(self, conn: sqlite3.Connection, dataset_arn: str) -> None:
        """Move the records of an earlier layout (rows in a ``records`` table) into one
        segment file, in one transaction; a crash midway leaves the earlier layout."""
        conn.execute("BEGIN IMMEDIATE")
        written: list[str] = []
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "records" not in tables:  # another process migrated it meanwhile
                conn.execute("COMMIT")
                return
            meta = self._meta(conn)
            existing = [r[1] for r in conn.execute("PRAGMA table_info(records)")]
            kept = [f for f in (Field(**f) for f in meta.get("fields") or []) if f.name in existing]
            names = [f.name for f in kept]
            rows = conn.execute(
                f"SELECT {', '.join(map(_quote, [*names, _SOURCE]))} FROM records ORDER BY rowid"
            ).fetchall()
            values = list(zip(*rows, strict=True)) if rows else [() for _ in range(len(names) + 1)]
            arrays = {
                f.name: pa.array(
                    [None if v is None else _old_value(f, v) for v in vals],
                    type=cols.arrow_type(f),
                )
                for f, vals in zip(kept, values, strict=False)
            }
            source = np.fromiter((v == "PUT" for v in values[-1]), dtype=np.int8, count=len(rows))
            table = _with_source(pa.table(arrays) if arrays else pa.table({}), source, len(rows))
            conn.execute(
                "CREATE TABLE segments (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                "file TEXT NOT NULL, rows INTEGER NOT NULL, put INTEGER NOT NULL)"
            )
            if rows:
                parts = self.parts_of(dataset_arn)
                _refuse_symlink(parts)
                written.append(_write_segment(parts, table))
                _fsync_dir(parts)
                conn.execute(
                    "INSERT INTO segments (file, rows, put) VALUES (?, ?, ?)",
                    (written[0], len(rows), int(source.sum())),
                )
            conn.execute("DROP TABLE records")
            self._set_meta(conn, count=len(rows), format=FORMAT)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            for name in written:
                _unlink(self.parts_of(dataset_arn) / name)
            raise
        conn.execute("VACUUM")

    # --- writes -----------------------------------------------------------------------------

    def store_import(
        self, dataset_arn: str, table: _Table, mode: str = "FULL", dataset_type: str | None = None
    ) -> int:
        """Keep the rows of an import job; return the number of records now stored.

        Args:
            dataset_arn: the dataset's ARN (names the files).
            table: a :class:`~personalize_reconcile.local.csvimport.CsvTable` (or anything
                with ``fields``, ``columns``, ``nulls`` and ``num_rows``; an ``arrow``
                attribute holding field name -> Arrow array is used instead of
                ``columns`` when present).
            mode: ``"FULL"`` (replace the bulk data) or ``"INCREMENTAL"`` (add rows; for
                Items/Users/Actions replace records with the same ID) — reference §5.
            dataset_type: ``Interactions``, ``Items``, ... in any case; defaults to the
                ARN's last segment.

        Raises:
            NoEarlierImportError: INCREMENTAL with no earlier import of this dataset.
            ValueError: ``mode`` is neither FULL nor INCREMENTAL, or the type is unknown.
            pyarrow.ArrowException: a column holds a value its type cannot (nothing is
                written then).
            DatastoreError: the folder of segment files is a symlink.
        """
        if mode not in ("FULL", "INCREMENTAL"):
            raise ValueError(f"importMode must be FULL or INCREMENTAL, not {mode!r}")
        dtype = (
            canonical_dataset_type(dataset_type) if dataset_type else _dataset_type_of(dataset_arn)
        )
        if dtype is None:
            raise ValueError(f"cannot tell the dataset type of {dataset_arn}; pass dataset_type")
        id_col = ID_COLUMN.get(dtype)
        fields = list(table.fields)
        names = [f.name for f in fields]
        if id_col is not None and id_col not in names:
            raise ValueError(f"{dtype} data needs the {id_col} column")
        if mode == "INCREMENTAL" and not self.has_import(dataset_arn):
            raise NoEarlierImportError(
                f"INCREMENTAL import into {dataset_arn} needs an earlier FULL or INCREMENTAL "
                "import of that dataset; use importMode FULL first"
            )
        arrays = getattr(table, "arrow", None)
        if arrays is None:
            arrays = cols.from_numpy(fields, table.columns, table.nulls)
        new = _with_source(
            pa.table({n: arrays[n] for n in names}),
            np.zeros(table.num_rows, dtype=np.int8),
            table.num_rows,
        )

        def change(meta: dict[str, Any], segments: list[_Segment], read: Any) -> Any:
            if mode == "INCREMENTAL" and not meta.get("imports"):
                raise NoEarlierImportError(
                    f"INCREMENTAL import into {dataset_arn} needs an earlier FULL or "
                    "INCREMENTAL import of that dataset; use importMode FULL first"
                )
            if id_col is None and mode == "INCREMENTAL":
                keep, add = segments, [new]
            elif id_col is None:
                with_put = [s for s in segments if s.put]
                if all(s.put == s.rows for s in with_put):
                    keep, add = with_put, [new]
                else:
                    old = [_only_put(read(s)) for s in with_put]
                    keep, add = [], [_concat(old), new]
            else:
                if mode == "FULL":
                    old = [_only_put(read(s)) for s in segments if s.put]
                else:
                    old = [read(s) for s in segments]
                keep, add = [], [_latest_by_id(_concat([*old, new]), id_col)]
            updates = {
                "fields": [asdict(f) for f in fields],
                "dataset_type": dtype,
                "imports": int(meta.get("imports", 0)) + 1,
                "last_mode": mode,
            }
            return keep, add, updates

        return self._write(dataset_arn, change)

    def put_records(
        self,
        dataset_arn: str,
        fields: list[Field],
        records: list[Mapping[str, Any]],
        dataset_type: str | None = None,
        put_at: float | None = None,
    ) -> int:
        """Keep records put one by one (PutEvents, PutItems, PutUsers, PutActions).

        Args:
            dataset_arn: the dataset's ARN.
            fields: the dataset's schema fields.
            records: field name -> value already typed as in :class:`StoredData` (``str``,
                ``int``, ``float``, ``bool``; ``None`` or a missing key for null).
            dataset_type: as in :meth:`store_import`.
            put_at: when they were put, epoch seconds (default: now); kept beside each
                record for :meth:`load` ``put_after``.

        Records with the ID of a stored Items/Users/Actions record replace it; interactions
        are appended. FULL imports keep these records (reference §5); this is not a bulk
        import, so it does not satisfy INCREMENTAL's need for an earlier import.

        Returns:
            The number of records now stored.

        Raises:
            ValueError: the dataset type is unknown, or an Items/Users/Actions record lacks
                its ID.
            DatastoreError: the folder of segment files is a symlink.
        """
        dtype = (
            canonical_dataset_type(dataset_type) if dataset_type else _dataset_type_of(dataset_arn)
        )
        if dtype is None:
            raise ValueError(f"cannot tell the dataset type of {dataset_arn}; pass dataset_type")
        id_col = ID_COLUMN.get(dtype)
        if id_col is not None and any(r.get(id_col) in (None, "") for r in records):
            raise ValueError(f"every {dtype} record needs a value for {id_col}")
        stamp = time.time() if put_at is None else float(put_at)
        new = _with_source(
            pa.table(
                {
                    **{
                        f.name: pa.array([r.get(f.name) for r in records], type=cols.arrow_type(f))
                        for f in fields
                    },
                    _PUT_AT: pa.array([stamp] * len(records), type=pa.float64()),
                }
            ),
            np.ones(len(records), dtype=np.int8),
            len(records),
        )

        def change(meta: dict[str, Any], segments: list[_Segment], read: Any) -> Any:
            if id_col is None:
                keep, add = segments, [new]
            else:
                keep, add = [], [_latest_by_id(_concat([*map(read, segments), new]), id_col)]
            updates: dict[str, Any] = {}
            if not meta.get("fields"):
                updates = {"fields": [asdict(f) for f in fields], "dataset_type": dtype}
            return keep, add, updates

        return self._write(dataset_arn, change)

    def _write(self, dataset_arn: str, change: Any) -> int:
        """Run ``change(meta, segments, read) -> (keep, add, meta_updates)`` under the
        write lock: write the ``add`` tables as new segment files after the ``keep``
        segments, commit, then remove the segments no longer listed."""
        parts = self.parts_of(dataset_arn)
        written: list[str] = []
        with self._connect(dataset_arn, create=True) as conn:
            assert conn is not None
            conn.execute("BEGIN IMMEDIATE")
            try:
                _refuse_symlink(parts)
                meta = self._meta(conn)
                segments = self._segments(conn)
                _sweep(parts, {s.file for s in segments})
                keep, add, updates = change(meta, segments, lambda s: _read_segment(parts, s.file))
                add = [t for t in add if t.num_rows]
                if add:
                    parts.mkdir(parents=True, exist_ok=True)
                    written = [_write_segment(parts, t) for t in add]
                    _fsync_dir(parts)
                kept = {s.seq for s in keep}
                gone = [s for s in segments if s.seq not in kept]
                conn.executemany("DELETE FROM segments WHERE seq = ?", [(s.seq,) for s in gone])
                conn.executemany(
                    "INSERT INTO segments (file, rows, put) VALUES (?, ?, ?)",
                    [
                        (name, t.num_rows, int(pc.sum(t.column(_SOURCE)).as_py() or 0))
                        for name, t in zip(written, add, strict=True)
                    ],
                )
                count = sum(s.rows for s in keep) + sum(t.num_rows for t in add)
                self._set_meta(conn, **updates, count=count, format=FORMAT)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                for name in written:
                    _unlink(parts / name)
                raise
        for s in gone:
            _unlink(parts / s.file)
        return count

    # --- reads ------------------------------------------------------------------------------

    def has_import(self, dataset_arn: str) -> bool:
        """Whether at least one bulk import has been stored for ``dataset_arn``."""
        with self._connect(dataset_arn, create=False) as conn:
            return conn is not None and bool(self._meta(conn).get("imports"))

    def revision(self, dataset_arn: str) -> tuple[str, ...]:
        """A value that changes whenever ``dataset_arn``'s records change: the names of its
        segment files (every write commits new, uniquely named files). ``()`` when the
        dataset has no records. Callers cache what they derive from :meth:`load` under it."""
        with self._connect(dataset_arn, create=False) as conn:
            if conn is None:
                return ()
            return tuple(s.file for s in self._segments(conn))

    def count(self, dataset_arn: str) -> int:
        """Number of records stored for ``dataset_arn`` (0 when none or unknown)."""
        with self._connect(dataset_arn, create=False) as conn:
            if conn is None:
                return 0
            return int(self._meta(conn).get("count") or 0)

    def stamp(self, dataset_arn: str) -> tuple[int, ...]:
        """A cheap value that changes whenever ``dataset_arn``'s records may have changed
        (size and modification time of its metadata file and write-ahead log; two
        ``stat`` calls, no database read): callers cache what they read against it."""
        path = self.path_of(dataset_arn)
        out: list[int] = []
        for p in (str(path), str(path) + "-wal"):
            try:
                st = os.stat(p)
                out += [st.st_mtime_ns, st.st_size]
            except FileNotFoundError:
                out += [0, 0]
        return tuple(out)

    def load(
        self, dataset_arn: str, *, source: str | None = None, put_after: float | None = None
    ) -> StoredData:
        """The stored records of ``dataset_arn`` as columns, in import order.

        An unknown dataset (or one never imported) gives ``fields == []`` and no columns.

        Args:
            dataset_arn: the dataset.
            source: ``"BULK"`` for the rows of import jobs only, ``"PUT"`` for the records
                put one by one only (PutEvents, PutItems...), ``None`` for both.
            put_after: only records put one by one later than this (epoch seconds).

        Raises:
            DatastoreError: a segment file is missing after several tries, or it or the
                folder of segments is a symlink.
        """
        parts = self.parts_of(dataset_arn)
        _refuse_symlink(parts)
        for attempt in range(_READ_ATTEMPTS):
            with self._connect(dataset_arn, create=False) as conn:
                if conn is None:
                    return StoredData([], {}, {}, 0)
                conn.execute("BEGIN")
                try:
                    meta = self._meta(conn)
                    segments = self._segments(conn)
                    if not meta.get("fields"):
                        return StoredData([], {}, {}, 0)
                    try:
                        tables = [_read_segment(parts, s.file) for s in segments]
                    except FileNotFoundError as exc:
                        # a writer replaced the segments after this snapshot: read again
                        if attempt + 1 == _READ_ATTEMPTS:
                            raise DatastoreError(
                                f"the records of {dataset_arn} are incomplete: "
                                f"{exc.filename} is missing; import the dataset's data "
                                "again with importMode FULL"
                            ) from None
                        continue
                finally:
                    conn.execute("COMMIT")
            break
        fields = [Field(**f) for f in meta["fields"]]
        if source is not None or put_after is not None:
            tables = [_select(t, source, put_after) for t in tables]
        n = sum(t.num_rows for t in tables)
        arrays = {}
        for f in fields:
            typ = cols.arrow_type(f)
            chunks = []
            for t in tables:
                if f.name in t.column_names:
                    col = t.column(f.name)
                    chunks.extend((col if col.type == typ else col.cast(typ)).chunks)
                else:
                    chunks.append(pa.nulls(t.num_rows, typ))
            arrays[f.name] = pa.chunked_array(chunks, type=typ)
        columns, nulls = cols.to_numpy(fields, arrays, n)
        return StoredData(fields, columns, nulls, n)

    def delete_users(self, dataset_arn: str, user_ids: set[str]) -> int:
        """Remove every record whose USER_ID is in ``user_ids`` (a data deletion job);
        return how many were removed (0 when the dataset has no USER_ID column or no
        records). Same crash-safe write as the imports.

        Raises:
            DatastoreError: the folder of segment files is a symlink.
        """
        removed = 0

        def change(meta: dict[str, Any], segments: list[_Segment], read: Any) -> Any:
            nonlocal removed
            keep: list[_Segment] = []
            add: list[pa.Table] = []
            for s in segments:
                table = read(s)
                if "USER_ID" not in table.column_names:
                    keep.append(s)
                    continue
                hit = pc.fill_null(
                    pc.is_in(table.column("USER_ID"), value_set=pa.array(sorted(user_ids))), False
                )
                gone = int(pc.sum(hit).as_py() or 0)
                if not gone:
                    keep.append(s)
                    continue
                removed += gone
                add.append(table.filter(pc.invert(hit)))
            return keep, add, {}

        if not user_ids or not self.path_of(dataset_arn).exists():
            return 0
        self._write(dataset_arn, change)
        return removed

    def drop(self, dataset_arn: str) -> None:
        """Forget every record of ``dataset_arn`` (the dataset was deleted).

        The metadata database's side files go first and the database next, so a failure
        leaves the records whole (and countable), never a lone write-ahead log that a new
        database under the same path would replay; the segment files go last (any left
        behind are named by no database, and the next write removes them).

        Raises:
            OSError: a metadata file could not be removed (one that does not exist is fine).
        """
        path = self.path_of(dataset_arn)
        for suffix in ("-wal", "-shm", "-journal", ""):
            try:
                os.unlink(str(path) + suffix)
            except FileNotFoundError:
                pass
        parts = self.parts_of(dataset_arn)
        if parts.is_symlink():
            _unlink(parts)
        else:
            shutil.rmtree(parts, ignore_errors=True)


# --- segment files ----------------------------------------------------------------------------


def _write_segment(parts: Path, table: pa.Table) -> str:
    """Write ``table`` durably as a new segment file in ``parts``; return its name."""
    parts.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.arrow"
    tmp = parts / f".tmp-{name}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        with open(fd, "wb", closefd=False) as raw, pa.ipc.new_file(raw, table.schema) as writer:
            writer.write_table(table)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise
    os.close(fd)
    os.replace(tmp, parts / name)
    return name


def _read_segment(parts: Path, name: str) -> pa.Table:
    """The table in segment file ``name`` (memory-mapped).

    Raises:
        FileNotFoundError: the file is gone.
        DatastoreError: it is not a regular file.
    """
    path = parts / name
    if not stat.S_ISREG(os.lstat(path).st_mode):
        raise DatastoreError(f"{path} is not a regular file; the local target reads no symlinks")
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _refuse_symlink(parts: Path) -> None:
    """Raise :class:`DatastoreError` when the folder of segments is a symlink (the state
    dir's files are never reached through one, as in the object store)."""
    if parts.is_symlink():
        raise DatastoreError(
            f"{parts} is a symlink, which the local target does not follow; remove it and "
            "import the dataset's data again"
        )


def _sweep(parts: Path, listed: set[str]) -> None:
    """Remove files of ``parts`` that no committed segment list names (left by a crash)."""
    try:
        names = os.listdir(parts)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in names:
        if name not in listed:
            _unlink(parts / name)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _with_source(table: pa.Table, source: np.ndarray, n: int) -> pa.Table:
    if not table.num_columns:
        table = pa.table({_SOURCE: pa.array(source, type=pa.int8())})
        return table
    return table.append_column(_SOURCE, pa.array(source.reshape(n), type=pa.int8()))


def _select(table: pa.Table, source: str | None, put_after: float | None) -> pa.Table:
    """The rows of ``table`` from ``source`` (``BULK``/``PUT``/``None``) put after
    ``put_after`` (rows without a put time count as put at 0)."""
    if source is not None:
        want = _PUT if source == "PUT" else _BULK
        table = table.filter(pc.equal(table.column(_SOURCE), want))
    if put_after is not None:
        if _PUT_AT not in table.column_names:
            return table.slice(0, 0)
        stamps = pc.fill_null(table.column(_PUT_AT), 0.0)
        table = table.filter(pc.greater(stamps, put_after))
    return table


def _only_put(table: pa.Table) -> pa.Table:
    return table.filter(pc.equal(table.column(_SOURCE), _PUT))


def _concat(tables: list[pa.Table]) -> pa.Table:
    """One table of ``tables`` in order; a column some lack is null there."""
    if len(tables) == 1:
        return tables[0]
    types: dict[str, pa.DataType] = {}
    for t in reversed(tables):  # the newest table's type wins
        for name, typ in zip(t.column_names, t.schema.types, strict=True):
            types.setdefault(name, typ)
    order = list(dict.fromkeys(n for t in reversed(tables) for n in t.column_names))
    conformed = []
    for t in tables:
        arrays = []
        for name in order:
            if name in t.column_names:
                col = t.column(name)
                arrays.append(col if col.type == types[name] else col.cast(types[name]))
            else:
                arrays.append(pa.nulls(t.num_rows, types[name]))
        conformed.append(pa.table(arrays, names=order))
    return pa.concat_tables(conformed)


def _latest_by_id(table: pa.Table, id_col: str) -> pa.Table:
    """Keep the last row of each ``id_col`` value, in the order of those last rows (a
    record replaced by ID moves to the end, as INSERT OR REPLACE did)."""
    ids = table.column(id_col).to_pylist()
    last = {v: i for i, v in enumerate(ids)}
    if len(last) == len(ids):
        return table
    return table.take(pa.array(sorted(last.values()), type=pa.int64()))


def _old_value(f: Field, v: Any) -> Any:
    """A value read from an earlier layout's SQLite row, typed for ``f``."""
    if f.type == "boolean":
        return bool(v)
    if f.type in ("int", "long"):
        return int(v)
    if f.type in ("float", "double"):
        return float(v)
    return v if isinstance(v, str) else str(v)
