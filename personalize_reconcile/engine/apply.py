"""Apply: carry out a plan — deletes, creates and updates in dependency order, independent
branches in parallel, each step waited out until the resource settles.

One job: execution. The order comes from :mod:`graphlib` over the desired resources'
``depends_on`` (deletes in reverse); a step starts as soon as everything it needs has
settled (not in lock-step batches), on a thread pool. Every step reports progress through
a callback; nothing here prints. Re-running after a crash converges: refresh sees what
exists, names carry fingerprints, and a create answered with ResourceAlreadyExistsException
is accepted when the live resource equals the desired one (and adopted: it gets the
ownership tag, unless it carries another manifest's, which fails the step).

Callers: ``engine.Applier`` users: ``cli.py`` through ``engine/__init__.py``.
"""

from __future__ import annotations

import graphlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from personalize_reconcile.engine.desired import name_import, name_version
from personalize_reconcile.engine.ownership import refuse_foreign
from personalize_reconcile.engine.plan import DELETE, NOOP, Change, Plan
from personalize_reconcile.engine.planner import field_changes
from personalize_reconcile.engine.rollout import gated_move, verdict
from personalize_reconcile.engine.wait import Cancelled, WaitPolicy, WaitTimeout, wait_until
from personalize_reconcile.resources import OWNERSHIP_TAG, UNKNOWN, Context, Desired, Kind, State
from personalize_reconcile.resources.base import AlreadyMade, ResourceError, error_code

log = logging.getLogger(__name__)


@dataclass
class Event:
    """Progress of one step.

    Attributes:
        address: the resource.
        step: ``create``, ``update``, ``replace``, ``delete`` or ``wait``.
        phase: ``started``, ``polling``, ``done``, ``failed`` or ``skipped``.
        status: the service's latest status string, if known.
        message: failure reason or note.
        elapsed: seconds since the step started.
    """

    address: str
    step: str
    phase: str
    status: str = ""
    message: str = ""
    elapsed: float = 0.0


@dataclass
class ApplyResult:
    """What apply did: addresses that succeeded, failed (with the reason) or were skipped
    because something they need failed; and whether any write call was made."""

    succeeded: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    """Of ``succeeded``, the creates that found the resource already made as the manifest
    wants it (by an earlier, interrupted run or by another apply at the same time)."""
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    held: dict[str, str] = field(default_factory=dict)
    """Campaigns not created or moved because the new version misses its rollout gate:
    address -> ``not deployed: <version ARN> misses its rollout gate: ...``."""
    changed: bool = False

    @property
    def ok(self) -> bool:
        """No step failed, was skipped or was held back by a rollout gate."""
        return not self.failed and not self.skipped and not self.held


class ApplyRefused(Exception):
    """The plan replaces or deletes resources that hold data or a trained model, and the
    matching ``--allow-replace`` / ``--allow-delete`` was not given. ``str()`` lists them."""


_WAKE_SECONDS = 0.2
"""How often the main thread wakes while steps run, to notice Ctrl-C and SIGTERM."""


class StepFailed(Exception):
    """One step failed; ``str()`` is the reason (the service's failureReason if any)."""


class HeldBack(Exception):
    """A campaign's new version misses its rollout gate; ``str()`` says which metric
    missed by how much (``engine/rollout.py``). The campaign is left as it is."""


def check_allowed(
    plan: Plan,
    kinds: dict[str, Kind],
    *,
    allow_replace: bool,
    allow_delete: bool,
    adopt: bool = False,
) -> None:
    """Refuse destructive changes that were not allowed (design §4): replacing what holds
    data or a model needs ``--allow-replace``, deleting needs ``--allow-delete``, changing a
    resource this manifest did not create needs ``--adopt``, and replacing one needs
    ``--adopt`` and ``--allow-replace`` (issue 11).

    Raises:
        ForeignRefused: a resource that is not this manifest's would be changed without
            the flags (checked first, with the message ``plan`` gives).
        ApplyRefused: naming every other resource concerned and the flags that allow it.
    """
    refuse_foreign(plan, adopt=adopt, allow_replace=allow_replace)
    problems = _unallowed(plan, kinds, allow_replace, allow_delete, adopt)
    if problems:
        flags = list(dict.fromkeys(flag for _, flag in problems))
        raise ApplyRefused(
            "; ".join(p for p, _ in problems) + f". Run again with "
            f"{' and '.join(flags)} to allow this."
        )


