"""Read and validate the CSV of a dataset import job (reference §5).

One job: turn the object(s) at a ``dataLocation`` into typed columns, or fail with the
``failureReason`` the import job shows. No SQLite, no job state: the import job calls this,
then :mod:`personalize_reconcile.local.datastore` to keep the rows.

API:

* ``read_import(store, data_location, schema) -> CsvTable``

  - ``store``: an :class:`~personalize_reconcile.local.objectstore.ObjectStore`.
  - ``data_location``: ``s3://bucket/key.csv`` (one file) or ``s3://bucket/prefix/`` (every
    object under the prefix, in key order, each with its own header).
  - ``schema``: the dataset's Avro schema as a JSON ``str`` or parsed ``dict``, or the
    ``list[Field]`` from :func:`personalize_reconcile.rules.avro.parse_fields`.
  - returns :class:`CsvTable`: ``fields`` (``list[Field]``), ``columns`` (field name ->
    numpy array, one entry per data row, in file order: ``string`` -> ``object`` array of
    ``str`` with ``None`` for null; ``int``/``long`` -> ``int64`` (0 for null);
    ``float``/``double`` -> ``float64`` (NaN for null); ``boolean`` -> ``bool`` (False for
    null)), ``nulls`` (field name -> ``bool`` mask, for nullable fields only),
    ``arrow`` (field name -> Arrow array with real nulls, what the dataset store keeps;
    the fast path makes these and the numpy columns only when asked), ``num_rows``
    (``int``), ``objects`` (the ``ObjectInfo`` of every file read).
  - raises :class:`CsvImportError` for every problem with the data or its location.

* ``parse_csv(stream, uri, schema) -> CsvTable``: the same for one binary stream (``uri``
  only names it in messages).

* ``check_file(path, shown_as, dataset_type, schema) -> str | None``: the failureReason an
  import of one local file would end with (the checks here and the minimum record count,
  ``too_few_records``), or ``None``; plan uses it (through ``backends``) on ``uploadFrom``
  files before anything is created.

* :class:`CsvImportError` (an ``Exception``): ``str(e)`` is the job's ``failureReason``.
  Attributes ``uri`` (``str | None``), ``line`` (1-based line in that file, header = 1;
  ``None`` when not about a line), ``column`` (field name or ``None``), ``problem`` (the
  part after the colon). Shapes::

      Input CSV s3://b/interactions.csv, line 3, column TIMESTAMP: 1549847353000 looks
      like epoch milliseconds (2019-02-11T01:09:13Z); Personalize needs epoch seconds:
      1549847353
      Input CSV s3://b/interactions.csv, line 1, column USER_ID: the header starts with a
      UTF-8 byte-order mark (EF BB BF); save the file as UTF-8 without a BOM
      No object at s3://b/missing.csv

Checked (reference §5): UTF-8; an unquoted header whose names equal the schema field names
in schema order (quotation marks, byte-order mark, stray whitespace, wrong case, missing,
extra, duplicate and misordered columns named); every row has as many values as the
header; types (``int``/``long`` whole numbers in range, ``float``/``double`` finite
decimals, ``boolean`` lower-case ``true``/``false``); TIMESTAMP and CREATION_TIMESTAMP in
epoch seconds (milliseconds, microseconds, fractional seconds and ISO 8601 dates rejected
with the converted value); non-nullable values present (empty = null); lengths (USER_ID,
ITEM_ID, ACTION_ID <= 256; textual <= 20000; other strings <= 1000 characters, ``|``
separators included); no empty value between ``|`` separators of a multi-value cell
(categorical fields and IMPRESSION).
Blank lines are skipped.
The minimum record count (1000, :func:`too_few_records`) is checked by the import job and
:func:`check_file`; INCREMENTAL's need for an earlier import is the import job's.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from personalize_reconcile.local.objectstore import ObjectInfo, ObjectStore, ObjectStoreError
from personalize_reconcile.rules import limits
from personalize_reconcile.rules.avro import Field, parse_fields

__all__ = ["CsvImportError", "CsvTable", "parse_csv", "read_import"]

ID_FIELDS = frozenset({"USER_ID", "ITEM_ID", "ACTION_ID"})
"""Fields limited to 256 characters (reference §5)."""
ID_MAX_CHARS = 256
"""Characters allowed in USER_ID, ITEM_ID and ACTION_ID values (reference §5)."""
STRING_MAX_CHARS = 1000
"""Characters allowed in categorical and other string values, ``|`` included (reference §5)."""
TEXTUAL_MAX_CHARS = 20000
"""Characters allowed in a textual value (reference §5; the service allows 7000 for Chinese
and Japanese text, which is not told apart here)."""
TIMESTAMP_FIELDS = frozenset({"TIMESTAMP", "CREATION_TIMESTAMP"})
"""Fields that hold epoch seconds (reference §5)."""

_INT_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_INT_RE = re.compile(r"-?[0-9]+")
_FLOAT_RE = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_ISO_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_BATCH_ROWS = 100_000
_READ_BYTES = 8 << 20
_MAX_LINE_BYTES = 64 << 20
"""A line longer than this (64 MiB) ends the import: no row of Personalize data comes near
it (values are at most 20,000 characters), and reading on would hold the whole file in
memory."""
_SHOW_CHARS = 60


class CsvImportError(Exception):
    """The data of an import job is unusable; ``str()`` is the job's ``failureReason``.

    Attributes:
        uri: the ``s3://`` URI of the file, or ``None``.
        line: 1-based line number in that file (header = 1), or ``None``.
        column: the schema field name concerned, or ``None``.
        problem: what is wrong and how to fix it (the message after ``: ``).
    """

    def __init__(
        self,
        problem: str,
        uri: str | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.uri, self.line, self.column, self.problem = uri, line, column, problem
        if uri is None:
            message = problem
        else:
            where = f"Input CSV {uri}"
            if line is not None:
                where += f", line {line}"
            if column is not None:
                where += f", column {column}"
            message = f"{where}: {problem}"
        super().__init__(message)


class CsvTable:
    """Typed columns read from one or more CSV files (see the module docstring).

    Attributes:
        fields: the schema fields, in schema (= column) order.
        columns: field name -> numpy array of ``num_rows`` values (made from ``arrow`` on
            first use when the table was read on the fast path).
        nulls: field name -> ``bool`` array, ``True`` where the value was empty (null);
            nullable fields only.
        arrow: field name -> Arrow array (types from
            :mod:`personalize_reconcile.local.columns`, empty values of nullable fields as
            nulls); made from ``columns`` on first use when the table was read on the
            exact path. The dataset store keeps these as they are.
        num_rows: number of data rows (records).
        objects: the files read, in order.
    """

    def __init__(
        self,
        fields: list[Field],
        columns: dict[str, np.ndarray] | None = None,
        nulls: dict[str, np.ndarray] | None = None,
        num_rows: int = 0,
        objects: list[ObjectInfo] | None = None,
        *,
        arrow: dict[str, Any] | None = None,
    ) -> None:
        """Give ``columns`` and ``nulls``, or ``arrow``; the other form is made on use."""
        if columns is None and arrow is None:
            raise ValueError("a CsvTable needs its columns, as numpy arrays or Arrow arrays")
        self.fields = fields
        self.num_rows = num_rows
        self.objects = list(objects or [])
        self._columns = columns
        self._nulls = nulls if nulls is not None else ({} if columns is not None else None)
        self._arrow = arrow

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """Field name -> numpy array (see the class docstring)."""
        if self._columns is None:
            from personalize_reconcile.local import columns as cols

            self._columns, self._nulls = cols.to_numpy(
                self.fields, self._arrow or {}, self.num_rows
            )
        return self._columns

    @property
    def nulls(self) -> dict[str, np.ndarray]:
        """Field name -> null mask, nullable fields only (see the class docstring)."""
        if self._nulls is None:
            self.columns  # noqa: B018 - computes both
        assert self._nulls is not None
        return self._nulls

    @property
    def arrow(self) -> dict[str, Any]:
        """Field name -> Arrow array (see the class docstring)."""
        if self._arrow is None:
            from personalize_reconcile.local import columns as cols

            assert self._columns is not None
            self._arrow = cols.from_numpy(self.fields, self._columns, self.nulls)
        return self._arrow


def _fields_of(schema: str | dict | Sequence[Field]) -> list[Field]:
    if isinstance(schema, str):
        schema = json.loads(schema)
    if isinstance(schema, dict):
        return parse_fields(schema)
    return list(schema)


def _show(value: str) -> str:
    """A value as shown in messages: JSON-quoted, shortened."""
    if len(value) > _SHOW_CHARS:
        value = value[:_SHOW_CHARS] + "..."
    return json.dumps(value, ensure_ascii=False)


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _timestamp_problem(text: str, value: int | None) -> str | None:
    """Why a TIMESTAMP value is not epoch seconds, with the converted value; or ``None``."""
    if value is not None:
        digits = len(str(abs(value)))
        for lo, unit, div in (
            (18, "nanoseconds", 10**9),
            (15, "microseconds", 10**6),
            (12, "milliseconds", 10**3),
        ):
            if digits >= lo:
                seconds = value // div
                try:
                    shown = f" ({_utc(seconds)})"
                except (OverflowError, OSError, ValueError):
                    shown = ""
                return (
                    f"{text} looks like epoch {unit}{shown}; Personalize needs epoch "
                    f"seconds: {seconds}"
                )
        return None
    if _ISO_RE.fullmatch(text):
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            seconds = int(when.replace(tzinfo=timezone.utc).timestamp())
            return (
                f"{text} looks like an ISO 8601 date; Personalize needs epoch seconds: "
                f"{seconds} (if that time is UTC)"
            )
        return (
            f"{text} looks like an ISO 8601 date; Personalize needs epoch seconds: "
            f"{int(when.timestamp())}"
        )
    if _FLOAT_RE.fullmatch(text) and "." in text and "e" not in text.lower():
        whole = int(float(text))
        return f"{text} has a fraction; Personalize needs whole epoch seconds: {whole}"
    return None


MULTI_VALUE_FIELDS = frozenset({"IMPRESSION"})
"""Non-categorical fields whose cells also list values joined by ``|`` (reference §5)."""


def _multi_value(f: Field) -> bool:
    """Whether a cell of ``f`` may hold several values joined by ``|`` (reference §5)."""
    return f.categorical or f.name in MULTI_VALUE_FIELDS


def _length_limit(f: Field) -> int:
    if f.name in ID_FIELDS:
        return ID_MAX_CHARS
    if f.textual:
        return TEXTUAL_MAX_CHARS
    return STRING_MAX_CHARS


def _value_problem(f: Field, v: str) -> str | None:
    """The problem with one CSV value of field ``f``, or ``None`` (the slow, exact check)."""
    if v == "":
        if f.nullable:
            return None
        return f"the value is empty, but {f.name} is required (its schema type does not allow null)"
    t = f.type
    if t == "string":
        limit = _length_limit(f)
        if len(v) > limit:
            what = "textual " if f.textual else ""
            return (
                f"the value is {len(v)} characters long; {what}{f.name} values may have "
                f"at most {limit}"
            )
        if _multi_value(f) and "|" in v and "" in v.split("|"):
            return (
                f"{_show(v)} has an empty value between | separators; separate the "
                f"values of {f.name} with single | characters"
            )
        return None
    if t in ("int", "long"):
        number = int(v) if _INT_RE.fullmatch(v) and len(v) <= 40 else None
        if f.name in TIMESTAMP_FIELDS:
            p = _timestamp_problem(v, number)
            if p:
                return p
        if number is None and _INT_RE.fullmatch(v):
            return f"{_show(v)} is out of range for {'an int' if t == 'int' else 'a long'}"
        if number is None:
            return f"{_show(v)} is not {'an int' if t == 'int' else 'a long'} (a whole number)"
        lo, hi = _INT_RANGES[t]
        if not lo <= number <= hi:
            return f"{v} is out of range for {'an int' if t == 'int' else 'a long'} ({lo} to {hi})"
        return None
    if t in ("float", "double"):
        if not _FLOAT_RE.fullmatch(v):
            a = "a float" if t == "float" else "a double"
            return f"{_show(v)} is not {a} (a decimal number)"
        x = float(v)
        if x in (float("inf"), float("-inf")) or (t == "float" and abs(x) > _FLOAT32_MAX):
            return f"{v} is out of range for {'a float' if t == 'float' else 'a double'}"
        return None
    if t == "boolean":
        if v in ("true", "false"):
            return None
        return f"{_show(v)} is not a boolean; Personalize needs lower-case true or false"
    return f"{_show(v)} cannot be imported: {f.name} has type {t}"


# ---------------------------------------------------------------------------------------------
# Column conversion: a fast, vectorised path that only says "all good", and the exact slow
# path above that finds the first bad value when it does not.


def _convert(f: Field, col: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray | None] | int:
    """Typed column and null mask, or the index of the first bad value."""
    n = len(col)
    has_empty = "" in col
    if has_empty and not f.nullable:
        return _first_bad(f, col)
    mask = None
    if f.nullable:
        mask = (
            np.fromiter((v == "" for v in col), dtype=bool, count=n)
            if has_empty
            else np.zeros(n, dtype=bool)
        )
    t = f.type
    try:
        if t == "string":
            lengths = np.fromiter(map(len, col), dtype=np.int64, count=n)
            if n and lengths.max() > _length_limit(f):
                return _first_bad(f, col)
            if _multi_value(f):
                j = "\x00".join(col)
                if "|" in j and (
                    "||" in j
                    or "\x00|" in j
                    or "|\x00" in j
                    or j.startswith("|")
                    or j.endswith("|")
                ):
                    return _first_bad(f, col)
            arr = np.array(col, dtype=object)
            if has_empty:
                arr[mask] = None
            return arr, mask
        if t in ("int", "long"):
            values = col if not has_empty else tuple(v or "0" for v in col)
            j = "\n".join(values)
            b = j.encode("ascii")  # non-ASCII -> UnicodeEncodeError -> slow path
            rest = b.translate(None, b"0123456789\n")
            if j.count("\n") != n - 1 or (rest and (rest.strip(b"-") or not _all_ints(j))):
                return _first_bad(f, col)  # a newline inside a value, or a stray character
            arr = np.array(list(map(int, values)), dtype=np.int64)
            lo, hi = _INT_RANGES[t]
            if t == "int" and (arr.min(initial=0) < lo or arr.max(initial=0) > hi):
                return _first_bad(f, col)
            if f.name in TIMESTAMP_FIELDS and n and (arr.max() >= 10**11 or arr.min() <= -(10**11)):
                return _first_bad(f, col)
            return arr, mask
        if t in ("float", "double"):
            values = col if not has_empty else tuple(v or "0" for v in col)
            if not _all_floats("\n".join(values)):
                return _first_bad(f, col)
            arr = np.array(list(map(float, values)), dtype=np.float64)
            limit = _FLOAT32_MAX if t == "float" else np.inf
            if not np.all(np.abs(arr) <= limit) or not np.all(np.isfinite(arr)):
                return _first_bad(f, col)
            if has_empty:
                arr[mask] = np.nan
            return arr, mask
        if t == "boolean":
            allowed = {"true", "false", ""} if f.nullable else {"true", "false"}
            if not set(col) <= allowed:
                return _first_bad(f, col)
            return np.fromiter((v == "true" for v in col), dtype=bool, count=n), mask
    except (UnicodeEncodeError, OverflowError, ValueError):
        return _first_bad(f, col)
    return _first_bad(f, col)


def _all_ints(joined: str) -> bool:
    return re.fullmatch(r"-?[0-9]+(?:\n-?[0-9]+)*", joined) is not None


_FLOATS_RE = re.compile(rf"(?:{_FLOAT_RE.pattern})(?:\n(?:{_FLOAT_RE.pattern}))*")


def _all_floats(joined: str) -> bool:
    return _FLOATS_RE.fullmatch(joined) is not None


def _first_bad(f: Field, col: Sequence[str]) -> int:
    for i, v in enumerate(col):
        if _value_problem(f, v) is not None:
            return i
    raise AssertionError(f"no bad value found in column {f.name}")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Reading


class _Lines:
    """Text lines of a binary stream, decoded as UTF-8 chunk by chunk.

    Stops (without raising) at the first line that is not valid UTF-8 and remembers it in
    ``bad`` as ``(line_number, line_bytes, byte_offset_in_line)``; the caller reports it
    after validating the rows before it, so problems are reported in file order.
    """

    def __init__(self, stream: BinaryIO, uri: str | None = None) -> None:
        self.stream = stream
        self.uri = uri
        self.bad: tuple[int, bytes, int] | None = None

    def __iter__(self) -> Iterator[str]:
        line_no = 0  # lines fully yielded before the current chunk
        carry = b""
        while True:
            chunk = self.stream.read(_READ_BYTES)
            data = carry + chunk if carry else chunk
            if not chunk:
                if not data:
                    return
                carry, data = b"", data
            else:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    if len(data) > _MAX_LINE_BYTES:  # a binary file, or no line breaks at all
                        raise CsvImportError(
                            f"the line is longer than {_MAX_LINE_BYTES:,} bytes without a line "
                            "break, far longer than any row of Personalize data; check that "
                            "this is a CSV file",
                            self.uri,
                            line_no + 1,
                        )
                    carry = data
                    continue
                carry, data = data[cut:], data[:cut]
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                start = data.rfind(b"\n", 0, e.start) + 1
                end = data.find(b"\n", e.start)
                end = len(data) if end < 0 else end + 1
                good = data[:start].decode("utf-8")
                yield from io.StringIO(good, newline="")
                self.bad = (
                    line_no + data.count(b"\n", 0, start) + 1,
                    data[start:end],
                    e.start - start,
                )
                return
            lines = io.StringIO(text, newline="")
            yield from lines
            line_no += data.count(b"\n")
            if not chunk:
                return


def _header_problem(header: list[str], fields: list[Field]) -> tuple[str | None, str] | None:
    names = [f.name for f in fields]
    expected = ",".join(names)
    tail = f"; the header must be {expected}"
    if header == names:
        return None
    by_upper = {n.upper(): n for n in names}
    for h in header:
        s = h.strip()
        if s != h and s in names:
            return s, f"the header name {_show(h)} has stray whitespace; write {s}{tail}"
    for h in header:
        if h not in names and h.upper() in by_upper:
            n = by_upper[h.upper()]
            return n, f"the header name {h} differs in case from the schema's {n}{tail}"
    seen: set[str] = set()
    for h in header:
        if h in seen:
            return h, f"the header names {h} twice{tail}"
        seen.add(h)
    for i, h in enumerate(header):
        if h not in names:
            if h and h.strip() == h:
                return h, f"the schema has no field of this name{tail}"
            return None, (
                f"the header has column {_show(h)} in position {i + 1}, which is not "
                f"a field of the schema{tail}"
            )
    for n in names:
        if n not in seen:
            return n, f"the header is missing this column{tail}"
    for i, (h, n) in enumerate(zip(header, names, strict=True)):
        if h != n:
            return h, (
                f"the header has {h} in position {i + 1}, where the schema has {n}; "
                f"columns must be in schema order{tail}"
            )
    return None  # pragma: no cover


def _decode_problem(fields: list[Field], line: bytes, offset: int) -> tuple[str | None, str]:
    text = line.decode("utf-8", "replace")
    column = None
    try:
        row = next(csv.reader([text]))
        for f, v in zip(fields, row, strict=False):
            if "\ufffd" in v:
                column = f.name
                break
    except (csv.Error, StopIteration):
        pass
    return column, (
        f"the file is not valid UTF-8 (byte 0x{line[offset]:02x} at byte "
        f"{offset + 1} of the line); save it as UTF-8"
    )


def parse_csv(
    stream: BinaryIO, uri: str, schema: str | dict | Sequence[Field], threads: bool = True
) -> CsvTable:
    """Read and validate one CSV file (see the module docstring for the rules and shapes).

    Args:
        stream: the file's bytes, opened for binary reading; read to the end, not closed.
            A stream that cannot seek is read into memory first (finding the line of a bad
            row reads the file again).
        uri: names the file in messages (``s3://bucket/key``).
        schema: Avro schema (JSON ``str`` or ``dict``) or its ``list[Field]``.
        threads: let pyarrow's reader use its thread pool (off for a short-lived command
            that only checks a file: no native threads are left running at its exit).

    Raises:
        CsvImportError: the first problem in file order (header first, then row by row,
            column by column).
        ValueError: ``schema`` is not a valid Personalize Avro schema.
    """
    fields = _fields_of(schema)
    if not stream.seekable():
        stream = io.BytesIO(stream.read())
    return _parse(stream, uri, fields, None, None, threads)


def _parse(
    stream: BinaryIO,
    uri: str,
    fields: list[Field],
    obj: ObjectInfo | None,
    reopen: Callable[[], BinaryIO] | None,
    threads: bool = True,
) -> CsvTable:
    names = [f.name for f in fields]
    head = stream.read(4)
    for bom, what in (
        (codecs.BOM_UTF8, "a UTF-8 byte-order mark (EF BB BF)"),
        (codecs.BOM_UTF16_LE, "a UTF-16 byte-order mark (FF FE)"),
        (codecs.BOM_UTF16_BE, "a UTF-16 byte-order mark (FE FF)"),
    ):
        if head.startswith(bom):
            fix = (
                "save the file as UTF-8 without a BOM"
                if bom == codecs.BOM_UTF8
                else "save the file as UTF-8 (without a BOM)"
            )
            raise CsvImportError(
                f"the header starts with {what}; {fix}", uri, 1, names[0] if names else None
            )
    data = head + stream.read(_FAST_MAX_BYTES + 1 - len(head))
    ends = [i for i in (data.find(b"\n", 0, 1 << 20), data.find(b"\r", 0, 1 << 20)) if i >= 0]
    first = data[: min(ends, default=1 << 20)]  # the header line (its first MiB), not a copy
    if b'"' in first:
        quoted = next(
            (n.strip().strip('"') for n in first.decode("utf-8", "replace").split(",") if '"' in n),
            None,
        )
        raise CsvImportError(
            'the header encloses its names in quotation marks ("), which the service does not '
            f"accept; write the header without quotes: {','.join(names)}",
            uri,
            1,
            quoted,
        )
    if len(data) <= _FAST_MAX_BYTES:
        table = _fast_parse(data, fields, obj, threads)
        if table is not None:
            return table
    lines = _Lines(_Prepend(data, stream), uri)
    reader = csv.reader(iter(lines), strict=False)
    try:
        header = next(reader, None)
    except csv.Error as e:
        raise CsvImportError(f"the header is not valid CSV ({e})", uri, 1) from None
    if header is None:
        if lines.bad:
            column, problem = _decode_problem(fields, lines.bad[1], lines.bad[2])
            raise CsvImportError(problem, uri, 1, None)
        raise CsvImportError(
            f"the file is empty; it needs a header line {','.join(names)}", uri, None
        )
    hp = _header_problem(header, fields)
    if hp:
        raise CsvImportError(hp[1], uri, 1, hp[0])

    ncols = len(names)
    parts: dict[str, list[np.ndarray]] = {n: [] for n in names}
    null_parts: dict[str, list[np.ndarray]] = {f.name: [] for f in fields if f.nullable}
    total = 0
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived lists: the cyclic GC only slows this down
    try:
        while True:
            try:
                batch = list(islice(reader, _BATCH_ROWS))
            except csv.Error as e:
                problem = f"the row is not valid CSV ({e})"
                if "field limit" in str(e):
                    problem = (
                        f"a value is longer than {csv.field_size_limit()} characters; "
                        f"values may have at most {TEXTUAL_MAX_CHARS} (textual) or "
                        f"{STRING_MAX_CHARS} characters"
                    )
                    if b'"' in data:
                        problem += (
                            " (a quotation mark that opens a value and is never closed makes "
                            "the lines after it one value: look for one above this line)"
                        )
                raise CsvImportError(problem, uri, reader.line_num) from None
            if not batch:
                break
            batch_start = total
            if any(len(r) != ncols for r in batch):
                batch = [r for r in batch if r]  # blank lines
            bad_len = next((i for i, r in enumerate(batch) if len(r) != ncols), None)
            good = batch if bad_len is None else batch[:bad_len]
            errors = []
            if good:
                cols = list(zip(*good, strict=True))
                for k, f in enumerate(fields):
                    out = _convert(f, cols[k])
                    if isinstance(out, int):
                        errors.append((out, k))
                        continue
                    arr, mask = out
                    parts[f.name].append(arr)
                    if f.nullable:
                        null_parts[f.name].append(mask)
                del cols
            if errors:
                row, k = min(errors)
                f = fields[k]
                value = good[row][k]
                raise CsvImportError(
                    _value_problem(f, value) or "bad value",
                    uri,
                    _line_of(stream, reopen, batch_start + row),
                    f.name,
                )
            if bad_len is not None:
                n = len(batch[bad_len])
                spans = any("\n" in v or "\r" in v for v in batch[bad_len])
                raise CsvImportError(
                    f"the row has {n} value{'s' if n != 1 else ''}, but the header has "
                    f"{ncols} columns"
                    + (
                        "; a value in it runs over several lines: is a quotation mark that "
                        "opens it not closed?"
                        if spans
                        else ""
                    ),
                    uri,
                    _line_of(stream, reopen, batch_start + bad_len),
                )
            total += len(batch)
            del batch, good
    finally:
        if gc_was_enabled:
            gc.enable()
    if lines.bad:
        column, problem = _decode_problem(fields, lines.bad[1], lines.bad[2])
        raise CsvImportError(problem, uri, lines.bad[0], column)
    columns = {n: _concat(parts[n], f) for n, f in zip(names, fields, strict=True)}
    nulls = {
        n: (np.concatenate(p) if p else np.zeros(0, dtype=bool)) for n, p in null_parts.items()
    }
    return CsvTable(fields, columns, nulls, total, [obj] if obj else [])


# ---------------------------------------------------------------------------------------------
# The fast path: pyarrow parses, pyarrow.compute checks. It only ever says "all good, here
# are the columns"; anything unusual, and any bad value, sends the file through the exact
# path above, which finds and words the first problem (row, line and column).

_FAST_MAX_BYTES = 256 << 20
"""Files up to this size are read whole and tried on the fast path first."""
_QUOTED_FIELD = re.compile(rb'(?:^|(?<=,))"[^"\r\n]*"(?=,|\r?\n|\Z)', re.MULTILINE)
"""A quoted value whose quotes both sit at field boundaries and that holds no quote or
line break: the only quoting on which Python's csv module and pyarrow surely agree."""
_INT_PATTERN = "^-?[0-9]+$"
_FLOAT_PATTERN = f"^(?:{_FLOAT_RE.pattern})$"
_EMPTY_BETWEEN_SEPARATORS = r"^\||\|$|\|\|"


