"""Filters, promotions and item metadata at run time: what a filter keeps of a ranked list.

One job: evaluate a filter expression (parsed by ``rules.filterlang``, once per filter ARN
and expression) against the latest records of the dataset group's Items, Users and
Interactions datasets (``datastore``; cached per dataset under its ``revision``, so an
import or a put record invalidates them), and read items' metadata. Callers:
``runtime`` (GetRecommendations / GetPersonalizedRanking: ``filterArn``, ``promotions``,
``metadataColumns``) and ``batch`` (a batch inference job's ``filterArn`` with per-line
``filterValues``).

Semantics (reference §8 and the Developer Guide's "Filter expression structure and
elements", "Filtering real-time recommendations", "Promoting items"):

- Each ``|``-separated part applies in turn: INCLUDE keeps the items its condition
  matches, EXCLUDE drops them. A part with an IF condition applies only when the IF holds
  for the request's user (CurrentUser reads the Users dataset).
- ``Items.<C>`` reads the item's record (a multi-value categorical string matches when
  one of its ``|``-joined values does); an item without a record matches no condition.
  ``Interactions.EVENT_TYPE`` matches the items the request's user interacted with under
  those event types (``"*"``: any), over the 100 most recent interactions per event type.
- Values: quoted strings, numbers, ``$NAME`` placeholders filled from ``filterValues``
  (each a comma-joined list of JSON-quoted strings, e.g. ``"\\"comedy\\",\\"drama\\""``),
  ``CurrentUser.<C>`` and ``CurrentItem.<C>`` (the request's itemId's record).
  IN/NOT IN compare text exactly (numbers as numbers); ``< <= > >=`` need numbers.
- A placeholder of an INCLUDE part must be given; an EXCLUDE part whose placeholders are
  missing is skipped.
- Promotions: ``percentPromotedItems`` of numResults (rounded down, at least 1) come from
  the items the promotion's filter keeps, in ranked order, at positions drawn by a
  generator seeded with the request (user, item, promotion name): the same request
  always gets the same answer. The request's filter applies only to the other items.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from personalize_reconcile.local.datastore import DatasetStore
from personalize_reconcile.local.exceptions import (
    InvalidInputException,
    ResourceNotFoundException,
)
from personalize_reconcile.rules import filterlang

RECENT_PER_EVENT_TYPE = 100
"""Reference §9: a filter sees the 100 most recent interactions per user per event type."""

_LOCK = threading.Lock()
_PARSED: dict[tuple[str, str], filterlang.Expression] = {}
_DATA: dict[tuple[str, str], tuple[tuple[str, ...], Any]] = {}
_CACHE_SIZE = 64


def dataset_arn(group_arn: str, dataset_type: str) -> str:
    """The ARN of the group's dataset of ``dataset_type`` (reference §1:
    ``dataset/<group name>/<TYPE>``)."""
    return group_arn.replace(":dataset-group/", ":dataset/", 1) + "/" + dataset_type.upper()


def parsed(filter_arn: str, expression: str) -> filterlang.Expression:
    """The expression's tree, parsed once per (filter ARN, expression).

    Raises:
        InvalidInputException: the expression does not parse (CreateFilter refuses such
            expressions, so only a filter stored by an older version can fail here).
    """
    key = (filter_arn, expression)
    hit = _PARSED.get(key)
    if hit is not None:
        return hit
    try:
        tree = filterlang.parse(expression)
    except filterlang.FilterSyntaxError as e:
        raise InvalidInputException(
            f"Filter {filter_arn} has an invalid expression: {e}."
        ) from None
    with _LOCK:
        if len(_PARSED) >= _CACHE_SIZE:
            _PARSED.clear()
        _PARSED[key] = tree
    return tree


def load_filter(store: Any, filter_arn: str, group_arn: str | None) -> filterlang.Expression:
    """The parsed expression of the filter ``filter_arn`` (a row of ``store``).

    Raises:
        ResourceNotFoundException: no such filter (reference §8: 404 at run time).
        InvalidInputException: the filter belongs to another dataset group.
    """
    row = store.get(filter_arn)
    if row is None or row.kind != "filter":
        raise ResourceNotFoundException(f"Filter {filter_arn} does not exist.")
    if group_arn and row.body.get("datasetGroupArn") != group_arn:
        raise InvalidInputException(
            f"Filter {filter_arn} belongs to dataset group {row.body.get('datasetGroupArn')}, "
            f"not to {group_arn}, the group of the campaign or recommender."
        )
    return parsed(filter_arn, str(row.body.get("filterExpression", "")))


def filter_values(values: dict | None, where: str = "filterValues") -> dict[str, list]:
    """Decode ``filterValues``: name -> list of values (str or float).

    Raises:
        InvalidInputException: a value is not a comma-joined list of JSON-quoted strings
            (or numbers); the message names the key and shows the expected form.
    """
    out: dict[str, list] = {}
    for key, raw in (values or {}).items():
        try:
            items = json.loads(f"[{raw}]")
        except ValueError:
            items = None
        if not items or not all(
            isinstance(v, str) or (isinstance(v, int | float) and not isinstance(v, bool))
            for v in items
        ):
            raise InvalidInputException(
                f"{where}[{key}] is {raw!r}: give one or more double-quoted values joined "
                'by commas, e.g. "\\"comedy\\",\\"drama\\"".'
            )
        out[key] = items
    return out


class _Records:
    """One dataset's records by id: ``rows[id] -> {column: value}`` (nulls left out)."""

    def __init__(self, data: Any, id_column: str) -> None:
        self.columns = [f.name for f in data.fields]
        self.rows: dict[str, dict[str, Any]] = {}
        ids = data.columns.get(id_column)
        if ids is None:
            return
        for i, rid in enumerate(ids.tolist()):
            row = {}
            for name in self.columns:
                mask = data.nulls.get(name)
                value = data.columns[name][i]
                if value is None or (mask is not None and mask[i]):
                    continue
                row[name] = value.item() if hasattr(value, "item") else value
            self.rows[str(rid)] = row  # a later record of the same id wins