def _unallowed(
    plan: Plan, kinds: dict[str, Kind], allow_replace: bool, allow_delete: bool, adopt: bool
) -> list[tuple[str, str]]:
    """``(what, flag)`` for each change :func:`check_allowed` refuses without its flag."""
    problems: list[tuple[str, str]] = []
    for c in plan.changes:
        if c.action == "replace" and kinds[c.type].holds_data and not allow_replace:
            problems.append(
                (
                    f"{c.address} would be replaced ({c.reason}); its data or model would be lost",
                    "--allow-replace",
                )
            )
        elif c.action == "delete" and not allow_delete:
            problems.append((f"{c.address} would be deleted", "--allow-delete"))
        elif c.adopt and not adopt:
            problems.append((f"{c.address} was not created by this manifest", "--adopt"))
    return problems


def flags_needed(plan: Plan, kinds: dict[str, Kind], adopt: bool = False) -> list[str]:
    """The flags apply needs to carry out ``plan`` (``--allow-replace``,
    ``--allow-delete``, ``--adopt``), in the order :func:`check_allowed` names them; empty
    when it needs none. ``adopt``: the plan was made with ``--adopt``."""
    problems = _unallowed(plan, kinds, False, False, adopt)
    return list(dict.fromkeys(flag for _, flag in problems))


def _ancestors(desired: dict[str, Desired]) -> dict[str, set[str]]:
    memo: dict[str, set[str]] = {}

    def up(a: str) -> set[str]:
        if a not in memo:
            memo[a] = set()
            for d in desired[a].depends_on if a in desired else []:
                memo[a] |= {d} | up(d)
        return memo[a]

    for a in desired:
        up(a)
    return memo


def _left_behind(change: Change) -> bool:
    """A resource deleted because the manifest no longer declares it: ``<address>#<name>``
    left by an interrupted replacement, or a solution under an entry's old name."""
    return "#" in change.address or (change.type == "solution" and change.action == "delete")


_BLOCK_DATASET_DELETES = ("campaign", "filter", "event_tracker", "metric_attribution")
"""Kinds whose resources in a dataset group keep the service from deleting its datasets
(reference §3); ``engine/dataset_deletes.py`` refuses a plan that keeps them."""


def build_graph(plan: Plan, desired: dict[str, Desired]) -> dict[tuple[str, str], set]:
    """The step graph: node ``("delete", address)`` or ``("apply", address)`` -> the nodes
    that must finish first. Applies follow ``depends_on``; a replaced resource is deleted
    before it is created again, except a new-one-first replacement, whose old resource is
    deleted after the new one and after every apply that depends on it (a campaign moved
    to the new solution's version), as is a solution such a replacement left behind (after
    every campaign's apply), and a solution the manifest no longer declares (after every
    campaign's apply); dependents are deleted before what they depend on; a dataset the
    manifest no longer declares is deleted after the campaigns, filters, event trackers and
    metric attributions the plan deletes, and before any of those or a solution version is
    made."""
    nodes: dict[tuple[str, str], set] = {}
    changes = {c.address: c for c in plan.changes}
    for c in plan.changes:
        if c.action in ("replace", "delete"):
            nodes[("delete", c.address)] = set()
        if c.action in ("create", "update", "replace") or c.wait:
            nodes[("apply", c.address)] = set()
    ancestors = _ancestors(desired)
    dropped = [a for a, c in changes.items() if c.type == "dataset" and c.actions == [DELETE]]
    for (step, address), before in nodes.items():
        if step == "apply":
            for dep in ancestors.get(address, ()):
                if ("apply", dep) in nodes:
                    before.add(("apply", dep))
            if ("delete", address) in nodes and not changes[address].create_first:
                before.add(("delete", address))
            if changes[address].type in _BLOCK_DATASET_DELETES + ("solution_version",):
                # a dataset taken out of the manifest goes before training starts or a
                # campaign is made, which would block its delete (reference §3)
                before.update(("delete", d) for d in dropped)
        else:
            if address in dropped:
                before.update(
                    ("delete", a)
                    for a, c in changes.items()
                    if c.type in _BLOCK_DATASET_DELETES and ("delete", a) in nodes
                )
            for other in changes:
                if ("delete", other) in nodes and address in ancestors.get(other, ()):
                    before.add(("delete", other))
                if changes[address].create_first and (
                    other == address or address in ancestors.get(other, ())
                ):
                    if ("apply", other) in nodes:
                        before.add(("apply", other))
                if (
                    _left_behind(changes[address])
                    and changes[other].type == "campaign"
                    and ("apply", other) in nodes
                ):
                    # a solution no longer declared (renamed, or left by an interrupted
                    # replacement): campaigns move off it first, as the service deletes
                    # no solution a campaign still serves (ResourceInUseException)
                    before.add(("apply", other))
    return nodes


