"""Destroy: plan the deletion of everything a manifest manages.

One job: find what to delete — the group's datasets, solutions, campaigns, filters and
event trackers that carry the manifest's ownership tag, the dataset group itself when it
carries the tag, and the schemas the manifest declares that a dataset carrying the tag
uses (schemas cannot be tagged) unless a dataset that stays still uses one — and return
it as a plan of deletes that :class:`~personalize_reconcile.engine.apply.Applier` carries
out in reverse dependency order, waiting out each delete (reference §3: campaigns,
filters, event trackers, solutions, datasets, schemas, dataset group). Import jobs and
solution versions go with their dataset and solution.

Nothing without the tag is deleted unless ``destroy --adopt`` is given (issue 11): the
untagged filters and event trackers of an owned group (which the service requires gone
before the group's datasets and the group), and declared schemas no dataset of the
manifest uses. What is kept is reported in
:attr:`~personalize_reconcile.engine.Prepared.notes`: a schema naming the dataset groups
that use it, or saying that nothing shows it is the manifest's; a dataset or group naming
what blocks it; batch jobs, which the service cannot delete, with the runs that stay.
Called by the CLI.
"""

from __future__ import annotations

import re

from personalize_reconcile.backends.target import Target
from personalize_reconcile.engine import Prepared
from personalize_reconcile.engine import desired as _desired
from personalize_reconcile.engine.discover import discover, group_members
from personalize_reconcile.engine.ownership import earlier_schema_arns, owned_schema_arns
from personalize_reconcile.engine.plan import Plan
from personalize_reconcile.engine.planner import delete_change
from personalize_reconcile.engine.refresh import refresh
from personalize_reconcile.manifest import LoadedManifest
from personalize_reconcile.resources import OWNERSHIP_TAG, Context, Desired, Kind, Live, kinds

_EVOLVED = re.compile(r"-[0-9a-f]{8}")