class _History:
    """Per user: ``(item id, event type)`` of the most recent interactions per event type."""

    def __init__(self, data: Any) -> None:
        self.by_user: dict[str, list[tuple[str, str]]] = {}
        cols = data.columns
        if "USER_ID" not in cols or "ITEM_ID" not in cols:
            return
        users, items = cols["USER_ID"].tolist(), cols["ITEM_ID"].tolist()
        events = cols["EVENT_TYPE"].tolist() if "EVENT_TYPE" in cols else [""] * len(users)
        stamps = cols["TIMESTAMP"].tolist() if "TIMESTAMP" in cols else [0] * len(users)
        grouped: dict[tuple[str, str], list[tuple[int, int, str]]] = defaultdict(list)
        for i, (u, it, ev, ts) in enumerate(zip(users, items, events, stamps, strict=True)):
            grouped[(str(u), str(ev or ""))].append((int(ts), i, str(it)))
        for (user, event), rows in grouped.items():
            recent = sorted(rows)[-RECENT_PER_EVENT_TYPE:]
            self.by_user.setdefault(user, []).extend((it, event) for _, _, it in recent)


def _dataset(state_dir: Path, group_arn: str, dataset_type: str) -> Any:
    """The dataset's records (``_Records`` or ``_History``), rebuilt when its revision
    changes."""
    arn = dataset_arn(group_arn, dataset_type)
    store = DatasetStore(state_dir)
    revision = store.revision(arn)
    key = (str(state_dir), arn)
    hit = _DATA.get(key)
    if hit is not None and hit[0] == revision:
        return hit[1]
    data = store.load(arn)
    if dataset_type == "Interactions":
        built: Any = _History(data)
    else:
        built = _Records(data, "ITEM_ID" if dataset_type == "Items" else "USER_ID")
    with _LOCK:
        if len(_DATA) >= _CACHE_SIZE:
            _DATA.clear()
        _DATA[key] = (revision, built)
    return built


def _values_of(v: Any) -> list:
    """A record's value as the list a condition compares (multi-value strings split)."""
    if v is None:
        return []
    if isinstance(v, str):
        return v.split("|")
    if isinstance(v, bool):
        return ["true" if v else "false"]
    return [v]


