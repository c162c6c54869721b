"""The grammar of a metric attribution's metric expressions.

One job: tell what a metric ``expression`` computes (reference §2, MetricAttribution; the
developer guide's CreateMetricAttribution page: ``SAMPLECOUNT()`` counts the events of the
metric's event type, ``SUM(<Interactions|Items>.<COLUMN>)`` sums a numeric column of that
dataset, e.g. ``SUM(Items.PRICE)``). Plain functions, no I/O. Callers: the manifest's
metric attribution checks.
"""

from __future__ import annotations

import re

EXPRESSION = re.compile(r"\s*(?:SAMPLECOUNT\(\s*\)|SUM\(\s*(\w+)\.(\w+)\s*\))\s*")
"""``SAMPLECOUNT()`` or ``SUM(<dataset>.<column>)``, spaces allowed around the parts."""

SUMMABLE = ("Interactions", "Items")
"""The datasets a metric may sum over."""

NUMERIC_TYPES = frozenset({"int", "long", "float", "double"})
"""Avro types a SUM may add up."""

MAX_METRICS = 10
"""Reference §9: at most 10 metrics per attribution."""


def parse_expression(expression: str) -> tuple[str, str]:
    """``(dataset, column)`` of a ``SUM(...)``, ``("", "")`` for ``SAMPLECOUNT()``.

    Raises:
        ValueError: the expression is neither (the message says what is accepted).
    """
    found = EXPRESSION.fullmatch(expression)
    if found is None:
        raise ValueError(
            f"expression {expression!r} is neither SAMPLECOUNT() nor "
            "SUM(<Interactions|Items>.<COLUMN>)"
        )
    if found.group(1) is None:
        return ("", "")
    return (found.group(1), found.group(2))