def _plain_csv(data: bytes) -> bool:
    """Whether ``data`` is CSV that pyarrow reads exactly as the exact path does: no NUL,
    no lone carriage return, no blank line before the header, and quotes only around whole
    values that hold no quote and no line break."""
    if not data or data[:1] in (b"\n", b"\r") or b"\x00" in data:
        return False
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return False
    if b'"' not in data:
        return True
    return data.count(b'"') == 2 * len(_QUOTED_FIELD.findall(data))


def _fast_parse(
    data: bytes, fields: list[Field], obj: ObjectInfo | None, threads: bool = True
) -> CsvTable | None:
    """The file's :class:`CsvTable` (with Arrow columns) when it is plain
    (:func:`_plain_csv`), its header is right and every value is valid; else ``None``."""
    if not _plain_csv(data):
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        from pyarrow import csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    names = [f.name for f in fields]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(use_threads=threads),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
                check_utf8=True,
            ),
        )
        if table.column_names != names or table.num_rows == 0:
            return None
    except (pa.ArrowException, UnicodeError):
        return None
    # Without quotes in the file no value can hold a quote or a line break (_plain_csv
    # allows a carriage return only before a line feed, which ends the row).
    quoted = b'"' in data
    arrow: dict[str, Any] = {}
    for f in fields:
        col = table.column(f.name)
        if (
            quoted
            and f.type == "string"
            and pc.any(pc.match_substring_regex(col, '["\r\n]')).as_py()
        ):
            return None
        try:
            out = _fast_column(f, col, pa, pc)
        except (pa.ArrowException, UnicodeError, OverflowError, ValueError):
            return None
        if out is None:
            return None
        arrow[f.name] = out
    return CsvTable(fields, num_rows=table.num_rows, objects=[obj] if obj else [], arrow=arrow)