class Applier:
    """Runs one plan. Create it, then call :meth:`run`.

    Args:
        ctx: the context refresh filled (ARNs, live state).
        plan: the plan to carry out.
        desired: the desired resources (names are completed here when they depend on
            resources created during this apply).
        kinds: the resource kinds.
        policy: polling and the overall timeout per step.
        on_event: progress callback (called from worker threads).
        workers: parallel steps at most.
        skip_rollout_gates: create and move campaigns even when the new version misses
            its rollout gate.
    """

    def __init__(
        self,
        ctx: Context,
        plan: Plan,
        desired: dict[str, Desired],
        kinds: dict[str, Kind],
        policy: WaitPolicy,
        on_event: Callable[[Event], None] = lambda e: None,
        workers: int = 8,
        skip_rollout_gates: bool = False,
    ):
        self.ctx, self.plan, self.desired, self.kinds = ctx, plan, desired, kinds
        self.skip_rollout_gates = skip_rollout_gates
        self.policy, self.on_event, self.workers = policy, on_event, workers
        self.changes = {c.address: c for c in plan.changes}
        self.cancel = threading.Event()
        self.result = ApplyResult()
        self._lock = threading.Lock()

    def run(self) -> ApplyResult:
        """Carry out every step; return what happened. Ctrl-C stops polling at once
        (what was started keeps going in the service; the next apply picks it up)."""
        graph = build_graph(self.plan, self.desired)
        sorter = graphlib.TopologicalSorter(graph)
        sorter.prepare()
        bad: set[tuple[str, str]] = set()
        running: dict[Future, tuple[str, str]] = {}
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="apply") as pool:
            try:
                while sorter.is_active():
                    for node in sorter.get_ready():
                        blocked = [n for n in graph[node] if n in bad]
                        if blocked:
                            bad.add(node)
                            self._skip(node, blocked[0])
                            sorter.done(node)
                            continue
                        running[pool.submit(self._step, node)] = node
                    if not running:
                        continue
                    # A bounded wait: a signal that the kernel hands to another thread
                    # only reaches the main thread when it wakes, so Ctrl-C would go
                    # unnoticed until a step finished (possibly hours on AWS).
                    finished, _ = wait(
                        list(running), timeout=_WAKE_SECONDS, return_when=FIRST_COMPLETED
                    )
                    for fut in finished:
                        node = running.pop(fut)
                        if not fut.result():
                            bad.add(node)
                        sorter.done(node)
            except KeyboardInterrupt:
                self.cancel.set()
                raise
        return self.result

    # -- steps ---------------------------------------------------------------------------

    def _emit(
        self,
        address: str,
        step: str,
        phase: str,
        started: float,
        status: str = "",
        message: str = "",
    ) -> None:
        self.on_event(Event(address, step, phase, status, message, time.monotonic() - started))

    def _skip(self, node: tuple[str, str], cause: tuple[str, str]) -> None:
        address = node[1]
        with self._lock:
            if address not in self.result.skipped and address not in self.result.failed:
                self.result.skipped.append(address)
        self.on_event(
            Event(
                address,
                self.changes[address].action,
                "skipped",
                message=f"not started: {cause[1]} did not succeed",
            )
        )

    def _step(self, node: tuple[str, str]) -> bool:
        step, address = node
        change = self.changes[address]
        label = (
            "delete" if step == "delete" else ("wait" if change.action == NOOP else change.action)
        )
        started = time.monotonic()
        self._emit(address, label, "started", started)
        try:
            if step == "delete":
                self._delete(change, started)
            else:
                self._apply(change, label, started)
        except Cancelled:
            return False
        except HeldBack as e:
            message = f"not deployed: {e}"
            with self._lock:
                self.result.held[address] = message
            self._emit(address, label, "skipped", started, message=message)
            return False
        except Exception as e:  # noqa: BLE001 - any failure ends this step, not the apply
            if not isinstance(
                e, (StepFailed, WaitTimeout, ClientError, BotoCoreError, ResourceError)
            ):
                log.debug("step %s failed", node, exc_info=True)
            message = _describe_error(e)
            upload = self.desired[address].extra.get("upload_from")
            if upload and self.desired[address].kind == "import" and upload not in message:
                message += f" (uploaded from {upload})"
            with self._lock:
                self.result.failed[address] = message
            self._emit(address, label, "failed", started, message=message)
            return False
        with self._lock:
            if step == "apply" or change.action == "delete":
                self.result.succeeded.append(address)
        self._emit(address, label, "done", started, status="ACTIVE" if step == "apply" else "")
        return True

    def _wrote(self) -> None:
        with self._lock:
            self.result.changed = True

    def _wait(
        self, kind: Kind, arn: str, want: State, address: str, label: str, started: float
    ) -> Any:
        def poll(raw: Any) -> None:
            status = (raw or {}).get("status", "") if want is not State.GONE or raw else "gone"
            update = kind.latest_update(raw) if raw else None
            if update and update.get("status") != "ACTIVE":
                status = f"update {update.get('status')}"
            self._emit(address, label, "polling", started, status=status)

        state, reason, raw = wait_until(
            lambda: kind.describe(self.ctx, arn),
            kind.state,
            want,
            self.policy,
            cancel=self.cancel,
            on_poll=poll,
        )
        if state is State.FAILED:
            raise StepFailed(reason or f"{kind.title} ended in {(raw or {}).get('status')}")
        return raw

    def _delete(self, change: Change, started: float) -> None:
        kind = self.kinds[change.type]
        arn = change.arn
        raw = kind.describe(self.ctx, arn)
        if raw is None:
            return
        status = raw.get("status", "")
        if status.startswith("DELETE"):  # an earlier, interrupted run already asked
            self._wait(kind, arn, State.GONE, change.address, "delete", started)
            return
        if status.startswith("CREATE") and not status.endswith(("FAILED", "STOPPED")):
            # nothing can be deleted while it is being created (reference §3)
            self._wait(kind, arn, State.READY, change.address, "delete", started)
        try:
            kind.delete(self.ctx, arn)
            self._wrote()
        except ClientError as e:
            if error_code(e) != "ResourceNotFoundException":
                raise
        self._wait(kind, arn, State.GONE, change.address, "delete", started)

    def _apply(self, change: Change, label: str, started: float) -> None:
        d = self.desired[change.address]
        kind = self.kinds[change.type]
        if change.action in ("create", "update"):
            self._check_gate(d)
        if change.action == NOOP:
            arn = change.arn
        elif change.action == "update":
            live = self.ctx.live[change.address]
            if any(not c.path.startswith("tags.") for c in change.changes):
                kind.update(self.ctx, d, live)
                self._wrote()
            self._update_tags(change, live.arn)
            arn = live.arn
        else:
            live = self.ctx.live.get(change.address)
            if live is not None and live.status.startswith("DELETE") and change.arn:
                # a delete (of an interrupted destroy, say) must finish before the name
                # can be used again (reference §3)
                self._wait(kind, change.arn, State.GONE, change.address, label, started)
            self._complete_name(d)
            change.name = d.name
            arn = self._create(kind, d)
        self.ctx.set_arn(change.address, arn)
        raw = self._wait(kind, arn, State.READY, change.address, label, started)
        while change.action != NOOP and raw is not None and kind.next_step(self.ctx, d, raw):
            # a further step towards the manifest (a recommender stopped once created)
            self._wrote()
            raw = self._wait(kind, arn, State.READY, change.address, label, started)

    def _check_gate(self, d: Desired) -> None:
        """Before a campaign is created or moved to another version: its rollout gate.

        Raises:
            HeldBack: the new version misses it (and ``--skip-rollout-gates`` was not given).
        """
        if d.kind != "campaign" or self.skip_rollout_gates or not d.extra.get("rollout"):
            return
        new_arn = self.ctx.known(d.fields.get("solutionVersionArn"))
        gate = gated_move(self.ctx, d, new_arn)
        if gate is None:
            return
        found = verdict(self.ctx, gate[0], new_arn, gate[1])
        if found.misses:
            raise HeldBack(found.text)

    def _update_tags(self, change: Change, arn: str) -> None:
        """TagResource / UntagResource for ``tags.<key>`` changes (and the ownership tag
        when adopting)."""
        add = {
            c.path[5:]: c.after
            for c in change.changes
            if c.path.startswith("tags.") and c.after is not None
        }
        remove = [
            c.path[5:] for c in change.changes if c.path.startswith("tags.") and c.after is None
        ]
        if change.adopt:
            add[OWNERSHIP_TAG] = self.ctx.manifest_name
        if add:
            self.ctx.personalize.tag_resource(
                resourceArn=arn, tags=[{"tagKey": k, "tagValue": v} for k, v in add.items()]
            )
            self._wrote()
        if remove:
            self.ctx.personalize.untag_resource(resourceArn=arn, tagKeys=remove)
            self._wrote()

    def _complete_name(self, d: Desired) -> None:
        if d.kind == "import":
            dataset = self.kinds["dataset"].describe(
                self.ctx, self.ctx.arns[d.extra["dataset_address"]]
            )
            name_import(d, dataset["creationDateTime"])
        elif d.kind == "solution_version":
            imports = [self.desired[i].name for i in d.extra["imports"]]
            name_version(d, imports, self.ctx.live.get(d.address))
        else:
            self.kinds[d.kind].complete_name(self.ctx, d)
        if d.name is UNKNOWN:
            raise StepFailed(f"cannot name {d.address}: a resource it needs has no name yet")

    def _create(self, kind: Kind, d: Desired) -> str:
        try:
            arn = kind.create(self.ctx, d)
            self._wrote()
            return arn
        except AlreadyMade as made:
            with self._lock:
                self.result.found.append(d.address)
            return made.arn
        except ClientError as e:
            if error_code(e) != "ResourceAlreadyExistsException":
                raise
        # Created by an earlier, interrupted run, or by someone else: accept it only if
        # it is what the manifest wants.
        live = kind.find(self.ctx, d)
        if live is None:
            raise StepFailed(f"{kind.title} {d.name} already exists but cannot be read")
        if not kind.create_only:
            diffs = field_changes(kind, self.ctx.known(d.fields), live.fields)
            if diffs:
                what = "; ".join(
                    f"{c.path} is {_show(c.before)}, the manifest wants {_show(c.after)}"
                    for c in diffs
                )
                raise StepFailed(f"{kind.title} {d.name} already exists and differs: {what}")
            self.ctx.live[d.address] = live
            if kind.taggable:
                self._adopt_found(kind, d, live.arn)
        with self._lock:
            self.result.found.append(d.address)
        return live.arn

    def _adopt_found(self, kind: Kind, d: Desired, arn: str) -> None:
        """Tag an equal resource a create found already made, as the plan would have
        adopted it (``engine/ownership.py``); refuse one that carries another manifest's
        ownership tag."""
        owner = self.ctx.read_tags(arn).get(OWNERSHIP_TAG)
        if owner == self.ctx.manifest_name:
            return
        if owner is not None:
            raise StepFailed(
                f"{kind.title} {d.name} already exists and carries the tag "
                f"{OWNERSHIP_TAG}={owner} of another manifest"
            )
        self.ctx.personalize.tag_resource(
            resourceArn=arn, tags=[{"tagKey": OWNERSHIP_TAG, "tagValue": self.ctx.manifest_name}]
        )
        self._wrote()


def _show(value: Any) -> str:
    return "(not set)" if value is None else repr(value)


_BUGS = (
    AttributeError,
    TypeError,
    KeyError,
    IndexError,
    NameError,
    AssertionError,
    ArithmeticError,
    RecursionError,
    NotImplementedError,
)
"""Exception types that mean a mistake in preconcile itself, not in the resource, its
data, the account or the network."""


def _describe_error(e: BaseException) -> str:
    """The reason a step failed, as the user reads it: the service's error code and
    message, our own reason, or (for :data:`_BUGS`) a plain "internal error"."""
    if isinstance(e, ClientError):
        err = e.response.get("Error", {})
        return f"{err.get('Code')}: {err.get('Message')}"
    if isinstance(e, (StepFailed, WaitTimeout, ResourceError)):
        return str(e)
    what = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    if isinstance(e, _BUGS):
        return (
            f"internal error in preconcile ({what}); this is a bug, not a problem with the "
            "resource. Run again with --debug for the traceback, and report it."
        )
    return what
