"""Diff and classify: desired and live state in, a :class:`Plan` out. Pure: no I/O.

One job: decide, per resource, create / update / replace / no-op with a short reason,
from the per-field :class:`~personalize_reconcile.resources.Policy` each resource module
declares, then carry replacements to the resources that must be replaced with them.
Called by the CLI after :func:`personalize_reconcile.engine.refresh.refresh`.
"""

from __future__ import annotations

from typing import Any

from personalize_reconcile.engine.plan import (
    CREATE,
    CREATE_FIRST,
    DELETE,
    NOOP,
    REPLACE,
    UPDATE,
    Change,
    FieldChange,
    Plan,
)
from personalize_reconcile.resources import (
    OWNERSHIP_TAG,
    UNKNOWN,
    Desired,
    Kind,
    Live,
    Policy,
    Ref,
    State,
)


def field_changes(
    kind: Kind,
    desired: dict[str, Any],
    live: dict[str, Any],
    policy: dict[str, Policy] | None = None,
) -> list[FieldChange]:
    """The differing fields between canonical ``desired`` and ``live`` field dicts, with
    nested dict differences reported at their own dotted path (via deepdiff). Fields whose
    policy is IGNORE are skipped; fields not in the kind's policy force replacement."""
    out: list[FieldChange] = []
    for key in sorted(set(desired) | set(live)):
        rule = (policy if policy is not None else kind.policy).get(key, Policy.REPLACE)
        if rule is Policy.IGNORE:
            continue
        after, before = desired.get(key), live.get(key)
        if after is UNKNOWN:
            out.append(FieldChange(key, before, UNKNOWN, rule is Policy.REPLACE))
            continue
        if after == before:
            continue
        forces = rule is Policy.REPLACE
        if isinstance(after, dict) and isinstance(before, dict):
            # deepdiff imports numpy: only plans with a nested difference pay for it
            from deepdiff import DeepDiff

            tree = DeepDiff(before, after, view="tree")
            for level in sorted(
                (lv for group in tree.values() for lv in group), key=lambda lv: lv.path()
            ):
                sub = ".".join(str(p) for p in level.path(output_format="list"))
                out.append(
                    FieldChange(f"{key}.{sub}", _present(level.t1), _present(level.t2), forces)
                )
            continue
        out.append(FieldChange(key, before, after, forces))
    return out


def tag_changes(wanted: dict[str, str], live: dict[str, str]) -> list[FieldChange]:
    """Differences between the manifest's tags and the live tags (``tags.<key>`` paths,
    updated in place). The ownership tag and ``aws:`` tags are not compared here."""
    out = []
    keys = (set(wanted) | set(live)) - {OWNERSHIP_TAG}
    for key in sorted(k for k in keys if not k.lower().startswith("aws:")):
        if wanted.get(key) != live.get(key):
            out.append(FieldChange(f"tags.{key}", live.get(key), wanted.get(key)))
    return out


def _present(value: Any) -> Any:
    return None if type(value).__name__ == "NotPresent" else value


def classify(
    kind: Kind, desired: Desired, known: dict[str, Any], live: Live | None, matched: bool
) -> Change:
    """Classify one resource.

    Args:
        kind: its resource kind.
        desired: what the manifest wants.
        known: ``desired.fields`` with references resolved to ARNs where known.
        live: what the service has, or ``None``.
        matched: for create-only kinds (import jobs, solution versions), whether the live
            one is the one the manifest wants (same fingerprint).

    Returns:
        A :class:`Change` with actions, reason and field changes.
    """
    base = dict(
        address=desired.address,
        type=desired.kind,
        name=desired.name,
        arn=live.arn if live else None,
    )
    if kind.create_only:
        if live is not None and matched:
            state, reason = kind.state(live.raw)
            if state is State.FAILED:
                why = f"{kind.title} {desired.name} failed: {live.failure_reason or reason}"
                if desired.kind == "solution_version":
                    return Change(actions=[CREATE], reason="retrain: " + why, **base)
                return Change(actions=[NOOP], reason=why, wait=True, **base)
            return Change(
                actions=[NOOP],
                reason="up to date"
                if state is State.READY
                else f"{live.status.lower()}; apply waits for it",
                wait=state is State.PENDING,
                **base,
            )
        why = getattr(kind, "why", None)
        reason = why(desired, live) if why else (desired.note or "new data to import")
        return Change(actions=[CREATE], reason=reason, **base)
    if live is None:
        return Change(actions=[CREATE], reason=desired.note or "does not exist", **base)
    if live.status.startswith("DELETE"):
        return Change(
            actions=[CREATE],
            reason=f"it is being deleted ({live.status}); it is "
            "created again once the delete finishes",
            **base,
        )
    state, failure = kind.state(live.raw)
    if state is State.FAILED and not live.pending_update:
        return Change(
            actions=list(REPLACE),
            reason=f"its creation failed: {failure}",
            replace_paths=["status"],
            **base,
        )
    ignored = desired.extra.get("ignore_changes", ())
    policy = dict(kind.policy_for(desired))
    policy.update({f: Policy.IGNORE for f in ignored if f != "tags"})
    changes = field_changes(kind, known, live.fields, policy)
    if live.tags is not None and kind.taggable and "tags" not in ignored:
        changes += tag_changes(desired.tags, live.tags)
    replace = [c.path for c in changes if c.forces_replacement]
    if replace:
        reason = f"{_fields(replace)} cannot change in place"
        note = kind.replace_note(desired)
        if note:
            reason += f"; {note}"
        if kind.create_before_delete:
            reason += (
                f"; the new {kind.title} is created first, and {live.raw.get('name')} "
                "is deleted once everything using it has moved to the new one"
            )
        return Change(
            actions=list(CREATE_FIRST if kind.create_before_delete else REPLACE),
            changes=changes,
            replace_paths=replace,
            reason=reason,
            **base,
        )
    if changes:
        return Change(
            actions=[UPDATE],
            changes=changes,
            reason=_update_reason(desired, changes),
            **base,
        )
    pending = state is State.PENDING or live.pending_update
    return Change(
        actions=[NOOP],
        reason=f"{live.status.lower()}; apply waits for it" if pending else "up to date",
        wait=pending,
        **base,
    )


