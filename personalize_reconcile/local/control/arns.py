"""ARNs of the local target's resources.

One job: build a resource's ARN from the caller's account and region the way the service
does (reference §1: ``arn:{partition}:personalize:{region}:{account}:{kind}/{name}``).
Callers: the kind modules of ``personalize_reconcile.local.control``.
"""

from __future__ import annotations

from personalize_reconcile.local.control.context import RequestContext


def partition(region: str) -> str:
    """The ARN partition of a region (``aws``, ``aws-cn``, ``aws-us-gov``)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def make_arn(ctx: RequestContext, resource_part: str) -> str:
    """``arn:{partition}:personalize:{region}:{account}:{resource_part}`` (reference §1).

    ``resource_part`` is ``<kind>/<name>`` (``campaign/shop``), or for datasets
    ``dataset/<group name>/<TYPE>`` and for event trackers ``event-tracker/<id>``.
    """
    return f"arn:{partition(ctx.region)}:personalize:{ctx.region}:{ctx.account}:{resource_part}"