def prepare_destroy(
    loaded: LoadedManifest, target: Target, manifest_path: str, adopt: bool = False
) -> Prepared:
    """Refresh and plan the deletion of everything ``loaded`` manages on ``target``.

    Nothing that is not this manifest's is deleted unless ``adopt`` is given (issue 11):
    without it, the filters and event trackers without the ownership tag in a dataset
    group the manifest owns are kept, and with them what the service cannot delete while
    they exist (the datasets they block and the group), and a declared schema that no
    dataset tagged by the manifest uses is kept; each with a note in
    :attr:`~personalize_reconcile.engine.Prepared.notes`. With ``adopt`` they are deleted
    too. A schema that any dataset that stays uses is always kept.

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
    group_live = live.get(group)
    owner = ctx.read_tags(group_live.arn).get(OWNERSHIP_TAG) if group_live is not None else None
    owned = group_live is not None and owner == ctx.manifest_name
    found = discover(ctx, declared, group, everything=True, group_owned=owned and adopt)
    targets: dict[str, tuple[Desired, Live]] = {}
    dataset_addresses = [a for a, (d, _) in found.items() if d.kind == "dataset"]
    for address, (stand_in, live_one) in found.items():
        if stand_in.kind == "dataset" and address in declared:
            schema = declared[address].depends_on[1]
            stand_in.depends_on = [group, schema]
        targets[address] = (stand_in, live_one)
    if owned and group_live is not None:
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
    notes = [] if owned and adopt else _keep_blocked_datasets(ctx, targets, group, owned)
    if group_live is not None and not owned:
        notes.insert(0, _foreign_group_note(ctx, group, owner))
    notes += _keep_used_schemas(ctx, targets, all_kinds["dataset"])
    notes += _foreign_schemas(ctx, targets, declared, adopt)
    notes += [
        note
        for d in declared.values()
        if (note := all_kinds[d.kind].kept_by_destroy(ctx, d)) is not None
    ]
    plan = Plan(
        target=target.name,
        region=target.region,
        manifest=manifest_path,
        manifest_name=loaded.manifest.name,
    )
    stand_ins: dict[str, Desired] = {}
    for kind in reversed(all_kinds):
        # by address within a kind: what apply created side by side is listed in the same
        # order whatever order the service returns it in
        for address, (stand_in, live_one) in sorted(targets.items()):
            if stand_in.kind == kind:
                change = delete_change(stand_in, live_one)
                change.reason = stand_in.note or "managed by this manifest"
                plan.changes.append(change)
                stand_ins[address] = stand_in
                ctx.live[address] = live_one
    for address in dataset_addresses:
        stand_ins.setdefault(address, Desired(address, "dataset", "", {}))
    return Prepared(plan, ctx, stand_ins, all_kinds, notes)


def _foreign_group_note(ctx: Context, group: str, owner: str | None) -> str:
    """The note for a dataset group that exists under the manifest's name but does not
    carry this manifest's ownership tag (``owner``: the tag's value, ``None`` when it has
    none), which destroy keeps, with everything in it: what it carries and how to delete
    it."""
    tag = f"{OWNERSHIP_TAG}={ctx.manifest_name}"
    if owner is None:
        return (
            f"Kept {group}: it exists without the tag {tag}, so nothing shows it is this "
            "manifest's, and destroy deletes only what carries the tag. If it is this "
            "manifest's, tag it with apply --adopt, then run destroy again."
        )
    return (
        f"Kept {group}: it carries the tag {OWNERSHIP_TAG}={owner} of another manifest "
        f"(this manifest's name is {ctx.manifest_name}), and destroy deletes only what "
        f"carries this manifest's tag. To delete it, run destroy with the manifest named "
        f"{owner}, or set `name: {owner}` in this one."
    )


def _keep_blocked_datasets(
    ctx: Context, targets: dict[str, tuple[Desired, Live]], group: str, owned: bool = False
) -> list[str]:
    """Take out of ``targets`` every dataset that a filter or event tracker this destroy
    keeps (one not tagged by the manifest) stops the service from deleting, and, when such
    a filter or event tracker exists, the dataset group (``owned``: it carries the
    manifest's tag, but destroy runs without ``--adopt``; reference §3). One List call per
    such kind.

    Returns:
        one note per kept dataset (and for the kept group), naming what blocks it and how
        to unblock it.
    """
    arn = ctx.arns.get(group)
    if arn is None:
        return []
    notes = []
    blockers = [
        (kind, member["name"])
        for kind, member in group_members(ctx, arn)
        if f"{kind.kind}.{member['name']}" not in targets
    ]
    hint = (
        f"Delete them, tag them {OWNERSHIP_TAG}={ctx.manifest_name}, or run destroy with "
        "--adopt to delete them too"
        if owned
        else f"Delete them, or tag them {OWNERSHIP_TAG}={ctx.manifest_name}, and run destroy again"
    )
    for address, (stand_in, _) in list(targets.items()):
        if stand_in.kind != "dataset":
            continue
        dtype = address.split(".", 1)[1]
        blocking = [
            f"{kind.title} {name}"
            for kind, name in blockers
            if kind.blocks_dataset_types is None or dtype in kind.blocks_dataset_types
        ]
        if blocking:
            del targets[address]
            notes.append(
                f"Kept {address}: the service deletes it only once these are gone, and this "
                f"manifest does not manage them: {', '.join(blocking)}. {hint}."
            )
    if blockers and group in targets:
        del targets[group]
        names = ", ".join(f"{kind.title} {name}" for kind, name in blockers)
        notes.append(
            f"Kept {group}: the service deletes it only once these are gone, and this "
            f"manifest does not manage them: {names}. {hint}."
        )
    return notes


def _foreign_schemas(
    ctx: Context,
    targets: dict[str, tuple[Desired, Live]],
    declared: dict[str, Desired],
    adopt: bool,
) -> list[str]:
    """Take out of ``targets`` every schema that no dataset tagged by this manifest uses,
    and that is not one such a dataset used before a compatible change: schemas carry no
    tags (reference §2), so nothing shows it is this manifest's (see
    :mod:`personalize_reconcile.engine.ownership`). With ``adopt``, keep them in
    ``targets`` and say why in their reason instead.

    Returns:
        one note per kept schema: ``Kept schema <name>: no dataset tagged
        preconcile:manifest=<m> uses it, and schemas carry no tags, so it may not be this
        manifest's. If it is, delete it (<ARN>), or run destroy with --adopt.``
    """
    owned = owned_schema_arns(ctx, declared) | _schemas_of_deleted_datasets(ctx, targets, declared)
    schemas = [live for d, live in targets.values() if d.kind == "schema"]
    owned |= earlier_schema_arns(ctx, declared, [s for s in schemas if s.arn not in owned])
    notes = []
    for address, (stand_in, live) in list(targets.items()):
        if stand_in.kind != "schema" or live.arn in owned:
            continue
        if adopt:
            stand_in.note = (
                f"no dataset tagged {OWNERSHIP_TAG}={ctx.manifest_name} uses it; deleted "
                "because of --adopt"
            )
            continue
        del targets[address]
        notes.append(
            f"Kept schema {stand_in.name}: no dataset tagged {OWNERSHIP_TAG}="
            f"{ctx.manifest_name} uses it, and schemas carry no tags, so it may not be this "
            f"manifest's. If it is, delete it ({live.arn}), or run destroy with --adopt."
        )
    return sorted(notes)


def _schemas_of_deleted_datasets(
    ctx: Context, targets: dict[str, tuple[Desired, Live]], declared: dict[str, Desired]
) -> set[str]:
    """The schema ARNs of the datasets this destroy deletes that the manifest no longer
    declares (found by their ownership tag; one DescribeDataset each, since ListDatasets
    does not give the schema): those schemas are this manifest's as much as a declared
    dataset's are, and each is deleted after its dataset."""
    schema_address = {live.arn: a for a, (d, live) in targets.items() if d.kind == "schema"}
    out: set[str] = set()
    for address, (stand_in, live) in targets.items():
        if stand_in.kind != "dataset" or address in declared:
            continue
        arn = ctx.personalize.describe_dataset(datasetArn=live.arn)["dataset"].get("schemaArn")
        if arn:
            out.add(arn)
            if arn in schema_address:  # the schema goes after the dataset
                stand_in.depends_on = [*stand_in.depends_on, schema_address[arn]]
    return out


