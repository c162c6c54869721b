"""Ownership: which existing resources are this manifest's, and what a plan may do to the
others (design §4; issue 11: never delete what it does not own).

One job: after planning, mark every change to a resource that exists but is not this
manifest's, and refuse the ones the flags given do not allow. A resource is this
manifest's when it carries the tag ``preconcile:manifest=<manifest name>``; a schema, which
cannot carry tags (reference §2), when a dataset carrying that tag uses it (its
``schemaArn``, or the schema of its update in progress). Anything else under a name the
manifest uses is foreign:

- equal to the manifest: used as it is. Without ``--adopt`` a taggable one stays a no-op
  and is counted in :attr:`Plan.untagged` (plan prints one note: ``apply --adopt`` tags
  them), so a manifest written by ``preconcile export`` plans "No changes"; with
  ``--adopt`` it becomes an in-place update that only adds the ownership tag
  (``adopting``). A schema is simply used (a no-op that says so).
- different: ``adopt`` is set; :func:`refuse_foreign` refuses it unless ``--adopt`` is
  given, and, when it would be replaced (deleted), unless ``--allow-replace`` is given too.

A resource that carries another manifest's ownership tag is never adopted silently: taking
it over changes that tag, so it counts as different.

For ``destroy``, a schema the manifest used before a compatible change moved its dataset
to ``<name>-<8 hex>`` is the manifest's too (:func:`earlier_schema_arns`).

Callers: :func:`personalize_reconcile.engine.prepare` (:func:`mark`), ``cli.py`` (``plan``
and ``apply``, through the engine), :func:`personalize_reconcile.engine.apply.
check_allowed` (:func:`refuse_foreign`) and ``engine/destroy.py`` (the schema rules).
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from personalize_reconcile.engine.plan import NOOP, UPDATE, Change, FieldChange, Plan
from personalize_reconcile.resources import OWNERSHIP_TAG, UNKNOWN, Context, Desired, Kind, Live
from personalize_reconcile.resources.dataset import DatasetKind
from personalize_reconcile.resources.fingerprint import short
from personalize_reconcile.resources.normalize import canonical, parse_json
from personalize_reconcile.resources.schema import SchemaKind

_EVOLVED = re.compile("-[0-9a-f]{8}")


class ForeignRefused(Exception):
    """The plan changes resources that exist but are not this manifest's and differ from
    it, without the flags that allow it (``--adopt``; to replace one, ``--adopt`` and
    ``--allow-replace``).

    Attributes:
        problems: one block per resource: the address and ARN, why it is not this
            manifest's, each differing field as ``path: before -> after``, and the flags
            that allow the change.

    ``str()`` is the whole message: that nothing was changed, then the blocks.
    """

    def __init__(self, problems: list[str]):
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "refusing to change what this manifest does not own; nothing was changed:\n" + (
            "\n".join(self.problems)
        )


def mark(
    ctx: Context,
    plan: Plan,
    kinds: dict[str, Kind],
    desired: dict[str, Desired],
    workers: int = 8,
    adopt: bool = False,
) -> None:
    """Mark the changes of ``plan`` whose live resource is not this manifest's (see the
    module docstring): set ``foreign`` (why), and either ``adopting`` (equal: adopt it;
    for a taggable resource only with ``adopt``, else it is left a no-op and its address
    added to ``plan.untagged``) or ``adopt`` (different: the flags decide). Reads
    ListTagsForResource for every existing resource of a taggable kind whose tags
    refresh did not read (in parallel), and stores them in its
    :class:`~personalize_reconcile.resources.Live`.

    Raises:
        botocore.exceptions.ClientError / BotoCoreError: a read failed.
    """
    changes = [c for c in plan.changes if _existing(ctx, c, kinds)]
    unread = [
        ctx.live[c.address]
        for c in changes
        if kinds[c.type].taggable and ctx.live[c.address].tags is None
    ]
    if unread:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tags") as pool:
            for live, tags in zip(
                unread, pool.map(lambda x: ctx.read_tags(x.arn), unread), strict=True
            ):
                live.tags = tags
    schemas = owned_schema_arns(ctx, desired)
    for c in changes:
        kind, live = kinds[c.type], ctx.live[c.address]
        owner = None
        if kind.taggable:
            owner = (live.tags or {}).get(OWNERSHIP_TAG)
            if owner == ctx.manifest_name:
                continue
            c.foreign = (
                f"it exists without the tag {OWNERSHIP_TAG}={ctx.manifest_name}"
                if owner is None
                else f"it carries the tag {OWNERSHIP_TAG}={owner} of another manifest"
            )
        elif live.arn in schemas:
            continue
        else:
            c.foreign = (
                f"it exists, but no dataset tagged {OWNERSHIP_TAG}={ctx.manifest_name} "
                "uses it (schemas carry no tags)"
            )
        if c.action == NOOP and owner is None:
            if kind.taggable and not adopt:
                plan.untagged.append(c.address)
                c.reason = f"{c.foreign} and equals the manifest; used as it is"
                continue
            c.adopting = True
            if kind.taggable:
                c.actions = [UPDATE]
                c.changes = [FieldChange(f"tags.{OWNERSHIP_TAG}", None, ctx.manifest_name)]
                c.reason = f"{c.foreign} and equals the manifest; apply adopts it (tags it)"
            else:
                c.reason = f"{c.foreign}; it equals the manifest, so apply adopts it (uses it)"
            continue
        if c.action == NOOP:  # equal, but another manifest's: taking it over is a change
            c.actions = [UPDATE]
            c.changes = [FieldChange(f"tags.{OWNERSHIP_TAG}", owner, ctx.manifest_name)]
            c.reason = f"{OWNERSHIP_TAG} changed"
        c.adopt = True
        if not kind.taggable and c.action == "replace":
            c.in_use = _schema_users(ctx, live.arn, plan)
        c.reason += (
            f"; {c.foreign}, so replacing it needs --adopt and --allow-replace"
            if c.action == "replace"
            else f"; {c.foreign}, so changing it needs --adopt"
        )


def owned_schema_arns(ctx: Context, desired: dict[str, Desired]) -> set[str]:
    """The ARNs of the schemas this manifest owns: those used (``schemaArn``, or the
    ``schemaArn`` of an update not yet ACTIVE) by a declared dataset that exists and
    carries this manifest's ownership tag. Reads the tags of a dataset whose tags refresh
    did not read."""
    out: set[str] = set()
    for address, d in desired.items():
        live = ctx.live.get(address)
        if d.kind != "dataset" or live is None or live.raw.get("foreign"):
            continue
        if live.tags is None:
            live.tags = ctx.read_tags(live.arn)
        if live.tags.get(OWNERSHIP_TAG) != ctx.manifest_name:
            continue
        pending = live.raw.get("latestDatasetUpdate") or {}
        out |= {a for a in (live.raw.get("schemaArn"), pending.get("schemaArn")) if a}
    return out


def earlier_schema_arns(ctx: Context, desired: dict[str, Desired], schemas: list[Live]) -> set[str]:
    """The ARNs, among ``schemas`` (ListSchemas summaries as :class:`Live`), of the
    manifest's earlier schemas for a dataset that has since moved on by a compatible
    change (``engine/desired.py``, ``evolve_schema``). For a declared dataset that exists,
    carries this manifest's tag and now uses ``<name>-<8 hex>`` where ``<name>`` is its
    declared schema, these are this manifest's:

    - the schema ``<name>`` created no later than the dataset: the dataset was created
      with it (a dataset is always created with the schema under its declared name), so
      it is the one the dataset used before it moved;
    - a schema ``<name>-<8 hex>`` created after the dataset whose hex is the fingerprint
      of its own body and domain: made by a compatible change while the dataset existed.

    Call :func:`owned_schema_arns` first (it reads the datasets' tags). Reads
    DescribeSchema for each ``<name>-<8 hex>`` candidate.
    """
    out: set[str] = set()
    for address, d in desired.items():
        live = ctx.live.get(address)
        if d.kind != "dataset" or live is None or live.raw.get("foreign"):
            continue
        if (live.tags or {}).get(OWNERSHIP_TAG) != ctx.manifest_name:
            continue
        base = d.fields["schemaArn"].address.split(".", 1)[1]
        used = (live.raw.get("schemaArn") or "").rsplit("/", 1)[-1]
        created = live.raw.get("creationDateTime")
        if not _EVOLVED.fullmatch(used[len(base) :]) or not used.startswith(base) or not created:
            continue
        for schema in schemas:
            name, when = schema.raw.get("name", ""), schema.raw.get("creationDateTime")
            if when is None:
                continue
            if name == base and when <= created:
                out.add(schema.arn)
            elif (
                name.startswith(base)
                and _EVOLVED.fullmatch(name[len(base) :])
                and when >= created
                and _fingerprinted(ctx, schema.arn, name[-8:])
            ):
                out.add(schema.arn)
    return out


def _fingerprinted(ctx: Context, arn: str, hex8: str) -> bool:
    raw = SchemaKind().describe(ctx, arn)
    if raw is None:
        return False
    fields = canonical({"schema": parse_json(raw.get("schema")), "domain": raw.get("domain")})
    return short(fields) == hex8


def refuse_foreign(plan: Plan, *, adopt: bool, allow_replace: bool) -> None:
    """Refuse the changes to resources that are not this manifest's and differ from it,
    unless the flags allow them: changing one in place needs ``adopt``, replacing one
    (deleting it) needs ``adopt`` and ``allow_replace`` (issue 11). A schema that datasets
    staying in the account use is refused whatever the flags (``Change.in_use``; the
    service deletes no schema a dataset uses, reference §3). ``plan`` and ``apply``
    both call this, so a plan never shows what apply would refuse for this reason.

    Raises:
        ForeignRefused: naming, for each such resource, its address, ARN, why it is not
            this manifest's, the differing fields (``path: before -> after``) and the flags
            to give.
    """
    problems = []
    for c in plan.changes:
        if not c.adopt:
            continue
        replace = c.action == "replace"
        if adopt and (allow_replace or not replace) and not c.in_use:
            continue
        fields = [f"    {f.path}: {_shown(f.before)} -> {_shown(f.after)}" for f in c.changes]
        if not fields:
            fields = [f"    {c.reason.split('; ')[0]}"]
        todo = (
            "run apply with --adopt --allow-replace to replace it"
            if replace
            else "run apply with --adopt to change it in place and tag it"
        )
        if c.in_use:
            which = "dataset groups" if len(c.in_use) > 1 else "dataset group"
            verb = "use" if len(c.in_use) > 1 else "uses"
            end = (
                f"To go on, rename it in the manifest: {which} {', '.join(c.in_use)} {verb} "
                "it, and the service deletes no schema a dataset uses."
            )
        else:
            end = f"To go on, {todo}, or rename it in the manifest."
        problems.append(
            f"  {c.address} ({c.arn}): {c.foreign}; it differs from the manifest:\n"
            + "\n".join(fields)
            + f"\n  {end}"
        )
    if problems:
        raise ForeignRefused(problems)


def _schema_users(ctx: Context, arn: str, plan: Plan) -> list[str]:
    """The dataset groups (names, sorted) of the datasets in the account that use the
    schema ``arn`` (as their schema, or in an update not yet ACTIVE) and that ``plan``
    does not delete. One ListDatasets walk and one DescribeDataset per dataset."""
    leaving = {c.arn for c in plan.changes if c.arn and c.action in ("replace", "delete")}
    groups: set[str] = set()
    for page in ctx.personalize.get_paginator("list_datasets").paginate():
        for summary in page.get("datasets", []):
            if summary["datasetArn"] in leaving:
                continue
            raw = DatasetKind().describe(ctx, summary["datasetArn"])
            if raw is None:  # deleted since it was listed
                continue
            pending = raw.get("latestDatasetUpdate") or {}
            used = {raw.get("schemaArn")}
            if pending.get("status") != "ACTIVE":
                used.add(pending.get("schemaArn"))
            if arn in used:
                groups.add((raw.get("datasetGroupArn") or "").rsplit("/", 1)[-1])
    return sorted(groups)


def _existing(ctx: Context, c: Change, kinds: dict[str, Kind]) -> bool:
    live: Live | None = ctx.live.get(c.address)
    return (
        c.arn is not None
        and live is not None
        and not live.raw.get("foreign")
        and not kinds[c.type].create_only
        and c.action in (NOOP, UPDATE, "replace")
    )


def _shown(value: Any) -> str:
    if value is UNKNOWN:
        return "(known after apply)"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."
