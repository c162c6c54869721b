"""Imported rows per dataset, kept under the state dir for training (reference §5).

One job: durable storage of the records a dataset import job read, per dataset ARN.
Callers: ``seams`` (an import job stores its rows, a finished dataset delete drops them)
and ``training.trainer`` (reads them; the only module of ``local`` that training imports).

API (class :class:`DatasetStore`, one per state dir; safe across threads and processes):

* ``DatasetStore(state_dir)``: data lives in ``<state_dir>/datasets/<name>.sqlite``, one
  SQLite file per dataset (WAL, ``synchronous=FULL``; every write is one transaction, so
  a crash or a second process never leaves half an import).
* ``store_import(dataset_arn, table, mode="FULL", dataset_type=None) -> int``: keep the
  rows of a :class:`~personalize_reconcile.local.csvimport.CsvTable`; returns the number
  of records now stored. ``mode``: ``"FULL"`` replaces the bulk data (records put one by
  one are kept); ``"INCREMENTAL"`` adds rows and, for Items/Users/Actions, replaces the
  record with the same ITEM_ID/USER_ID/ACTION_ID (Interactions and Action_Interactions
  rows are appended). ``dataset_type`` defaults to the ARN's last segment
  (``.../dataset/<group>/INTERACTIONS``). Raises :class:`NoEarlierImportError` for
  INCREMENTAL into a dataset with no earlier bulk import, ``ValueError`` for a bad mode.
* ``put_records(dataset_arn, fields, records, dataset_type=None) -> int``: keep records
  put one by one (PutEvents/PutItems/...; ``records`` are dicts of typed values); they
  survive FULL imports and replace by ID like INCREMENTAL.
* ``has_import(dataset_arn) -> bool``: whether a bulk import has been stored.
* ``count(dataset_arn) -> int``: records stored (0 for an unknown dataset).
* ``load(dataset_arn) -> StoredData``: ``fields`` (``list[Field]``, the latest import's
  schema), ``columns`` (name -> numpy array, same dtypes as ``CsvTable``, rows in the
  order stored; a replaced record moves to the end), ``nulls`` (name -> bool mask for
  nullable fields), ``num_rows``. An unknown dataset gives empty columns and
  ``fields == []``.
* ``drop(dataset_arn) -> None``: forget the dataset (it was deleted). No error if absent.

Errors: :class:`DatastoreError` (base), :class:`NoEarlierImportError`; ``str()`` is a
one-sentence message, e.g. ``INCREMENTAL import into arn:...:dataset/g/ITEMS needs an
earlier FULL or INCREMENTAL import of that dataset; use importMode FULL first``.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from personalize_reconcile.rules.avro import Field, canonical_dataset_type

__all__ = ["DatasetStore", "DatastoreError", "NoEarlierImportError", "StoredData"]

ID_COLUMN = {"Items": "ITEM_ID", "Users": "USER_ID", "Actions": "ACTION_ID"}
"""The record ID of dataset types whose INCREMENTAL imports replace by ID (reference §5)."""

_BUSY_TIMEOUT_S = 60.0
_SOURCE = "_preconcile_source"  # BULK (import jobs) or PUT (records put one by one)


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


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC while millions of row tuples are made (they hold no cycles)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dataset_type_of(arn: str) -> str | None:
    # arn:aws:personalize:<region>:<account>:dataset/<group>/<TYPE> (reference §1)
    return canonical_dataset_type(arn.rsplit("/", 1)[-1]) if "/" in arn else None


class DatasetStore:
    """Imported records per dataset ARN in ``<state_dir>/datasets/`` (module docstring)."""

    def __init__(self, state_dir: str | os.PathLike) -> None:
        """``state_dir``: the local target's state directory (created on first write)."""
        self.dir = Path(state_dir) / "datasets"

    def path_of(self, dataset_arn: str) -> Path:
        """The SQLite file that holds ``dataset_arn``'s records."""
        tail = dataset_arn.split(":dataset/", 1)[-1]
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", tail)[:80]
        digest = hashlib.sha256(dataset_arn.encode()).hexdigest()[:12]
        return self.dir / f"{safe}-{digest}.sqlite"

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

    def store_import(
        self, dataset_arn: str, table: _Table, mode: str = "FULL", dataset_type: str | None = None
    ) -> int:
        """Keep the rows of an import job; return the number of records now stored.

        Args:
            dataset_arn: the dataset's ARN (names the file).
            table: a :class:`~personalize_reconcile.local.csvimport.CsvTable` (or anything
                with ``fields``, ``columns``, ``nulls`` and ``num_rows``).
            mode: ``"FULL"`` (replace the bulk data) or ``"INCREMENTAL"`` (add rows; for
                Items/Users/Actions replace records with the same ID) — reference §5.
            dataset_type: ``Interactions``, ``Items``, ... in any case; defaults to the
                ARN's last segment.

        Raises:
            NoEarlierImportError: INCREMENTAL with no earlier import of this dataset.
            ValueError: ``mode`` is neither FULL nor INCREMENTAL, or the type is unknown.
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
        rows = _rows(table, fields)
        with _no_gc(), self._connect(dataset_arn, create=True) as conn:
            assert conn is not None
            conn.execute("BEGIN IMMEDIATE")
            try:
                meta = self._prepare(conn)
                if mode == "INCREMENTAL" and not meta.get("imports"):
                    raise NoEarlierImportError(
                        f"INCREMENTAL import into {dataset_arn} needs an earlier FULL or "
                        "INCREMENTAL import of that dataset; use importMode FULL first"
                    )
                self._ensure_table(conn, names, id_col, replace=mode == "FULL")
                if mode == "FULL":
                    conn.execute(f"DELETE FROM records WHERE {_SOURCE} = 'BULK'")
                self._insert(conn, names, id_col, rows)
                self._set_meta(
                    conn,
                    fields=[asdict(f) for f in fields],
                    dataset_type=dtype,
                    imports=int(meta.get("imports", 0)) + 1,
                    last_mode=mode,
                )
                count = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return int(count)

    def put_records(
        self,
        dataset_arn: str,
        fields: list[Field],
        records: list[Mapping[str, Any]],
        dataset_type: str | None = None,
    ) -> int:
        """Keep records put one by one (PutEvents, PutItems, PutUsers, PutActions).

        Args:
            dataset_arn: the dataset's ARN.
            fields: the dataset's schema fields.
            records: field name -> value already typed as in :class:`StoredData` (``str``,
                ``int``, ``float``, ``bool``; ``None`` or a missing key for null).
            dataset_type: as in :meth:`store_import`.

        Records with the ID of a stored Items/Users/Actions record replace it; interactions
        are appended. FULL imports keep these records (reference §5); this is not a bulk
        import, so it does not satisfy INCREMENTAL's need for an earlier import.

        Returns:
            The number of records now stored.

        Raises:
            ValueError: the dataset type is unknown, or an Items/Users/Actions record lacks
                its ID.
        """
        dtype = (
            canonical_dataset_type(dataset_type) if dataset_type else _dataset_type_of(dataset_arn)
        )
        if dtype is None:
            raise ValueError(f"cannot tell the dataset type of {dataset_arn}; pass dataset_type")
        id_col = ID_COLUMN.get(dtype)
        names = [f.name for f in fields]
        if id_col is not None and any(r.get(id_col) in (None, "") for r in records):
            raise ValueError(f"every {dtype} record needs a value for {id_col}")
        rows = [tuple(r.get(n) for n in names) + ("PUT",) for r in records]
        with self._connect(dataset_arn, create=True) as conn:
            assert conn is not None
            conn.execute("BEGIN IMMEDIATE")
            try:
                meta = self._prepare(conn)
                self._ensure_table(conn, names, id_col, replace=False)
                self._insert(conn, names, id_col, rows)
                if not meta.get("fields"):
                    self._set_meta(conn, fields=[asdict(f) for f in fields], dataset_type=dtype)
                count = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return int(count)

    def _prepare(self, conn: sqlite3.Connection) -> dict[str, Any]:
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        return self._meta(conn)

    @staticmethod
    def _ensure_table(
        conn: sqlite3.Connection, names: list[str], id_col: str | None, *, replace: bool
    ) -> None:
        """Make ``records`` hold every column in ``names``; with ``replace`` and no put
        records, start it afresh (a FULL import may come with a different schema)."""
        existing = [r[1] for r in conn.execute("PRAGMA table_info(records)")]
        if (
            existing
            and replace
            and not conn.execute(
                f"SELECT 1 FROM records WHERE {_SOURCE} = 'PUT' LIMIT 1"
            ).fetchone()
        ):
            conn.execute("DROP TABLE records")
            existing = []
        if not existing:
            cols = [_quote(n) + (" PRIMARY KEY" if n == id_col else "") for n in names]
            conn.execute(f"CREATE TABLE records ({', '.join(cols)}, {_SOURCE})")
            return
        for n in names:
            if n not in existing:
                conn.execute(f"ALTER TABLE records ADD COLUMN {_quote(n)}")

    @staticmethod
    def _insert(conn: sqlite3.Connection, names: list[str], id_col: str | None, rows: Any) -> None:
        verb = "INSERT OR REPLACE" if id_col else "INSERT"
        conn.executemany(
            f"{verb} INTO records ({', '.join(map(_quote, names))}, {_SOURCE}) "
            f"VALUES ({', '.join('?' * (len(names) + 1))})",
            rows,
        )

    def has_import(self, dataset_arn: str) -> bool:
        """Whether at least one bulk import has been stored for ``dataset_arn``."""
        with self._connect(dataset_arn, create=False) as conn:
            return conn is not None and bool(self._meta(conn).get("imports"))

    def count(self, dataset_arn: str) -> int:
        """Number of records stored for ``dataset_arn`` (0 when none or unknown)."""
        with self._connect(dataset_arn, create=False) as conn:
            if conn is None:
                return 0
            try:
                return int(conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])
            except sqlite3.OperationalError:
                return 0

    def load(self, dataset_arn: str) -> StoredData:
        """The stored records of ``dataset_arn`` as columns, in import order.

        An unknown dataset (or one never imported) gives ``fields == []`` and no columns.
        """
        with _no_gc(), self._connect(dataset_arn, create=False) as conn:
            if conn is None:
                return StoredData([], {}, {}, 0)
            conn.execute("BEGIN")
            try:
                meta = self._meta(conn)
                if not meta.get("fields"):
                    return StoredData([], {}, {}, 0)
                fields = [Field(**f) for f in meta["fields"]]
                names = [f.name for f in fields]
                data = conn.execute(
                    f"SELECT {', '.join(map(_quote, names))} FROM records ORDER BY rowid"
                ).fetchall()
            finally:
                conn.execute("COMMIT")
            n = len(data)
            cols = list(zip(*data, strict=True)) if n else [() for _ in names]
            del data
            columns: dict[str, np.ndarray] = {}
            nulls: dict[str, np.ndarray] = {}
            for f, col in zip(fields, cols, strict=True):
                columns[f.name], mask = _column(f, col)
                if f.nullable:
                    nulls[f.name] = mask
        return StoredData(fields, columns, nulls, n)

    def drop(self, dataset_arn: str) -> None:
        """Forget every record of ``dataset_arn`` (the dataset was deleted).

        The database's side files go first and the database last, so a failure leaves the
        records whole (and countable), never a lone write-ahead log that a new database
        under the same path would replay.

        Raises:
            OSError: a file could not be removed (one that does not exist is fine).
        """
        path = self.path_of(dataset_arn)
        for suffix in ("-wal", "-shm", "-journal", ""):
            try:
                os.unlink(str(path) + suffix)
            except FileNotFoundError:
                pass


def _rows(table: _Table, fields: list[Field]) -> Any:
    lists = []
    for f in fields:
        values = table.columns[f.name].tolist()
        mask = table.nulls.get(f.name)
        if mask is not None and mask.any():
            for i in np.flatnonzero(mask).tolist():
                values[i] = None
        lists.append(values)
    return zip(*lists, repeat("BULK", table.num_rows), strict=False)


def _column(f: Field, col: tuple) -> tuple[np.ndarray, np.ndarray]:
    n = len(col)
    mask = np.fromiter((v is None for v in col), dtype=bool, count=n)
    has_null = bool(mask.any())
    t = f.type
    if t in ("int", "long"):
        vals = [0 if v is None else v for v in col] if has_null else col
        return np.array(vals, dtype=np.int64).reshape(n), mask
    if t in ("float", "double"):
        vals = [np.nan if v is None else v for v in col] if has_null else col
        return np.array(vals, dtype=np.float64).reshape(n), mask
    if t == "boolean":
        return np.array([bool(v) for v in col], dtype=bool).reshape(n), mask
    arr = np.empty(n, dtype=object)
    arr[:] = col
    return arr, mask