def _number(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    x, y = _number(a), _number(b)
    return x is not None and x == y


class _Request:
    """One evaluation: the filter's ARN, its decoded values, the user's and item's
    records, and the state dir."""

    def __init__(
        self,
        state_dir: Path,
        group_arn: str,
        filter_arn: str,
        values: dict[str, list],
        user_id: str | None,
        item_id: str | None,
    ) -> None:
        self.state_dir, self.group_arn, self.filter_arn = state_dir, group_arn, filter_arn
        self.values, self.user_id, self.item_id = values, user_id, item_id

    def data(self, dataset_type: str) -> Any:
        return _dataset(self.state_dir, self.group_arn, dataset_type)

    def operands(self, cond: filterlang.Cond) -> list:
        out: list = []
        for v in cond.values:
            if v.kind == "str":
                out.append(v.text)
            elif v.kind == "num":
                out.append(v.number)
            elif v.kind == "param":
                out.extend(self.values[v.text])
            else:
                ident = self.user_id if v.dataset == "Users" else self.item_id
                row = self.data(v.dataset).rows.get(ident or "", {}) if ident else {}
                out.extend(_values_of(row.get(v.column)))
        if cond.op not in ("IN", "NOT IN"):
            if len(out) > 1:
                raise InvalidInputException(
                    f"Filter {self.filter_arn}: {cond.dataset}.{cond.column} {cond.op} takes "
                    f"one value, not {len(out)}."
                )
            if out and _number(out[0]) is None and cond.op not in ("=", "!="):
                raise InvalidInputException(
                    f"Filter {self.filter_arn}: {cond.dataset}.{cond.column} {cond.op} needs a "
                    f"number, not {out[0]!r}."
                )
        return out

    def holds(self, node: Any, present: list, operands: dict) -> bool:
        """Whether ``node`` holds for a record whose tested column values are given by
        ``present(cond)``; ``operands`` caches each condition's values."""
        if isinstance(node, filterlang.Bool):
            if node.op == "AND":
                return all(self.holds(t, present, operands) for t in node.terms)
            return any(self.holds(t, present, operands) for t in node.terms)
        key = id(node)
        if key not in operands:
            operands[key] = self.operands(node)
        wanted = operands[key]
        have = present(node)
        if node.op == "IN":
            return any(_equal(h, w) for h in have for w in wanted)
        if node.op == "NOT IN":
            return not any(_equal(h, w) for h in have for w in wanted)
        if not wanted or not have:
            return False
        if node.op == "=":
            return any(_equal(h, wanted[0]) for h in have)
        if node.op == "!=":
            return not any(_equal(h, wanted[0]) for h in have)
        x, y = _number(have[0]), _number(wanted[0])
        if x is None or y is None:
            return False
        return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[node.op]

    def matching(self, part: filterlang.Part, item_ids: list[str], operands: dict) -> np.ndarray:
        """Which of ``item_ids`` the part's WHERE condition matches."""
        if part.dataset == "Items":
            rows = self.data("Items").rows

            def column_of(row: dict) -> Any:
                return lambda cond: _values_of(row.get(cond.column))

            return np.array(
                [
                    item in rows and self.holds(part.where, column_of(rows[item]), operands)
                    for item in item_ids
                ],
                dtype=bool,
            )
        if part.dataset == "Interactions":
            history = self.data("Interactions").by_user.get(self.user_id or "", [])
            hit = set()
            for item, event in history:
                if self.holds(part.where, lambda cond, e=event: [e, "*"], operands):
                    hit.add(item)
            return np.array([item in hit for item in item_ids], dtype=bool)
        raise InvalidInputException(
            f"Filter {self.filter_arn} filters items by {part.dataset}; filter items by "
            "Items or Interactions."
        )

    def when(self, part: filterlang.Part, operands: dict) -> bool:
        if part.when is None:
            return True
        row = self.data("Users").rows.get(self.user_id or "") if self.user_id else None
        if row is None:
            return False
        return self.holds(part.when, lambda cond: _values_of(row.get(cond.column)), operands)


def keep(
    state_dir: Path,
    group_arn: str,
    filter_arn: str,
    expression: filterlang.Expression,
    values: dict[str, list],
    item_ids: list[str],
    user_id: str | None = None,
    item_id: str | None = None,
) -> np.ndarray:
    """Which of ``item_ids`` the filter keeps (a ``bool`` array, same order).

    Args:
        state_dir: the local target's state dir (dataset records live under it).
        group_arn: the dataset group whose datasets the filter reads.
        filter_arn: the filter's ARN (for messages).
        expression: the parsed expression (:func:`load_filter`).
        values: decoded ``filterValues`` (:func:`filter_values`).
        item_ids: candidate item ids.
        user_id, item_id: the request's user and item (CurrentUser, Interactions,
            CurrentItem).

    Raises:
        InvalidInputException: a placeholder of an INCLUDE part has no value (reference
            §8), a comparison gets several values or a non-number, the filter is not over
            ItemID, or it filters items by Users/Actions.
    """
    request = _Request(state_dir, group_arn, filter_arn, values, user_id, item_id)
    mask = np.ones(len(item_ids), dtype=bool)
    for part in expression.parts:
        if part.target != "ItemID":
            raise InvalidInputException(
                f"Filter {filter_arn} filters {part.target}; recommendations need a filter "
                "over ItemID."
            )
        missing = [p for p in part.params if p not in values]
        if missing:
            if part.action == "EXCLUDE":
                continue
            names = ", ".join(f"${p}" for p in missing)
            raise InvalidInputException(
                f"Filter {filter_arn} needs filterValues for {names}: every placeholder of "
                "an INCLUDE expression must have a value."
            )
        operands: dict = {}
        if not request.when(part, operands):
            continue
        hits = request.matching(part, item_ids, operands)
        mask &= hits if part.action == "INCLUDE" else ~hits
    return mask


def promotion_count(num_results: int, percent: int) -> int:
    """How many of ``num_results`` a promotion of ``percent`` % fills: rounded down, at
    least 1 (while ``num_results`` > 0)."""
    if num_results <= 0:
        return 0
    return max(1, num_results * percent // 100)


def mix(rest: list, promoted: list, num_results: int, seed: str) -> list[tuple[Any, bool]]:
    """``num_results`` entries: ``promoted`` (already cut to their count) at positions
    drawn by ``random.Random(sha256(seed))``, in their own order, among ``rest`` in its
    order; each entry is ``(value, promoted?)``."""
    total = min(num_results, len(rest) + len(promoted))
    k = min(len(promoted), total)
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
    slots = set(rng.sample(range(total), k)) if k else set()
    out, p, r = [], iter(promoted), iter(rest)
    for i in range(total):
        if i in slots:
            out.append((next(p), True))
        else:
            nxt = next(r, None)
            if nxt is None:
                out.append((next(p), True))
            else:
                out.append((nxt, False))
    return out


def item_metadata(
    state_dir: Path, group_arn: str, item_ids: list[str], columns: list[str]
) -> list[dict[str, str]]:
    """Each item's ``metadata`` map for ``metadataColumns={"ITEMS": columns}``: column ->
    its value as text (numbers as written, booleans ``true``/``false``); nulls and items
    without a record give no entry.

    Raises:
        InvalidInputException: a column the Items dataset does not have; the message lists
            the columns it has.
    """
    records = _dataset(state_dir, group_arn, "Items")
    unknown = [c for c in columns if c not in records.columns]
    if unknown:
        have = ", ".join(c for c in records.columns if c != "ITEM_ID") or "none"
        raise InvalidInputException(
            f"metadataColumns ITEMS names {', '.join(unknown)}, not a column of the Items "
            f"dataset (its columns: {have})."
        )
    out = []
    for item in item_ids:
        row = records.rows.get(item, {})
        meta = {}
        for c in columns:
            if c in row:
                v = row[c]
                if isinstance(v, bool):
                    meta[c] = "true" if v else "false"
                elif isinstance(v, float) and v.is_integer():
                    meta[c] = repr(v)
                else:
                    meta[c] = str(v)
        out.append(meta)
    return out
