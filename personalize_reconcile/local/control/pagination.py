"""List operations: pages of summaries and the nextToken that resumes them.

One job: page through stored resources (or any ordered list) the way every List
operation does: ``maxResults`` (default 100) per page, summaries holding only the
members of the operation's summary shape (botocore model), and an opaque ``nextToken``
bound to the operation and its filter. Callers: the kind modules' List handlers.

Tokens are URL-safe base64 (no padding) of a CRC-32 and the JSON ``[op, key, position]``;
one that was altered, or that belongs to another operation or filter, is refused with
InvalidNextTokenException (reference §2).
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
import zlib
from typing import Any

from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.descriptions import describe
from personalize_reconcile.local.exceptions import InvalidNextTokenException
from personalize_reconcile.rules.shapes import service_model

DEFAULT_PAGE = 100

_SUMMARY_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {}


def summary_fields(op: str) -> tuple[str, tuple[str, ...]]:
    """(result key, summary member names) of a List operation, from the botocore model
    (``ListFilters`` -> ``("Filters", ("name", "filterArn", ...))``)."""
    if op not in _SUMMARY_FIELDS:
        out_shape = service_model("personalize").operation_model(op).output_shape
        key = next(k for k, v in out_shape.members.items() if v.type_name == "list")
        _SUMMARY_FIELDS[op] = (key, tuple(out_shape.members[key].member.members))
    return _SUMMARY_FIELDS[op]


def encode_token(op: str, key: str, position: int) -> str:
    """The nextToken that resumes ``op`` (filtered by ``key``, ``""`` for none) after
    ``position``."""
    raw = json.dumps([op, key, position], separators=(",", ":")).encode()
    crc = zlib.crc32(raw).to_bytes(4, "big")
    return base64.urlsafe_b64encode(crc + raw).decode().rstrip("=")


def decode_token(token: str, op: str, key: str) -> int:
    """The position a nextToken of ``op`` with filter ``key`` resumes after.

    Raises:
        InvalidNextTokenException: the token is malformed, altered, or was issued for
            another operation or filter.
    """
    bad = InvalidNextTokenException("The nextToken is not valid for this request.")
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        crc, raw = data[:4], data[4:]
        if zlib.crc32(raw).to_bytes(4, "big") != crc:
            raise bad
        t_op, t_key, position = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise bad from None
    if t_op != op or t_key != key or not isinstance(position, int):
        raise bad
    return position


def list_page(
    ctx: RequestContext,
    conn: sqlite3.Connection,
    op: str,
    kind: str,
    params: dict,
    filter_key: str | None = None,
) -> dict:
    """One page of List operation ``op`` over the caller's resources of ``kind``, oldest
    first.

    Args:
        ctx: the caller (only its account and region are listed).
        conn: the connection to read with.
        op: the operation name (``ListCampaigns``): picks the result key and summary shape.
        kind: the stored kind (``campaign``).
        params: the request (``nextToken``, ``maxResults`` and the filter member).
        filter_key: the request member that filters (``solutionArn``), if any; it names
            the listed resources' parent.

    Returns:
        ``{<result key>: [summary...], "nextToken"?: str}``.

    Raises:
        InvalidNextTokenException: see :func:`decode_token`.
    """
    result_key, fields = summary_fields(op)
    where = "kind=? AND account=? AND region=?"
    args: tuple = (kind, ctx.account, ctx.region)
    key_value = ""
    if filter_key and params.get(filter_key):
        key_value = params[filter_key]
        where += " AND parent=?"
        args += (key_value,)
    after = 0
    if params.get("nextToken"):
        after = decode_token(params["nextToken"], op, key_value)
    limit = params.get("maxResults") or DEFAULT_PAGE
    rows = ctx.store.select(conn, where + " AND seq>?", args + (after,), limit + 1)
    items = []
    for res in rows[:limit]:
        full = describe(res)
        items.append({k: full[k] for k in fields if k in full})
    out: dict[str, Any] = {result_key: items}
    if len(rows) > limit:
        out["nextToken"] = encode_token(op, key_value, rows[limit - 1].seq)
    return out