def _update_reason(desired: Desired, changes: list[FieldChange]) -> str:
    """``<fields> changed`` for an in-place update; when every changed field is a value
    the manifest states (not a reference to another resource, nothing known only after
    apply), the live value differs from what the manifest says: drift, or an edit of the
    manifest since the last apply (there is no state file to tell the two apart), and the
    reason says so, so that a nightly plan reads as what it is."""
    fields = _fields([c.path for c in changes])
    stated = all(
        c.after is not UNKNOWN and not isinstance(desired.fields.get(c.path.split(".")[0]), Ref)
        for c in changes
    )
    if not stated:
        return f"{fields} changed"
    return (
        f"{fields} changed outside preconcile, or in the manifest since the last apply: "
        "the live value differs from what the manifest says"
    )


def _fields(paths: list[str]) -> str:
    tops = sorted({p.split(".")[0] for p in paths})
    return ", ".join(tops)


def plan(
    desired: dict[str, Desired],
    known: dict[str, dict[str, Any]],
    live: dict[str, Live | None],
    matched: set[str],
    kinds: dict[str, Kind],
    *,
    target: str,
    region: str,
    manifest: str,
    manifest_name: str,
) -> Plan:
    """Build the plan for every desired resource, in dependency order.

    After classifying each resource on its own, replacements propagate: a resource whose
    ``replace_with`` lists a replaced resource is replaced too (create-only kinds are
    created anew), with the reason naming the cause; a resource whose only replaced causes
    are made new-one-first (a solution) is updated to point at the new one instead, and a
    new-one-first replacement with a replaced cause of its own is made delete-first.
    """
    result = Plan(target=target, region=region, manifest=manifest, manifest_name=manifest_name)
    by_address: dict[str, Change] = {}
    for address, d in desired.items():
        change = classify(kinds[d.kind], d, known[address], live.get(address), address in matched)
        causes = [
            a for a in d.replace_with if a in by_address and by_address[a].action == "replace"
        ]
        moved = [a for a in causes if by_address[a].create_first]
        if causes and (change.action in (NOOP, UPDATE) or change.create_first):
            if kinds[d.kind].create_only:
                change.actions, change.reason = [CREATE], f"{causes[0]} is replaced"
            elif moved == causes and not change.create_first:
                change.actions = [UPDATE]
                change.reason = (
                    f"moves to the new {causes[0]} once its version is trained; "
                    "it keeps serving the old one until then"
                )
            else:
                change.actions = list(REPLACE)
                change.reason = f"replaced with {causes[0]}"
                if kinds[d.kind].serves:
                    change.reason += (
                        f"; the {kinds[d.kind].title} answers no requests from its deletion "
                        "until its replacement is ACTIVE (to keep serving, make the change "
                        "in a new dataset group)"
                    )
                change.replace_paths = list(causes)
            change.wait = False
        if kinds[d.kind].create_only and change.action == NOOP and "version_address" in d.extra:
            version = by_address.get(d.extra["version_address"])
            if version is not None and version.action == CREATE:
                # a run on the version the plan trains (say, after its dataset is
                # replaced): named once that version exists, as when refresh found none
                d.name = change.name = UNKNOWN
                change.actions = [CREATE]
                change.reason = "a new solution version: it runs once apply has trained it"
        by_address[address] = change
        result.changes.append(change)
    return result


def delete_change(stand_in: Desired, live: Live) -> Change:
    """The change for a resource this manifest owns (by its tag) but no longer declares, or
    for an earlier solution of a declared entry (``solution.<entry>#<name>``) that an
    interrupted new-one-first replacement left."""
    return Change(
        address=stand_in.address,
        type=stand_in.kind,
        name=stand_in.name,
        actions=[DELETE],
        reason=f"left by an earlier replacement of {stand_in.address.split('#')[0]}"
        if "#" in stand_in.address
        else "no longer in the manifest",
        arn=live.arn,
    )
