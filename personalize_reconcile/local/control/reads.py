"""The Describe and List operations that every kind answers the same way.

One job: register a kind's ``Describe<Kind>`` (load by ARN, answer its Describe shape
with the kind's computed fields) and ``List<Kinds>`` (one page of summaries, optionally
of one parent) from their names alone, so a kind module writes out only the operations
with rules of their own. Callers: the kind modules, when imported.
"""

from __future__ import annotations

import sqlite3

from personalize_reconcile.local.control import records
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.descriptions import describe
from personalize_reconcile.local.control.pagination import list_page
from personalize_reconcile.local.control.registry import operation


def register_reads(
    kind: str, describe_op: str, list_op: str | None = None, list_filter: str | None = None
) -> None:
    """Register ``describe_op`` and ``list_op`` (both read-only) for stored ``kind``.

    Args:
        kind: the stored kind (``campaign``).
        describe_op: ``Describe<Thing>``; it takes ``<thing>Arn`` and answers
            ``{"<thing>": <Describe shape>}`` (``DescribeCampaign``: ``campaignArn``,
            ``campaign``), or ResourceNotFoundException.
        list_op: ``List<Things>``, answered by ``pagination.list_page``; ``None`` when the
            kind module writes its own.
        list_filter: the List request member naming the parent to list under
            (``solutionArn``), if any.
    """
    noun = describe_op.removeprefix("Describe")
    key = noun[0].lower() + noun[1:]
    arn_member = key + "Arn"

    @operation(describe_op, read_only=True)
    def describe_one(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
        """The resource's Describe shape (ResourceNotFoundException: not the caller's)."""
        res = records.load(ctx, conn, params[arn_member], kind)
        return {key: describe(res, conn, ctx.store)}

    if list_op is None:
        return

    @operation(list_op, read_only=True)
    def list_some(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
        """A page of summaries (InvalidNextTokenException: a token of another request)."""
        return list_page(ctx, conn, list_op, kind, params, list_filter)
