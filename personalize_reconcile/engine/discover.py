"""Discovery: resources in the dataset group that the manifest no longer declares.

One job: list the group's datasets, solutions and their campaigns (one List call each:
ListDatasets and ListSolutions per group, ListCampaigns per solution), keep those that
are not declared, and read their tags: only those carrying this manifest's ownership tag
become candidates for deletion (design §4). Called by
:func:`personalize_reconcile.engine.refresh.refresh`.
"""

from __future__ import annotations

from typing import Any

from personalize_reconcile.resources import OWNERSHIP_TAG, Context, Desired, Live
from personalize_reconcile.rules.avro import canonical_dataset_type


def _pages(ctx: Context, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in ctx.personalize.get_paginator(operation).paginate(**kwargs):
        out.extend(page.get(key, []))
    return out


def discover(
    ctx: Context, desired: dict[str, Desired], group_address: str, everything: bool = False
) -> dict[str, tuple[Desired, Live]]:
    """Find the group's datasets, solutions and campaigns that ``desired`` lacks.

    Args:
        ctx: the refreshed context (the group's ARN must be known, else nothing is found).
        desired: the declared resources.
        group_address: the dataset group's address.
        everything: also return declared ones (for ``destroy``).

    Returns:
        address -> (a stand-in :class:`Desired` with the dependencies a delete must
        respect, the :class:`Live` resource with its tags read), only for resources
        tagged ``preconcile:manifest=<this manifest>``.
    """
    group_arn = ctx.arns.get(group_address)
    if group_arn is None:
        return {}
    found: dict[str, tuple[Desired, Live]] = {}

    def keep(address: str, kind: str, name: str, arn: str, raw: dict, deps: list[str]) -> None:
        if address in desired and not everything:
            return
        tags = ctx.read_tags(arn)
        if tags.get(OWNERSHIP_TAG) != ctx.manifest_name:
            return
        stand_in = Desired(
            address, kind, name, {}, depends_on=deps, extra={"undeclared": address not in desired}
        )
        found[address] = (stand_in, Live(arn, raw.get("status", "ACTIVE"), {}, raw, tags=tags))

    datasets = _pages(ctx, "list_datasets", "datasets", datasetGroupArn=group_arn)
    solutions = _pages(ctx, "list_solutions", "solutions", datasetGroupArn=group_arn)
    dataset_addresses = []
    for ds in datasets:
        dtype = canonical_dataset_type(ds.get("datasetType", "")) or ds.get("datasetType")
        address = f"dataset.{dtype}"
        dataset_addresses.append(address)
        keep(address, "dataset", ds["name"], ds["datasetArn"], ds, [group_address])
    for sol in solutions:
        s_address = f"solution.{sol['name']}"
        keep(s_address, "solution", sol["name"], sol["solutionArn"], sol, [group_address])
        for camp in _pages(ctx, "list_campaigns", "campaigns", solutionArn=sol["solutionArn"]):
            keep(
                f"campaign.{camp['name']}",
                "campaign",
                camp["name"],
                camp["campaignArn"],
                camp,
                [s_address] + dataset_addresses,
            )
    return found
