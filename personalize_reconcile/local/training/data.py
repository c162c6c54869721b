"""Training data: filter and weight imported interactions, encode ids, check minimum data.

One job: turn the imported Interactions rows (a dict of column name -> numpy array, as the
local datastore loads them) into the integer-coded, weighted arrays the algorithms train
on, applying the solution's event filters first (reference §6 "solutionConfig") and then
the service's minimum-data rules (reference §5 "Minimum data to train"). Callers:
``trainer``, ``metrics`` and the algorithm modules.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from personalize_reconcile.local.training.errors import TrainingFailed
from personalize_reconcile.rules.events import missing_event_type, old_data_note

MIN_INTERACTIONS = 1000
"""Reference §5: at least 1000 item interactions, counted after filtering."""
MIN_USERS_WITH_TWO = 25
"""Reference §5: at least 25 unique users with at least 2 interactions each."""
MIN_SHARE_WITH_TWO = 0.01
"""Reference §5: at least 1% of all users with at least 2 interactions."""


@dataclass(frozen=True)
class Interactions:
    """Integer-coded interactions, one entry per kept event (all arrays length ``n``).

    Attributes:
        user: ``int32`` index into ``user_ids`` per event.
        item: ``int32`` index into ``item_ids`` per event.
        timestamp: ``int64`` epoch seconds per event.
        weight: ``float32`` training weight per event (1.0 unless eventsConfig sets one).
        user_ids: the distinct user ids, sorted (``str`` array, length ``n_users``).
        item_ids: the distinct item ids, sorted (``str`` array, length ``n_items``).
    """

    user: np.ndarray
    item: np.ndarray
    timestamp: np.ndarray
    weight: np.ndarray
    user_ids: np.ndarray
    item_ids: np.ndarray

    @property
    def n(self) -> int:
        """Number of events."""
        return int(self.user.shape[0])

    @property
    def n_users(self) -> int:
        """Number of distinct users."""
        return int(self.user_ids.shape[0])

    @property
    def n_items(self) -> int:
        """Number of distinct items."""
        return int(self.item_ids.shape[0])

    def subset(self, mask: np.ndarray) -> Interactions:
        """Return the events where ``mask`` (bool, length ``n``) is true, re-encoded so that
        ``user_ids`` and ``item_ids`` only hold ids that still occur."""
        users, user_ids = _recode(self.user[mask], self.user_ids)
        items, item_ids = _recode(self.item[mask], self.item_ids)
        return Interactions(
            user=users,
            item=items,
            timestamp=self.timestamp[mask],
            weight=self.weight[mask],
            user_ids=user_ids,
            item_ids=item_ids,
        )


def _recode(codes: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber ``codes`` (indices into sorted ``ids``) over the ids that still occur,
    keeping their sorted order: the same result as encoding ``ids[codes]`` afresh, in
    linear time."""
    present = np.bincount(codes, minlength=ids.shape[0]) > 0
    new_code = np.cumsum(present, dtype=np.int64) - 1
    return new_code[codes].astype(np.int32), ids[present]


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values.astype(str), return_inverse=True)``, computed by a dict of the
    distinct values (one pass) and a sort of the distinct ids only, rather than a sort of
    every value. Falls back to ``np.unique`` when distinct values print alike (``1`` and
    ``"1"``), where only the string form tells them apart."""
    values = np.asarray(values).reshape(-1)
    listed = values.tolist()
    codes = {value: code for code, value in enumerate(dict.fromkeys(listed))}
    first = np.fromiter(map(codes.__getitem__, listed), np.int64, len(listed))
    distinct = np.array(list(codes), dtype=object).astype(str)
    order = np.argsort(distinct, kind="stable")
    ids = distinct[order]
    if ids.shape[0] > 1 and bool((ids[1:] == ids[:-1]).any()):
        return np.unique(values.astype(str), return_inverse=True)
    rank = np.empty(order.shape[0], dtype=np.int64)
    rank[order] = np.arange(order.shape[0])
    return ids, rank[first]


def distinct_sorted(keys: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array, by a sort and a neighbour compare
    (numpy 2.x's ``np.unique`` hashes integers, which is many times slower on millions of
    keys)."""
    ordered = np.sort(np.asarray(keys).reshape(-1))
    if ordered.shape[0] < 2:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def encode(
    user_ids: np.ndarray, item_ids: np.ndarray, timestamps: np.ndarray, weights: np.ndarray
) -> Interactions:
    """Build :class:`Interactions` from per-event string ids, epoch seconds and weights.

    The four arrays must have the same length. Ids are coded by sorted order, so the same
    rows always give the same codes whatever their order.
    """
    uids, uinv = _factorize(user_ids)
    iids, iinv = _factorize(item_ids)
    return Interactions(
        user=uinv.astype(np.int32).reshape(-1),
        item=iinv.astype(np.int32).reshape(-1),
        timestamp=np.asarray(timestamps, dtype=np.int64).reshape(-1),
        weight=np.asarray(weights, dtype=np.float32).reshape(-1),
        user_ids=uids,
        item_ids=iids,
    )