def _fast_column(f: Field, col: Any, pa: Any, pc: Any) -> Any:
    """The Arrow column (types of :mod:`personalize_reconcile.local.columns`, empty values
    of a nullable field as nulls) holding what :func:`_convert` gives, or ``None`` when a
    value is bad (or pyarrow cannot tell)."""
    lengths = pc.binary_length(col)
    has_empty = pc.min(lengths).as_py() == 0
    if has_empty and not f.nullable:
        return None
    empty = pc.equal(lengths, 0) if has_empty else None
    filled = pc.if_else(empty, "0", col) if has_empty else col
    t = f.type

    def with_nulls(arr: Any) -> Any:
        return pc.if_else(empty, pa.scalar(None, arr.type), arr) if has_empty else arr

    if t == "string":
        limit = _length_limit(f)
        # a value's characters never outnumber its bytes: count characters only if needed
        if pc.max(lengths).as_py() > limit and pc.max(pc.utf8_length(col)).as_py() > limit:
            return None
        if (
            _multi_value(f)
            and pc.any(pc.match_substring_regex(col, _EMPTY_BETWEEN_SEPARATORS)).as_py()
        ):
            return None
        return with_nulls(col)
    if t in ("int", "long"):
        # digits only (non-ASCII digits fail the cast), else the exact pattern (a sign)
        if (
            not pc.all(pc.utf8_is_decimal(filled)).as_py()
            and not pc.all(pc.match_substring_regex(filled, _INT_PATTERN)).as_py()
        ):
            return None
        arr = pc.cast(filled, pa.int64())
        lo, hi = _INT_RANGES[t]
        extremes = pc.min_max(arr)
        low, high = extremes["min"].as_py(), extremes["max"].as_py()
        if t == "int" and (low < lo or high > hi):
            return None
        if f.name in TIMESTAMP_FIELDS and (high >= 10**11 or low <= -(10**11)):
            return None
        return with_nulls(arr)
    if t in ("float", "double"):
        if not pc.all(pc.match_substring_regex(filled, _FLOAT_PATTERN)).as_py():
            return None
        arr = pc.cast(filled, pa.float64())
        limit = _FLOAT32_MAX if t == "float" else np.inf
        top = pc.max(pc.abs(arr)).as_py()
        if top is None or not top <= limit or not math.isfinite(top):
            return None
        return with_nulls(arr)
    if t == "boolean":
        allowed = ["true", "false", ""] if f.nullable else ["true", "false"]
        if not pc.all(pc.is_in(col, value_set=pa.array(allowed))).as_py():
            return None
        return with_nulls(pc.equal(col, "true"))
    return None


