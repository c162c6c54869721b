"""Typed dataset columns as Arrow arrays and as numpy arrays, and the conversions between.

One job: the one mapping from a schema field's Avro type to an Arrow type, and from Arrow
columns (with real nulls) to the numpy columns and null masks that imports hand over and
the trainer takes, and back. Callers: ``csvimport`` (the fast path builds Arrow columns
and hands out numpy ones only when asked) and ``datastore`` (keeps Arrow files, loads
numpy columns).

Numpy shapes (the same for :class:`~personalize_reconcile.local.csvimport.CsvTable` and
:class:`~personalize_reconcile.local.datastore.StoredData`): ``string`` -> ``object``
array of ``str`` with ``None`` for null; ``int``/``long`` -> ``int64`` with 0 for null;
``float``/``double`` -> ``float64`` with NaN for null; ``boolean`` -> ``bool`` with False
for null; plus a ``bool`` null mask per nullable field. Arrow shapes: ``string`` ->
``pa.string()``, ``int``/``long`` -> ``pa.int64()``, ``float``/``double`` ->
``pa.float64()``, ``boolean`` -> ``pa.bool_()``, nulls as Arrow nulls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from personalize_reconcile.rules.avro import Field

__all__ = ["arrow_type", "from_numpy", "numpy_dtype", "to_numpy"]

_ARROW = {
    "int": pa.int64(),
    "long": pa.int64(),
    "float": pa.float64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
}
_NUMPY = {"int": np.int64, "long": np.int64, "float": np.float64, "double": np.float64}


def arrow_type(f: Field) -> pa.DataType:
    """The Arrow type a column of ``f`` is kept as (``pa.string()`` for ``string``)."""
    return _ARROW.get(f.type, pa.string())


def numpy_dtype(f: Field) -> type | np.dtype:
    """The numpy dtype of a column of ``f`` (``object`` for ``string``, ``bool``...)."""
    if f.type == "boolean":
        return bool
    return _NUMPY.get(f.type, object)


def from_numpy(
    fields: Sequence[Field],
    columns: Mapping[str, np.ndarray],
    nulls: Mapping[str, np.ndarray],
) -> dict[str, pa.Array]:
    """Arrow arrays of numpy columns: field name -> array of :func:`arrow_type`.

    ``nulls`` masks (where given) and ``None`` values of ``object`` columns become nulls.

    Raises:
        pyarrow.ArrowException: a value cannot be held by the field's type (e.g. a ``dict``
            in a string column).
    """
    out: dict[str, pa.Array] = {}
    for f in fields:
        values = np.asarray(columns[f.name]).reshape(-1)
        mask = nulls.get(f.name)
        typ = arrow_type(f)
        if mask is not None and mask.any():
            out[f.name] = pa.array(
                values, type=typ, mask=np.asarray(mask, dtype=bool), from_pandas=True
            )
        else:
            out[f.name] = pa.array(values, type=typ, from_pandas=values.dtype == object)
    return out


def to_numpy(
    fields: Sequence[Field], arrays: Mapping[str, pa.Array | pa.ChunkedArray], num_rows: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Numpy columns and null masks (module docstring) of Arrow columns.

    A field with no column in ``arrays`` is all null (a field a later schema added).

    Returns:
        ``(columns, nulls)``: field name -> array of ``num_rows`` values; field name ->
        ``bool`` mask, for nullable fields only.
    """
    columns: dict[str, np.ndarray] = {}
    nulls: dict[str, np.ndarray] = {}
    for f in fields:
        col = arrays.get(f.name)
        if col is None:
            col = pa.nulls(num_rows, arrow_type(f))
        elif col.type != arrow_type(f):
            col = col.cast(arrow_type(f))
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        has_nulls = col.null_count > 0
        if f.nullable:
            nulls[f.name] = (
                np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
                if has_nulls
                else np.zeros(num_rows, dtype=bool)
            )
        if f.type in ("int", "long"):
            filled = pc.fill_null(col, 0) if has_nulls else col
            columns[f.name] = np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.int64)
        elif f.type in ("float", "double"):
            columns[f.name] = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)
        elif f.type == "boolean":
            filled = pc.fill_null(col, False) if has_nulls else col
            columns[f.name] = np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)
        else:
            columns[f.name] = np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)
    return columns, nulls