def _column(columns: Mapping[str, np.ndarray], name: str) -> np.ndarray | None:
    for key, value in columns.items():
        if key.upper() == name:
            return np.asarray(value)
    return None


def _event_values(raw: np.ndarray | None, n: int) -> np.ndarray:
    """EVENT_VALUE as float64 with NaN where the value is missing."""
    if raw is None:
        return np.full(n, np.nan)
    if raw.dtype.kind in "fiu":
        return raw.astype(np.float64)
    out = np.full(n, np.nan)
    for i, value in enumerate(raw):
        if value is None or value == "":
            continue
        try:
            out[i] = float(value)
        except (TypeError, ValueError):
            continue
    return out


def _event_types(raw: np.ndarray | None, n: int) -> np.ndarray:
    """EVENT_TYPE as a ``str`` array with ``""`` where the type is missing."""
    if raw is None:
        return np.full(n, "", dtype="<U1")
    if raw.dtype.kind == "O":
        raw = np.where(np.equal(raw, None), "", raw)
    return raw.astype(str)


@dataclass(frozen=True)
class FilterOutcome:
    """The result of :func:`prepare`.

    Attributes:
        interactions: the kept, weighted, encoded events, exact duplicates left out.
        total_rows: rows before filtering.
        notes: one sentence per filter applied, for the version's notes.
        duplicates: kept rows left out because they repeat an earlier row in every column.
    """

    interactions: Interactions
    total_rows: int
    notes: tuple[str, ...]
    duplicates: int = 0


_MIX = np.uint64(0x9E3779B97F4A7C15)


def _sentence(text: str) -> str:
    return text if text.endswith("?") else text + "."


def _row_codes(columns: Mapping[str, np.ndarray], rows: np.ndarray) -> list[np.ndarray]:
    """One ``uint64`` array per column for the rows ``rows`` (int indices): equal values
    give equal codes within a column."""
    out = []
    for key in sorted(columns):
        col = np.asarray(columns[key])[rows]
        if col.dtype.kind in "iub":
            out.append(col.astype(np.int64).view(np.uint64))
        elif col.dtype.kind == "f":
            out.append(col.astype(np.float64).view(np.uint64))
        else:
            values = np.where(np.equal(col, None), "", col) if col.dtype.kind == "O" else col
            out.append(_factorize(values)[1].astype(np.uint64))
    return out