def _concat(parts: list[np.ndarray], f: Field) -> np.ndarray:
    if parts:
        return np.concatenate(parts) if len(parts) > 1 else parts[0]
    return np.zeros(0, dtype=_dtype(f))


def _dtype(f: Field) -> Any:
    return {
        "int": np.int64,
        "long": np.int64,
        "float": np.float64,
        "double": np.float64,
        "boolean": bool,
    }.get(f.type, object)


class _Prepend(io.RawIOBase):
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self.head, self.stream = head, stream

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        if self.head:
            out, self.head = self.head, b""
            if size < 0:
                return out + self.stream.read()
            return out + self.stream.read(max(size - len(out), 0))
        return self.stream.read(size)


def _line_of(stream: BinaryIO, reopen: Callable[[], BinaryIO] | None, row_index: int) -> int:
    """The 1-based first line of data row ``row_index`` (0-based, blank lines excluded).

    Error path only: re-reads the file from the start (``reopen()``, or seeking ``stream``).
    """
    if reopen is not None:
        src = reopen()
    else:
        stream.seek(0)
        src = stream
    try:
        lines = _Lines(src)
        reader = csv.reader(iter(lines), strict=False)
        next(reader, None)
        seen = -1
        before = reader.line_num
        for row in reader:
            if row:
                seen += 1
                if seen == row_index:
                    return before + 1
            before = reader.line_num
        return before + 1  # pragma: no cover
    finally:
        if src is not stream:
            src.close()


