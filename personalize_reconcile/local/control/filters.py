"""Filters: CreateFilter, DescribeFilter, ListFilters, DeleteFilter.

One job: the rules of a group's filters: the group must exist, the expression must start
``INCLUDE|EXCLUDE ItemID|UserID|ActionID WHERE`` and parse (``rules.filterlang``, the
grammar the runtime evaluates with ``local.filtering``; a refusal names the character
position), at most :data:`FILTERS_PER_GROUP`. Callers: ``control.call``.

Sources: reference §1 (ARN), §2 (``ListFilters`` answers ``Filters``), §9 (quota).
"""

from __future__ import annotations

import re
import sqlite3

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.arns import make_arn
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.reads import register_reads
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import InvalidInputException, LimitExceededException
from personalize_reconcile.rules import filterlang

KIND = "filter"
FILTERS_PER_GROUP = 30
"""Reference §9, the documented default quota."""

_FILTER_RE = re.compile(
    r"\s*(INCLUDE|EXCLUDE)\s+(ItemID|UserID|ActionID)\s+WHERE\s+\S.*", re.DOTALL
)

# Describe (and List) answer the stored shape; see reads.py.
register_reads(KIND, "DescribeFilter", "ListFilters", "datasetGroupArn")


@operation("CreateFilter")
def create_filter(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """CreateFilter: the group must exist; the expression must start
    ``INCLUDE|EXCLUDE ItemID|UserID|ActionID WHERE`` and parse
    (``rules.filterlang.parse``); at most 30 per group.

    Raises:
        InvalidInputException: the expression's form, e.g. ``Invalid filter expression at
            position 34: expected IN, NOT IN or a comparison (=, !=, <, <=, >, >=),
            found "LIKE".``
        LimitExceededException: the group has 30 filters (reference §9).
    """
    group = records.load(ctx, conn, params["datasetGroupArn"], "dataset-group")
    expr = params["filterExpression"]
    if not _FILTER_RE.fullmatch(expr):
        raise InvalidInputException(
            "Invalid filter expression: it must start with INCLUDE or EXCLUDE, then "
            "ItemID, UserID or ActionID, then WHERE and a condition."
        )
    try:
        filterlang.parse(expr)
    except filterlang.FilterSyntaxError as e:
        raise InvalidInputException(f"Invalid filter expression {e}.") from None
    if records.count(conn, "kind='filter' AND grp=?", (group.arn,)) >= FILTERS_PER_GROUP:
        raise LimitExceededException(
            f"Dataset group {group.arn} already has {FILTERS_PER_GROUP} filters, the limit."
        )
    arn = make_arn(ctx, f"filter/{params['name']}")
    body = {
        "name": params["name"],
        "filterArn": arn,
        "datasetGroupArn": group.arn,
        "filterExpression": expr,
    }
    records.create_under(ctx, conn, group, KIND, arn, body, params)
    return {"filterArn": arn}


@operation("DeleteFilter")
def delete_filter(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """DeleteFilter (no dependents)."""
    records.delete(ctx, conn, records.load(ctx, conn, params["filterArn"], KIND))
    return {}