def duplicate_rows(codes: list[np.ndarray]) -> np.ndarray:
    """Which rows repeat an earlier row in every column: a bool array, true for the second
    and later copies of a row (the first copy is kept).

    Args:
        codes: one ``uint64`` code array per column, all of one length (:func:`_row_codes`).

    Rows are hashed together first; only rows whose hashes collide are compared column by
    column, so the answer is exact and costs one sort of the hashes.
    """
    n = int(codes[0].shape[0]) if codes else 0
    dup = np.zeros(n, dtype=bool)
    if n < 2:
        return dup
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for c in codes:
            h ^= c * _MIX + (h << np.uint64(6)) + (h >> np.uint64(2))
    order = np.argsort(h, kind="stable")
    hs = h[order]
    same = hs[1:] == hs[:-1]
    if not same.any():
        return dup
    grouped = np.zeros(n, dtype=bool)
    grouped[1:] |= same
    grouped[:-1] |= same
    candidates = np.sort(order[grouped])  # original row order: the first copy comes first
    keys = [c[candidates] for c in codes]
    exact = np.lexsort([candidates, *reversed(keys)])
    ranked = candidates[exact]
    equal = np.ones(ranked.shape[0] - 1, dtype=bool)
    for k in keys:
        sorted_k = k[exact]
        equal &= sorted_k[1:] == sorted_k[:-1]
    dup[ranked[1:][equal]] = True
    return dup


