"""Tags: TagResource, UntagResource, ListTagsForResource, and the tag rules that Create
operations share.

One job: the tag rules of reference §3 and §9: at most :data:`TAGS_PER_RESOURCE` tags per
resource, no key with the reserved ``aws:`` prefix, no tag changes while a resource is
being deleted; schemas take no tags. Callers: ``control.call`` (the three operations) and
``records.create`` (tags given at creation).
"""

from __future__ import annotations

import sqlite3

from personalize_reconcile.local.config import KINDS
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.errors import not_found
from personalize_reconcile.local.control.registry import operation
from personalize_reconcile.local.exceptions import (
    InvalidInputException,
    ResourceInUseException,
    TooManyTagKeysException,
    TooManyTagsException,
)
from personalize_reconcile.local.statuses import DELETING
from personalize_reconcile.local.store import Resource

TAGS_PER_RESOURCE = 50
"""Reference §9, the documented default quota."""

TAGGABLE = tuple(kind for kind in KINDS if kind != "schema")
"""Kinds that carry tags (every kind but schemas)."""


def tag_pairs(tags: list[dict] | None) -> list[tuple[str, str]]:
    """``[{"tagKey": k, "tagValue": v}]`` (the request shape) as ``[(k, v)]``."""
    return [(t["tagKey"], t["tagValue"]) for t in tags or []]


def check_tags(tags: list[tuple[str, str]], existing: int = 0) -> None:
    """Refuse ``tags`` for a resource that keeps ``existing`` other tag keys.

    Raises:
        InvalidInputException: a key starts with ``aws:`` (any case).
        TooManyTagsException: more than :data:`TAGS_PER_RESOURCE` keys in all.
    """
    for key, _ in tags:
        if key.lower().startswith("aws:"):
            raise InvalidInputException(f"Tag key {key!r} uses the reserved prefix 'aws:'.")
    keys = {k for k, _ in tags}
    if len(keys) + existing > TAGS_PER_RESOURCE:
        raise TooManyTagsException(f"A resource can have at most {TAGS_PER_RESOURCE} tags.")


def _taggable(ctx: RequestContext, conn: sqlite3.Connection, arn: str) -> Resource:
    res = ctx.store.get(arn, conn)
    if res is None or res.account != ctx.account or res.region != ctx.region:
        raise not_found(arn)
    if res.kind not in TAGGABLE:
        raise InvalidInputException(f"Resource {arn} does not support tags.")
    return res


@operation("TagResource")
def tag_resource(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """TagResource: at most 50 tags per resource; keys starting ``aws:`` refused."""
    res = _taggable(ctx, conn, params["resourceArn"])
    if res.status in DELETING:
        raise ResourceInUseException(f"Resource Arn {res.arn} is being deleted.")
    new = tag_pairs(params["tags"])
    existing = {k for k, _ in ctx.store.tags(res.arn, conn)}
    check_tags(new, len(existing - {k for k, _ in new}))
    ctx.store.set_tags(conn, res.arn, new)
    return {}


@operation("UntagResource")
def untag_resource(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """UntagResource: at most 50 keys per request (TooManyTagKeysException)."""
    res = _taggable(ctx, conn, params["resourceArn"])
    keys = params["tagKeys"]
    if len(keys) > TAGS_PER_RESOURCE:
        raise TooManyTagKeysException(
            f"At most {TAGS_PER_RESOURCE} tag keys can be removed at once."
        )
    if res.status in DELETING:
        raise ResourceInUseException(f"Resource Arn {res.arn} is being deleted.")
    ctx.store.drop_tags(conn, res.arn, keys)
    return {}


@operation("ListTagsForResource", read_only=True)
def list_tags_for_resource(ctx: RequestContext, conn: sqlite3.Connection, params: dict) -> dict:
    """ListTagsForResource."""
    res = _taggable(ctx, conn, params["resourceArn"])
    return {"tags": [{"tagKey": k, "tagValue": v} for k, v in ctx.store.tags(res.arn, conn)]}
