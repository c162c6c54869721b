"""The reconciler: desired state, refresh, plan, apply.

Public surface: :func:`prepare` (refresh and plan), :class:`Prepared`, and the types
re-exported from :mod:`.plan` and :mod:`.apply`. The engine sees only boto3 clients and an
object store (from ``personalize_reconcile.backends``); it never prints.

Callers: ``cli.py`` (plan, apply, destroy, recommend) and the engine's own modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from personalize_reconcile.backends.target import Target
from personalize_reconcile.engine import desired as _desired
from personalize_reconcile.engine import ownership, planner, rollout
from personalize_reconcile.engine.apply import (
    Applier,
    ApplyRefused,
    ApplyResult,
    Event,
    check_allowed,
    flags_needed,
)
from personalize_reconcile.engine.dataset_deletes import (
    DatasetDeleteRefused,
    refuse_blocked_dataset_deletes,
)
from personalize_reconcile.engine.import_modes import ImportModeRefused, refuse_first_incremental
from personalize_reconcile.engine.ownership import ForeignRefused, refuse_foreign
from personalize_reconcile.engine.plan import Change, FieldChange, Plan
from personalize_reconcile.engine.quotas import QuotaRefused, refuse_over_quota
from personalize_reconcile.engine.refresh import refresh, refresh_undeclared
from personalize_reconcile.engine.wait import WaitPolicy
from personalize_reconcile.manifest import LoadedManifest
from personalize_reconcile.resources import OWNERSHIP_TAG, Context, Desired, Kind, kinds


@dataclass
class Prepared:
    """A refreshed plan and everything apply needs to carry it out; ``notes`` are
    sentences for the user about what is deliberately left alone (what ``destroy`` keeps:
    a schema another dataset group uses, a dataset that a filter or event tracker the
    manifest does not manage blocks)."""

    plan: Plan
    ctx: Context
    desired: dict[str, Desired]
    kinds: dict[str, Kind]
    notes: list[str] = field(default_factory=list)
    rollout_warnings: list[str] = field(default_factory=list)
    """Campaigns with syncWithLatestSolutionVersion that serve a version missing their
    rollout gate (``engine/rollout.py``: ``sync_warnings``)."""


def prepare(
    loaded: LoadedManifest,
    target: Target,
    manifest_path: str,
    skip_rollout_gates: bool = False,
    adopt: bool = False,
) -> Prepared:
    """Build the desired state, refresh it against ``target`` and plan. A campaign move
    that a rollout gate holds back says so in its reason (``engine/rollout.py``;
    ``skip_rollout_gates``: that apply deploys it anyway). ``adopt`` (``--adopt``): plan
    to tag the resources that exist untagged and equal the manifest; without it they are
    used as they are and listed in ``plan.untagged``.

    Raises:
        botocore.exceptions.ClientError / BotoCoreError: a read failed.
        personalize_reconcile.backends.target.ObjectStoreError: an import's data is
            missing (no object at ``dataLocation`` and no ``uploadFrom``).
        NameConflict: a name the manifest uses is taken outside its dataset group.
        SchemaChangeRefused: a dataset that exists would get a schema the service does
            not let it change to (reference §4); nothing is planned, so nothing is written.
        DatasetDeleteRefused: the plan deletes a dataset whose group keeps what the
            service requires gone first (:mod:`personalize_reconcile.engine.dataset_deletes`).
        ImportModeRefused: the first import of a dataset the plan creates is INCREMENTAL
            (reference §5; :mod:`personalize_reconcile.engine.import_modes`).
        QuotaRefused: the plan creates a dataset group the region has no room for
            (reference §9; :mod:`personalize_reconcile.engine.quotas`).

    Changes to resources that exist but are not this manifest's are marked by
    :func:`personalize_reconcile.engine.ownership.mark` (adopted when equal; needing
    ``--adopt``, and ``--allow-replace`` to replace them, when different); the caller
    refuses them with :func:`refuse_foreign` according to its flags.
    """
    desired = _desired.build(loaded)
    all_kinds = kinds()
    ctx = Context(target.personalize, target.objects, loaded.manifest.name, loaded.base_dir)
    ctx.region = target.region
    if target.account:
        ctx.account = target.account
    live = refresh(ctx, desired, all_kinds)
    _check_conflicts(ctx, desired, live)
    undeclared = refresh_undeclared(ctx, desired)
    known = {a: ctx.known(d.fields) for a, d in desired.items()}
    matched = {a for a, d in desired.items() if all_kinds[d.kind].create_only and a in ctx.arns}
    result = planner.plan(
        desired,
        known,
        live,
        matched,
        all_kinds,
        target=target.name,
        region=target.region,
        manifest=manifest_path,
        manifest_name=loaded.manifest.name,
    )
    refused = _desired.refused_schema_changes(ctx, desired, {c.address: c for c in result.changes})
    if refused:
        raise SchemaChangeRefused(refused)
    imports = all_kinds["import"]
    refuse_first_incremental(
        result,
        desired,
        lambda dataset: (
            dataset in ctx.arns
            and any(
                j.get("status") == "ACTIVE"
                for j in imports.jobs_of(ctx, ctx.arns[dataset])  # type: ignore[attr-defined]
            )
        ),
    )
    raised = loaded.manifest.quotas.model_fields_set
    refuse_over_quota(
        result,
        ctx.region_dataset_groups,
        (
            loaded.manifest.quotas.dataset_groups_per_region
            if "dataset_groups_per_region" in raised
            else None
        ),
        target.name,
    )
    ownership.mark(ctx, result, all_kinds, desired, adopt=adopt)
    for address, (stand_in, found) in undeclared.items():
        result.changes.append(planner.delete_change(stand_in, found))
        desired[address] = stand_in
        ctx.live[address] = found
    refuse_blocked_dataset_deletes(ctx, result)
    rollout.annotate(ctx, result, desired, skip_rollout_gates)
    warnings = rollout.sync_warnings(ctx, desired)
    return Prepared(result, ctx, desired, all_kinds, rollout_warnings=warnings)


class NameConflict(Exception):
    """Names the manifest uses are taken by resources outside its dataset group (names are
    unique per account, region and type; reference §1). ``str()`` lists each one and how
    to resolve it."""


class SchemaChangeRefused(Exception):
    """Datasets that exist would get schemas the service refuses for them (reference §4:
    only Items and Users datasets take a new schema, and it may only add nullable fields).

    Attributes:
        problems: one sentence per problem, ``schema <name>: <problem>; <rule>``.

    ``str()`` says that nothing was changed, lists the problems one a line and says how to
    start a dataset over instead.
    """

    def __init__(self, problems: list[str]):
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        lines = "".join(f"\n  {p}" for p in self.problems)
        return (
            "the manifest changes the schema of a dataset that exists in a way the service "
            f"does not allow; nothing was changed:{lines}\n"
            "Keep the schema compatible, or, to start the dataset over with the new schema "
            "and lose its imported data, give the dataset a new name and apply with "
            "--allow-replace (or destroy it first)."
        )


def _check_conflicts(ctx: Context, desired: dict[str, Desired], live: dict) -> None:
    problems = []
    for address, found in live.items():
        if found is None:
            continue
        d = desired[address]
        other = None
        if found.raw.get("foreign"):
            other = found.raw.get("datasetGroupArn", "").rsplit("/", 1)[-1]
        elif d.kind == "campaign":
            version = found.raw.get("solutionVersionArn") or ""
            solution = version.split(":solution/", 1)[-1].split("/", 1)[0]
            ours = {x.name for x in desired.values() if x.kind == "solution"}
            if version and f"solution.{solution}" not in desired and solution not in ours:
                tags = ctx.read_tags(found.arn)
                if tags.get(OWNERSHIP_TAG) != ctx.manifest_name:
                    other = f"of solution {solution}"
        if other is not None:
            where = f"dataset group {other}" if not other.startswith("of ") else other
            problems.append(
                f"{address}: the name {d.name} is already used by a {d.kind.replace('_', ' ')} "
                f"in {where}"
            )
    if problems:
        raise NameConflict(
            "; ".join(problems) + ". Names are unique per account and region: rename these in "
            "the manifest, or destroy the resources that hold the names first."
        )


__all__ = [
    "DatasetDeleteRefused",
    "ImportModeRefused",
    "NameConflict",
    "QuotaRefused",
    "SchemaChangeRefused",
    "Applier",
    "ApplyRefused",
    "ApplyResult",
    "Change",
    "Event",
    "FieldChange",
    "ForeignRefused",
    "Plan",
    "Prepared",
    "WaitPolicy",
    "check_allowed",
    "flags_needed",
    "prepare",
    "refuse_foreign",
]
