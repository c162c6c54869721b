"""Rollout gates: whether a campaign may move to a new solution version.

One job: compare a version's GetSolutionMetrics (reference §6) with a campaign's
``rollout`` gates — absolute ``minimums``, and ``maxRegression`` against the version the
campaign serves now — and say, in words, which metric missed by how much. Apply asks
before it creates a campaign or moves one to another version (:func:`verdict`); ``prepare``
puts the same words in the plan's reason (:func:`annotate`), so a plan never promises a
deployment that apply would hold back. Campaigns with ``syncWithLatestSolutionVersion``
are moved by the service itself; for them the gate can only report (:func:`sync_warnings`).

Callers: ``engine/__init__.py`` (prepare), ``engine/apply.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from personalize_reconcile.engine.plan import CREATE, DELETE, NOOP, UPDATE, Plan
from personalize_reconcile.resources import UNKNOWN, Context, Desired
from personalize_reconcile.resources.solution_metrics import solution_metrics

LATEST = "/$LATEST"
EPSILON = 1e-9
"""Float noise allowed when a metric equals its threshold."""
SKIP_HINT = "apply --skip-rollout-gates deploys it anyway"


@dataclass
class Verdict:
    """What the gate says about one version.

    Attributes:
        known: whether the version's metrics could be read (it is ACTIVE).
        misses: one phrase per missed gate (``precision_at_25 0.101 is 0.031 below the
            serving version's 0.132 (allowed 0.02)``); empty when it passes.
        text: ``<version ARN> misses its rollout gate: <misses joined by "; ">``, or ``""``.
    """

    known: bool
    misses: list[str]
    text: str = ""


def misses(
    rollout: dict[str, dict[str, float]],
    new: dict[str, float],
    serving: dict[str, float] | None,
    baseline: str = "serving version",
) -> list[str]:
    """The gates ``new`` (metric name -> value) misses: each ``minimums`` entry it is below,
    each ``maxRegression`` entry it drops by more than allowed from ``serving`` (skipped when
    nothing serves yet, or the serving version reports no such metric; ``baseline`` names
    it in the words). A metric the new version does not report misses its gate."""
    out = []
    for metric, minimum in sorted(rollout.get("minimums", {}).items()):
        value = new.get(metric)
        if value is None:
            out.append(f"{metric} is not among its metrics")
        elif value < minimum - EPSILON:
            out.append(f"{metric} {value:.3f} is below the minimum {minimum:g}")
    for metric, allowed in sorted(rollout.get("maxRegression", {}).items()):
        old = (serving or {}).get(metric)
        if old is None:
            continue
        value = new.get(metric)
        if value is None:
            out.append(f"{metric} is not among its metrics")
        elif old - value > allowed + EPSILON:
            out.append(
                f"{metric} {value:.3f} is {old - value:.3f} below the {baseline}'s "
                f"{old:.3f} (allowed {allowed:g})"
            )
    return out


def verdict(
    ctx: Context,
    rollout: dict[str, dict[str, float]],
    new_arn: Any,
    serving_arn: Any,
    baseline: str = "serving version",
) -> Verdict:
    """The gate's verdict on moving a campaign from ``serving_arn`` (``None`` for a new
    campaign; a ``$LATEST`` alias has no metrics to compare with; ``baseline`` names it in
    the words) to ``new_arn`` (unknown until the version is trained).

    Raises:
        botocore.exceptions.ClientError / BotoCoreError: a GetSolutionMetrics call failed
            for another reason than the version not being ACTIVE.
    """
    if new_arn is None or new_arn is UNKNOWN:
        return Verdict(False, [])
    new = solution_metrics(ctx, new_arn)
    if new is None:
        return Verdict(False, [])
    serving = None
    if isinstance(serving_arn, str) and serving_arn and not serving_arn.endswith(LATEST):
        serving = solution_metrics(ctx, serving_arn)
    found = misses(rollout, new, serving, baseline)
    text = f"{new_arn} misses its rollout gate: " + "; ".join(found) if found else ""
    return Verdict(True, found, text)


def gated_move(ctx: Context, d: Desired, new_arn: Any) -> tuple[dict, Any] | None:
    """For a campaign whose manifest entry has rollout gates (and no
    syncWithLatestSolutionVersion): ``(rollout, serving ARN or None)`` when going to
    ``new_arn`` moves it to another version (or creates it); ``None`` when no gate applies."""
    rollout = d.extra.get("rollout")
    if d.kind != "campaign" or not rollout or d.extra.get("sync"):
        return None
    live = ctx.live.get(d.address)
    serving = live.fields.get("solutionVersionArn") if live is not None else None
    if new_arn is not UNKNOWN and new_arn == serving:
        return None
    return rollout, serving


def annotate(ctx: Context, plan: Plan, desired: dict[str, Desired], skip: bool) -> None:
    """Add to each gated campaign change's reason what its gate says: the misses (and that
    apply will not deploy it, or deploys it anyway with ``skip``), that it passes, or that
    the new version is deployed only if it passes once trained. A solution left by an
    earlier replacement that a held-back campaign still serves is kept (its delete becomes
    a no-op saying why), since the service refuses to delete it (reference §3)."""
    held: dict[str, str] = {}
    for c in plan.changes:
        if c.type != "campaign" or c.actions not in ([CREATE], [UPDATE]):
            continue
        d = desired[c.address]
        new_arn = ctx.known(d.fields.get("solutionVersionArn"))
        gate = gated_move(ctx, d, new_arn)
        if gate is None:
            continue
        v = verdict(ctx, gate[0], new_arn, gate[1])
        if v.misses:
            then = "deployed anyway (--skip-rollout-gates)" if skip else SKIP_HINT
            c.reason += f"; not deployed: {v.text}; {then}"
            if not skip and isinstance(gate[1], str):
                held[gate[1]] = c.address
        elif v.known:
            c.reason += "; the new version passes its rollout gate"
        else:
            c.reason += "; deployed only if the new version passes its rollout gate"
    for c in plan.changes:
        if c.type != "solution" or c.actions != [DELETE] or not c.arn:
            continue
        users = [a for serving, a in held.items() if serving.startswith(c.arn + "/")]
        if users:
            c.actions = [NOOP]
            c.reason = (
                f"kept: {users[0]} still serves it, since its move to the new solution is "
                "held back by its rollout gate"
            )


def sync_warnings(ctx: Context, desired: dict[str, Desired]) -> list[str]:
    """For each existing campaign with ``syncWithLatestSolutionVersion`` and rollout gates:
    a sentence when the version it serves — its solution's newest ACTIVE version, often one
    the service's auto-training made — misses the gate (``maxRegression`` against the
    ACTIVE version before it, "the previous version"). The service moves such campaigns
    itself (reference §7), so the gate can only report: ``<address>: serves <version ARN>
    (trained by ...), which misses its rollout gate: ...; ...``.

    Raises:
        botocore.exceptions.ClientError / BotoCoreError: a read failed.
    """
    out = []
    for address, d in desired.items():
        rollout = d.extra.get("rollout")
        if d.kind != "campaign" or not rollout or not d.extra.get("sync"):
            continue
        solution = ctx.arns.get(d.extra["solution_address"])
        if ctx.live.get(address) is None or solution is None:
            continue
        active = sorted(
            (
                v
                for page in ctx.personalize.get_paginator("list_solution_versions").paginate(
                    solutionArn=solution
                )
                for v in page.get("solutionVersions", [])
                if v.get("status") == "ACTIVE"
            ),
            key=lambda v: v.get("creationDateTime") or 0,
        )
        if not active:
            continue
        newest = active[-1]
        before = active[-2]["solutionVersionArn"] if len(active) > 1 else None
        v = verdict(ctx, rollout, newest["solutionVersionArn"], before, "previous version")
        if v.misses:
            trained = (
                "trained by the service's auto-training"
                if newest.get("trainingType") == "AUTOMATIC"
                else "trained by apply"
            )
            out.append(
                f"{address}: serves {v.text.replace(' misses', f' ({trained}), which misses', 1)}"
                "; with syncWithLatestSolutionVersion the service deploys every new version "
                "itself, so the gate can only report this"
            )
    return out