def read_import(
    store: ObjectStore, data_location: str, schema: str | dict | Sequence[Field]
) -> CsvTable:
    """Read and validate every CSV file a ``dataLocation`` names (see the module docstring).

    Args:
        store: where ``s3://`` URIs resolve.
        data_location: ``s3://bucket/file.csv`` or ``s3://bucket/folder/`` (all objects
            under the prefix, in key order; zero-byte folder markers skipped).
        schema: the dataset's Avro schema (JSON ``str`` or ``dict``) or its ``list[Field]``.

    Returns:
        One :class:`CsvTable` with the rows of all files, in key order.

    Raises:
        CsvImportError: a bad location, a missing object or bucket, or the first problem in
            the first bad file (``str()`` names the file, line and column).
        ValueError: ``schema`` is not a valid Personalize Avro schema (CreateSchema has
            already refused those).
    """
    fields = _fields_of(schema)
    try:
        objects = store.locate(data_location)
    except ObjectStoreError as e:
        raise CsvImportError(str(e)) from None
    tables = []
    for obj in objects:
        try:
            with store.open(obj.uri) as stream:
                tables.append(
                    _parse(stream, obj.uri, fields, obj, lambda uri=obj.uri: store.open(uri))
                )
        except ObjectStoreError as e:
            raise CsvImportError(str(e)) from None
    if len(tables) == 1:
        return tables[0]
    import pyarrow as pa

    from personalize_reconcile.local import columns as cols

    arrow = {
        f.name: pa.chunked_array(
            [c for t in tables for c in _chunks(t.arrow[f.name])], type=cols.arrow_type(f)
        )
        for f in fields
    }
    rows = sum(t.num_rows for t in tables)
    return CsvTable(fields, num_rows=rows, objects=list(objects), arrow=arrow)


