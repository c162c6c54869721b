"""Discovery: resources in the dataset group that the manifest no longer declares.

One job: list the group's datasets, solutions and their campaigns (one List call each:
ListDatasets and ListSolutions per group, ListCampaigns per solution) and the group's
members of every kind with a ``group_list`` (filters, event trackers: one List call per
kind); keep those that are not declared, and read their
tags: only those carrying this manifest's ownership tag become candidates for deletion
(design §4) — and, when ``destroy`` deletes a group the manifest owns, the untagged
filters and event trackers in it too, which the service requires gone before the group's
datasets and the group (reference §3).
Called by :func:`personalize_reconcile.engine.refresh.refresh` and
:mod:`personalize_reconcile.engine.destroy`.
"""

from __future__ import annotations

import re
from typing import Any

from personalize_reconcile.resources import OWNERSHIP_TAG, Context, Desired, Kind, Live, kinds
from personalize_reconcile.resources.solution import PREFIX_MAX
from personalize_reconcile.rules.avro import canonical_dataset_type

_EARLIER = re.compile("-[0-9a-f]{8}")


def _pages(ctx: Context, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in ctx.personalize.get_paginator(operation).paginate(**kwargs):
        out.extend(page.get(key, []))
    return out


def discover(
    ctx: Context,
    desired: dict[str, Desired],
    group_address: str,
    everything: bool = False,
    group_owned: bool = False,
) -> dict[str, tuple[Desired, Live]]:
    """Find the group's datasets, solutions, campaigns, filters and event trackers that
    ``desired`` lacks.

    Args:
        ctx: the refreshed context (the group's ARN must be known, else nothing is found).
        desired: the declared resources.
        group_address: the dataset group's address.
        everything: also return declared ones (for ``destroy``).
        group_owned: the group itself carries this manifest's ownership tag and is being
            deleted (``destroy``): its filters and event trackers are returned even
            without the tag, since the group cannot be deleted while they exist.

    Returns:
        address -> (a stand-in :class:`Desired` with the dependencies a delete must
        respect and, in ``note``, why it is deleted; the :class:`Live` resource with its
        tags read), only for resources tagged ``preconcile:manifest=<this manifest>``
        (and the untagged filters and event trackers of an owned group).
    """
    group_arn = ctx.arns.get(group_address)
    if group_arn is None:
        return {}
    found: dict[str, tuple[Desired, Live]] = {}
    group_name = group_arn.rsplit("/", 1)[-1]
    # a declared resource read under another name (the group's one event tracker)
    declared_arns = {ctx.arns[a] for a in desired if a in ctx.arns}

    def keep(
        address: str,
        kind: str,
        name: str,
        arn: str,
        raw: dict,
        deps: list[str],
        blocks: Kind | None = None,
    ) -> None:
        if not everything and (address in desired or arn in declared_arns):
            return
        tags = ctx.read_tags(arn)
        if tags.get(OWNERSHIP_TAG) == ctx.manifest_name:
            note = "managed by this manifest"
        elif blocks is not None and group_owned:
            types = blocks.blocks_dataset_types
            datasets = "datasets" if types is None else f"{' and '.join(types)} dataset"
            note = (
                f"in dataset group {group_name}, which this manifest manages and deletes; "
                f"the group's {datasets} and the group cannot be deleted while it exists"
            )
        else:
            return
        stand_in = Desired(
            address,
            kind,
            name,
            {},
            depends_on=deps,
            note=note,
            extra={"undeclared": address not in desired},
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
        s_address = _solution_address(ctx, desired, sol)
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
    for kind, member in group_members(ctx, group_arn):
        keep(
            f"{kind.kind}.{member['name']}",
            kind.kind,
            member["name"],
            member[kind.arn_key],
            member,
            [group_address] + dataset_addresses,
            blocks=kind,
        )
    return found


def _solution_address(ctx: Context, desired: dict[str, Desired], sol: dict[str, Any]) -> str:
    """``solution.<entry>`` for the live solution of a declared entry, whatever its
    physical name; ``solution.<entry>#<name>`` for an earlier one of that entry that a
    new-one-first replacement left (an interrupted apply); else ``solution.<name>`` (also
    for ``destroy``, which reads no solution first)."""
    name = sol["name"]
    for address, d in desired.items():
        live_arn = ctx.arns.get(address)
        if d.kind != "solution" or live_arn is None:
            continue
        if live_arn == sol["solutionArn"]:
            return address
        prefix = address.split(".", 1)[1][:PREFIX_MAX]
        if name == address.split(".", 1)[1] or (
            name.startswith(prefix) and _EARLIER.fullmatch(name[len(prefix) :])
        ):
            return f"{address}#{name}"
    return f"solution.{name}"


def group_members(ctx: Context, group_arn: str) -> list[tuple[Kind, dict[str, Any]]]:
    """``(kind, List summary)`` of every filter, event tracker and other resource of a kind
    with a ``group_list`` in the dataset group ``group_arn`` (one List call per kind)."""
    out = []
    for kind in kinds().values():
        if kind.group_list is not None:
            operation, key = kind.group_list
            out += [(kind, m) for m in _pages(ctx, operation, key, datasetGroupArn=group_arn)]
    return out
