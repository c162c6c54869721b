"""Profile the Items dataset's categorical attributes for Item-Attribute-Affinity.

One job: pick the Items columns the aws-item-attribute-affinity recipe trains on, check
that each carries a signal, and keep them as a long-form table (item, column, value) that
batch segment jobs select items from. Callers: ``trainer`` (through ``segments``) at
training time; ``attribute_expressions`` reads the table when a job runs;
``item_features`` picks its columns with :func:`categorical_fields`,
:func:`column_filter` and :func:`split_cells`.

Which columns: the Items schema's categorical string fields (reference §4 "Attributes on
string fields"; every string column when no schema is given), less ``ITEM_ID`` and the
columns ``solutionConfig.trainingDataConfig`` leaves out (``excludedDatasetColumns.ITEMS``,
or only those ``includedDatasetColumns.ITEMS`` names; reference §6 "solutionConfig").
Multi-value cells are split on ``|`` (reference §5 "CSV rules").

A column carries no signal when every item has the same one value, or when every item has
a value of its own: a segment per value would then be everybody, or a single item's users.
Training refuses such columns by name and says how to leave them out (issue 12).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from personalize_reconcile.local.training.errors import TrainingFailed

RECIPE = "aws-item-attribute-affinity"


@dataclass(frozen=True)
class AttributeTable:
    """The trained attributes, one row per (item, column, value).

    Attributes:
        columns: the profiled column names, as the schema spells them (``str`` array).
        item: ``int64`` index into the model's catalogue per row.
        column: ``int64`` index into ``columns`` per row.
        value: the value per row (``str`` array), one entry per ``|``-separated value.
    """

    columns: np.ndarray
    item: np.ndarray
    column: np.ndarray
    value: np.ndarray

    @classmethod
    def empty(cls) -> AttributeTable:
        """A table with no columns (Item-Affinity's models carry this)."""
        return cls(
            np.zeros(0, dtype=str),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=str),
        )


def categorical_fields(schema: str | None) -> set[str] | None:
    """Upper-case names of the categorical fields of an Avro schema, or ``None`` when no
    schema (or an unreadable one) is given."""
    if not schema:
        return None
    try:
        fields = json.loads(schema).get("fields") or []
    except (ValueError, AttributeError):
        return None
    return {str(f.get("name", "")).upper() for f in fields if f.get("categorical") is True}


def column_filter(
    config: Mapping[str, Any] | None, dataset: str = "ITEMS"
) -> tuple[set[str], set[str] | None]:
    """(excluded, included-or-None) column names of ``dataset`` (``ITEMS``, ``USERS``),
    upper case, from ``solutionConfig.trainingDataConfig`` (reference §6)."""
    data_config = (config or {}).get("trainingDataConfig") or {}

    def names(member: str) -> list[str] | None:
        by_type = data_config.get(member) or {}
        for dtype, cols in by_type.items():
            if str(dtype).upper() == dataset:
                return [str(c).upper() for c in cols]
        return None

    excluded = set(names("excludedDatasetColumns") or [])
    included = names("includedDatasetColumns")
    return excluded, None if included is None else set(included)


def split_cells(raw: np.ndarray) -> list[list[str]]:
    """Each cell's values: ``|``-separated parts, none for a null or empty cell."""
    out = []
    for cell in raw.tolist():
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            out.append([])
            continue
        out.append([v for v in str(cell).split("|") if v != ""])
    return out


def profile(
    items: Mapping[str, np.ndarray] | None,
    catalogue: np.ndarray,
    *,
    schema: str | None = None,
    solution_config: Mapping[str, Any] | None = None,
) -> AttributeTable:
    """Profile the Items rows and return the attributes Item-Attribute-Affinity trains on.

    Args:
        items: the Items dataset's columns (name -> array), or ``None`` without one.
        catalogue: the model's item ids (sorted ``str`` array); Items rows of other ids
            are not profiled (the model has no factors for them).
        schema: the Items dataset's Avro schema (JSON text); without it every string
            column but ``ITEM_ID`` is profiled.
        solution_config: the solution's ``solutionConfig`` (its ``trainingDataConfig``).

    Returns:
        The :class:`AttributeTable` of the usable columns.

    Raises:
        TrainingFailed: no Items dataset; no usable column; or columns without signal,
            named with the reason and the ``excludedDatasetColumns`` setting that leaves
            them out, e.g. ``Items columns carry no signal for aws-item-attribute-affinity:
            COLOR has the value 'red' for every item. Leave them out with
            solutionConfig.trainingDataConfig.excludedDatasetColumns {"ITEMS": ["COLOR"]}
            and train again.``
    """
    if not items:
        raise TrainingFailed(
            f"{RECIPE} needs an Items dataset with at least one categorical column; "
            "create one and import items before training."
        )
    item_col = next((k for k in items if k.upper() == "ITEM_ID"), None)
    if item_col is None:
        raise TrainingFailed("The Items dataset has no ITEM_ID column.")
    categorical = categorical_fields(schema)
    excluded, included = column_filter(solution_config)
    ids = np.asarray(items[item_col]).astype(str)
    pos = np.searchsorted(catalogue, ids)
    pos = np.minimum(pos, max(catalogue.shape[0] - 1, 0))
    known = (catalogue.shape[0] > 0) & (catalogue[pos] == ids) if ids.size else ids.astype(bool)
    names, rows_item, rows_col, rows_value, silent = [], [], [], [], []
    for name in sorted(items, key=str.upper):
        upper = name.upper()
        raw = np.asarray(items[name])
        if upper in ("ITEM_ID", "CREATION_TIMESTAMP") or upper in excluded:
            continue
        if included is not None and upper not in included:
            continue
        if categorical is not None and upper not in categorical:
            continue
        if categorical is None and raw.dtype.kind not in "OUS":
            continue
        cells = split_cells(raw[known])
        with_value = [c for c in cells if c]
        if not with_value:
            continue
        distinct = {v for c in with_value for v in c}
        combos = {"|".join(sorted(c)) for c in with_value}
        if len(distinct) == 1 and len(with_value) > 1:
            silent.append(f"{name} has the value {next(iter(distinct))!r} for every item")
            continue
        if len(combos) == len(with_value) > 1 and len(distinct) >= len(with_value):
            silent.append(f"{name} has a different value for every item ({len(with_value)} items)")
            continue
        col = len(names)
        names.append(name)
        for item, values in zip(pos[known].tolist(), cells, strict=True):
            for v in values:
                rows_item.append(item)
                rows_col.append(col)
                rows_value.append(v)
    if silent:
        cols = [s.split(" ", 1)[0] for s in silent]
        raise TrainingFailed(
            f"Items columns carry no signal for {RECIPE}: "
            + "; ".join(silent)
            + ". Leave them out with solutionConfig.trainingDataConfig.excludedDatasetColumns "
            + json.dumps({"ITEMS": cols})
            + " and train again."
        )
    if not names:
        raise TrainingFailed(
            f"{RECIPE} needs at least one categorical Items column to train on; the Items "
            "dataset has none left after trainingDataConfig (mark a string field "
            '"categorical": true in the Items schema).'
        )
    return AttributeTable(
        columns=np.array(names, dtype=str),
        item=np.array(rows_item, dtype=np.int64),
        column=np.array(rows_col, dtype=np.int64),
        value=np.array(rows_value, dtype=str),
    )