def prepare(
    columns: Mapping[str, np.ndarray],
    *,
    event_type: str | None = None,
    solution_config: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> FilterOutcome:
    """Filter and weight the Interactions rows, leave out exact duplicate rows, then
    encode them.

    Args:
        columns: column name (schema field name, any case) -> array of one value per row.
            USER_ID, ITEM_ID and TIMESTAMP (epoch seconds) are required; EVENT_TYPE and
            EVENT_VALUE are optional (missing values as ``None``, ``""`` or NaN).
        event_type: the solution's legacy ``eventType``: only events of this type train.
        solution_config: the solution's ``solutionConfig``. ``eventValueThreshold`` (a
            string) keeps events whose EVENT_VALUE is at least that number;
            ``eventsConfig.eventParametersList`` keeps only the listed event types, each
            with its own ``eventValueThreshold``, and weights them by ``weight`` (0-1,
            default 1). Reference §6 "solutionConfig".
        now: the training time (epoch seconds); data whose newest interaction is a year
            or more before it gets a note (``rules.events.old_data_note``).

    Rows equal in every column to an earlier row are one event recorded twice: they are
    counted (:attr:`FilterOutcome.duplicates`, and a note) and left out, so they count
    towards neither training nor the minimum-data rules.

    Raises:
        TrainingFailed: a required column is missing, a threshold is not a number, or
            ``event_type`` (or every event type ``eventsConfig`` lists) matches no event in
            the data (the message lists the types present and the closest one).
    """
    config = dict(solution_config or {})
    users = _column(columns, "USER_ID")
    items = _column(columns, "ITEM_ID")
    stamps = _column(columns, "TIMESTAMP")
    for name, col in (("USER_ID", users), ("ITEM_ID", items), ("TIMESTAMP", stamps)):
        if col is None:
            raise TrainingFailed(f"The Interactions dataset has no {name} column.")
    assert users is not None and items is not None and stamps is not None
    n = int(users.shape[0])
    keep = np.ones(n, dtype=bool)
    weight = np.ones(n, dtype=np.float32)
    notes: list[str] = []
    types: np.ndarray | None = None
    values: np.ndarray | None = None

    def get_types() -> np.ndarray:
        nonlocal types
        if types is None:
            types = _event_types(_column(columns, "EVENT_TYPE"), n)
        return types

    def get_values() -> np.ndarray:
        nonlocal values
        if values is None:
            values = _event_values(_column(columns, "EVENT_VALUE"), n)
        return values

    if event_type:
        of_type = get_types() == event_type
        if not of_type.any():
            raise TrainingFailed(_sentence(missing_event_type(event_type, np.unique(get_types()))))
        keep &= of_type
        notes.append(f"trained on events of type {event_type!r} only (solution eventType)")

    threshold = config.get("eventValueThreshold")
    if threshold not in (None, ""):
        try:
            limit = float(threshold)
        except (TypeError, ValueError):
            raise TrainingFailed(f"eventValueThreshold {threshold!r} is not a number.") from None
        with np.errstate(invalid="ignore"):
            keep &= get_values() >= limit
        notes.append(f"kept events with EVENT_VALUE >= {limit:g} (eventValueThreshold)")

    params = (config.get("eventsConfig") or {}).get("eventParametersList") or []
    if params:
        listed = np.zeros(n, dtype=bool)
        for entry in params:
            etype = entry.get("eventType", "")
            match = get_types() == etype
            limit_value = entry.get("eventValueThreshold")
            if limit_value is not None:
                with np.errstate(invalid="ignore"):
                    match &= get_values() >= float(limit_value)
            w = entry.get("weight")
            weight[match] = 1.0 if w is None else float(w)
            listed |= match
        wanted = [e.get("eventType", "") for e in params]
        absent = [t for t in wanted if not (get_types() == t).any()]
        if absent:
            present = np.unique(get_types())
            what = "eventsConfig.eventParametersList eventType"
            if len(absent) == len(wanted):
                raise TrainingFailed(_sentence(missing_event_type(absent[0], present, what)))
            notes.extend(missing_event_type(t, present, what) for t in absent)
        keep &= listed
        notes.append(
            "kept event types "
            + ", ".join(repr(e.get("eventType", "")) for e in params)
            + " with their weights (eventsConfig)"
        )

    kept = np.flatnonzero(keep)
    inter = encode(users[kept], items[kept], stamps[kept], weight[kept])
    others = {k: v for k, v in columns.items() if k.upper() not in ("USER_ID", "ITEM_ID")}
    codes = [inter.user.astype(np.uint64), inter.item.astype(np.uint64)]
    dup = duplicate_rows(codes + _row_codes(others, kept))
    duplicates = int(np.count_nonzero(dup))
    if duplicates:
        first = int(kept[np.flatnonzero(dup)[0]])
        notes.append(
            f"left out {duplicates} exact duplicate row{'s' if duplicates != 1 else ''} (the "
            f"same in every column as an earlier row; the first is record {first + 1})"
        )
        inter = inter.subset(~dup)
    if now is not None and inter.n:
        note = old_data_note(float(inter.timestamp.max()), now)
        if note:
            notes.append(note)
    return FilterOutcome(
        interactions=inter, total_rows=n, notes=tuple(notes), duplicates=duplicates
    )


def check_minimum(inter: Interactions, duplicates: int = 0) -> None:
    """Apply the minimum-data rules of reference §5 to already filtered events
    (``duplicates``: exact duplicate rows left out, named in the message).

    Raises:
        TrainingFailed: with a reason that gives every count and every rule that failed,
            e.g. ``Insufficient data to train after filtering: 999 interactions (at least
            1000 required); 40 users with 2 or more interactions (at least 25 required);
            40 of 500 users (8.00%) have 2 or more interactions (at least 1% required).``
    """
    per_user = np.bincount(inter.user, minlength=inter.n_users)
    with_two = int(np.count_nonzero(per_user >= 2))
    share = with_two / inter.n_users if inter.n_users else 0.0
    failed = (
        inter.n < MIN_INTERACTIONS or with_two < MIN_USERS_WITH_TWO or share < MIN_SHARE_WITH_TWO
    )
    if not failed:
        return
    pct = f"{100 * share:.2f}%"
    left_out = (
        f"; {duplicates} exact duplicate row{'s' if duplicates != 1 else ''} not counted"
        if duplicates
        else ""
    )
    raise TrainingFailed(
        "Insufficient data to train after filtering: "
        f"{inter.n} interactions (at least {MIN_INTERACTIONS} required{left_out}); "
        f"{with_two} users with 2 or more interactions (at least {MIN_USERS_WITH_TWO} "
        f"required); {with_two} of {inter.n_users} users ({pct}) have 2 or more "
        f"interactions (at least {math.floor(MIN_SHARE_WITH_TWO * 100)}% required)."
    )


def distinct_users_per_item(inter: Interactions) -> np.ndarray:
    """``int64`` array of length ``n_items``: how many distinct users touched each item."""
    pairs = distinct_sorted(inter.user.astype(np.int64) * max(inter.n_items, 1) + inter.item)
    return np.bincount(pairs % max(inter.n_items, 1), minlength=inter.n_items).astype(np.int64)