def _keep_used_schemas(
    ctx: Context, targets: dict[str, tuple[Desired, Live]], datasets: Kind
) -> list[str]:
    """Take out of ``targets`` every schema that a dataset outside ``targets`` uses (as
    its schema, or in an update not yet ACTIVE): the service refuses to delete a schema
    any dataset of any group references (reference §3). Reads ListDatasets for the
    account and one DescribeDataset per dataset that stays, only when a schema is to be
    deleted.

    Returns:
        one note per kept schema: ``Kept schema <name>: dataset group <g> still uses it.``
        (``dataset groups <g1>, <g2> still use it.`` for several).
    """
    schemas = {live.arn: a for a, (d, live) in targets.items() if d.kind == "schema"}
    if not schemas:
        return []
    deleted = {live.arn for _, live in targets.values()}
    users: dict[str, set[str]] = {}
    for page in ctx.personalize.get_paginator("list_datasets").paginate():
        for summary in page.get("datasets", []):
            if summary["datasetArn"] in deleted:
                continue
            raw = datasets.describe(ctx, summary["datasetArn"]) or {}
            pending = raw.get("latestDatasetUpdate") or {}
            used = {raw.get("schemaArn")}
            if pending.get("status") != "ACTIVE":
                used.add(pending.get("schemaArn"))
            group = (raw.get("datasetGroupArn") or "").rsplit("/", 1)[-1]
            for arn in used & schemas.keys():
                users.setdefault(arn, set()).add(group)
    notes = []
    for arn, groups in users.items():
        stand_in, _ = targets.pop(schemas[arn])
        names = ", ".join(sorted(groups))
        which = (
            f"dataset groups {names} still use"
            if len(groups) > 1
            else (f"dataset group {names} still uses")
        )
        notes.append(f"Kept schema {stand_in.name}: {which} it.")
    return sorted(notes)