def too_few_records(rows: int, dataset_type: str, location: str) -> str | None:
    """The failureReason of an import into an Interactions dataset of fewer records than
    reference §5 asks (:data:`~personalize_reconcile.rules.limits.MIN_INTERACTION_RECORDS`),
    else ``None``."""
    minimum = limits.MIN_INTERACTION_RECORDS
    if dataset_type != "INTERACTIONS" or rows >= minimum:
        return None
    return (
        f"Input data at {location} has {rows} records; an import job needs at least "
        f"{minimum} interaction records"
    )


def check_file(path: Path, shown_as: str, dataset_type: str, schema: str | dict) -> str | None:
    """The failureReason an import job of the local CSV file ``path`` would end with (the
    reading and rules of :func:`read_import`, and :func:`too_few_records`), or ``None``
    when it would import.

    Args:
        path: the file (an ``uploadFrom``).
        shown_as: how messages name it (the path as the manifest writes it).
        dataset_type: upper-case type (``INTERACTIONS``...).
        schema: the dataset's Avro schema (JSON ``str`` or ``dict``).

    Raises:
        OSError: the file cannot be read.
        ValueError: ``schema`` is not a valid Personalize Avro schema.
    """
    try:
        with open(path, "rb") as stream:
            table = parse_csv(stream, shown_as, schema, threads=False)
    except CsvImportError as exc:
        return str(exc)
    return too_few_records(table.num_rows, dataset_type, shown_as)


def _chunks(array: Any) -> list[Any]:
    return list(array.chunks) if hasattr(array, "chunks") else [array]
