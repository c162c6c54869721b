"""Destroy: plan the deletion of everything a manifest manages.

One job: find what to delete — the group's datasets, solutions and campaigns that carry the
manifest's ownership tag, the dataset group itself when it carries the tag, and the
schemas the manifest declares (schemas cannot be tagged; the service refuses to delete one
that another dataset still uses) — and return it as a plan of deletes that
:class:`~personalize_reconcile.engine.apply.Applier` carries out in reverse dependency
order (reference §3: campaigns, solutions, datasets, schemas, dataset group). Import jobs
and solution versions go with their dataset and solution. Called by the CLI.
"""

from __future__ import annotations

import re

from personalize_reconcile.backends.target import Target
from personalize_reconcile.engine import Prepared
from personalize_reconcile.engine import desired as _desired
from personalize_reconcile.engine.discover import discover
from personalize_reconcile.engine.plan import Plan
from personalize_reconcile.engine.planner import delete_change
from personalize_reconcile.engine.refresh import refresh
from personalize_reconcile.manifest import LoadedManifest
from personalize_reconcile.resources import OWNERSHIP_TAG, Context, Desired, Live, kinds

_EVOLVED = re.compile(r"-[0-9a-f]{8}")


def prepare_destroy(loaded: LoadedManifest, target: Target, manifest_path: str) -> Prepared:
    """Refresh and plan the deletion of everything ``loaded`` manages on ``target``.

    Raises:
        botocore.exceptions.ClientError / BotoCoreError: a read failed.
    """
    declared = _desired.build(loaded)
    all_kinds = kinds()
    ctx = Context(target.personalize, target.objects, loaded.manifest.name, loaded.base_dir)
    ctx.region = target.region
    if target.account:
        ctx.account = target.account
    live = refresh(
        ctx,
        {a: d for a, d in declared.items() if d.kind in ("dataset_group", "dataset", "schema")},
        all_kinds,
    )
    group = next(a for a, d in declared.items() if d.kind == "dataset_group")
    found = discover(ctx, declared, group, everything=True)
    targets: dict[str, tuple[Desired, Live]] = {}
    dataset_addresses = [a for a, (d, _) in found.items() if d.kind == "dataset"]
    for address, (stand_in, live_one) in found.items():
        if stand_in.kind == "dataset" and address in declared:
            schema = declared[address].depends_on[1]
            stand_in.depends_on = [group, schema]
        targets[address] = (stand_in, live_one)
    group_live = live.get(group)
    if group_live is not None:
        tags = ctx.read_tags(group_live.arn)
        if tags.get(OWNERSHIP_TAG) == ctx.manifest_name:
            targets[group] = (Desired(group, "dataset_group", declared[group].name, {}), group_live)
    bases = {a.split(".", 1)[1]: a for a, d in declared.items() if d.kind == "schema"}
    # Every schema of the manifest: the one under its own name and the evolved
    # "<name>-<8 hex>" ones that compatible changes created (one ListSchemas walk).
    for page in ctx.personalize.get_paginator("list_schemas").paginate():
        for summary in page.get("schemas", []):
            name = summary["name"]
            base = name if name in bases else name[:-9]
            if base not in bases or (name != base and not _EVOLVED.fullmatch(name[len(base) :])):
                continue
            address = bases[base]
            used = live.get(address)
            key = (
                address
                if used is not None and used.arn == summary["schemaArn"]
                else (f"{address}#{name}")
            )
            targets[key] = (Desired(key, "schema", name, {}), all_kinds["schema"].live(summary, {}))
    plan = Plan(
        target=target.name,
        region=target.region,
        manifest=manifest_path,
        manifest_name=loaded.manifest.name,
    )
    order = ("campaign", "solution", "dataset", "schema", "dataset_group")
    stand_ins: dict[str, Desired] = {}
    for kind in order:
        for address, (stand_in, live_one) in targets.items():
            if stand_in.kind == kind:
                change = delete_change(stand_in, live_one)
                change.reason = "managed by this manifest"
                plan.changes.append(change)
                stand_ins[address] = stand_in
                ctx.live[address] = live_one
    for address in dataset_addresses:
        stand_ins.setdefault(address, Desired(address, "dataset", "", {}))
    return Prepared(plan, ctx, stand_ins, all_kinds)
