"""Read a batch segment job's ``itemAttributes`` expression and find the items it selects.

One job: the small query language of Item-Attribute-Affinity input lines, e.g.
``ITEMS.GENRES = "Comedy"`` or ``ITEMS.GENRES = "Comedy" AND ITEMS.COLOR = "red"``
(developer guide, "Preparing input data for batch recommendations": one
``{"itemAttributes": "..."}`` object per line). Clauses are ``ITEMS.<column> = "<value>"``
joined by ``AND`` and ``OR``; ``AND`` binds tighter; column names are compared without
regard to case, values exactly (a multi-value cell matches when any of its values does).
Callers: ``segments.SegmentModel.users_for_attributes``.
"""

from __future__ import annotations

import re

import numpy as np

from personalize_reconcile.local.training.attributes import AttributeTable

_CLAUSE = re.compile(r'\s*ITEMS\.([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*', re.I)
_JOIN = re.compile(r"(AND|OR)\b\s*", re.I)


class ExpressionError(ValueError):
    """The expression cannot be read, or names a column the model did not train on;
    ``str()`` says what and where."""


def parse(expression: str) -> list[list[tuple[str, str]]]:
    """Parse ``expression`` into OR-ed groups of AND-ed ``(column, value)`` clauses.

    Raises:
        ExpressionError: not of the form ``ITEMS.<column> = "<value>"`` [AND|OR ...];
            the message gives the character position where reading stopped.
    """
    groups: list[list[tuple[str, str]]] = [[]]
    at = 0
    while True:
        clause = _CLAUSE.match(expression, at)
        if not clause:
            raise ExpressionError(
                f'itemAttributes {expression!r}: expected ITEMS.<column> = "<value>" '
                f"at character {at + 1}"
            )
        value = re.sub(r"\\(.)", r"\1", clause.group(2))
        groups[-1].append((clause.group(1), value))
        at = clause.end()
        if at == len(expression):
            return groups
        join = _JOIN.match(expression, at)
        if not join:
            raise ExpressionError(
                f"itemAttributes {expression!r}: expected AND or OR at character {at + 1}"
            )
        if join.group(1).upper() == "OR":
            groups.append([])
        at = join.end()


def matching_items(table: AttributeTable, expression: str) -> np.ndarray:
    """Sorted distinct catalogue indices (``int64``) of the items ``expression`` selects.

    Raises:
        ExpressionError: the expression cannot be read, or names a column that is not
            among ``table.columns`` (the message lists them).
    """
    by_name = {str(c).upper(): i for i, c in enumerate(table.columns.tolist())}
    selected = np.zeros(0, dtype=np.int64)
    for group in parse(expression):
        chosen: np.ndarray | None = None
        for column, value in group:
            col = by_name.get(column.upper())
            if col is None:
                trained = ", ".join(table.columns.tolist()) or "none"
                raise ExpressionError(
                    f"itemAttributes {expression!r}: column {column} is not an attribute "
                    f"this solution version trained on (it trained on: {trained})"
                )
            rows = (table.column == col) & (table.value == value)
            items = np.unique(table.item[rows])
            chosen = items if chosen is None else np.intersect1d(chosen, items)
        if chosen is not None:
            selected = np.union1d(selected, chosen)
    return selected.astype(np.int64)
