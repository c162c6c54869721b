"""Solution version: a trained model (CreateSolutionVersion; reference §2, §6).

Create-only: versions cannot be updated or deleted (they go with their solution). The
version's ``name`` records why it exists — ``d<data>-c<config>``, fingerprints of the
imports it trains on and of the solution's configuration — so the plan can say whether
the data or the configuration changed since the solution's latest version, and re-running
apply never trains the same thing twice; a retry after a failed or stopped training gets
``-<attempt>`` appended, since names are unique within the solution (reference §1). Read
with one DescribeSolutionVersion of the solution's ``latestSolutionVersion``; everything
about a version is looked up under its own solution.
"""

from __future__ import annotations

from personalize_reconcile.resources.base import UNKNOWN, Context, Desired, Kind, Live
from personalize_reconcile.resources.fingerprint import parse_version_name


class SolutionVersionKind(Kind):
    """The ``solution_version`` resource kind."""

    kind = "solution_version"
    title = "solution version"
    result_key = "solutionVersion"
    arn_key = "solutionVersionArn"
    create_only = True
    holds_data = True
    policy: dict = {}

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        solution = ctx.live.get(desired.extra["solution_address"])
        if solution is None or solution.raw.get("foreign"):
            return None
        latest = solution.raw.get("latestSolutionVersion")
        if not latest:
            return None
        raw = self.describe(ctx, latest["solutionVersionArn"])
        if raw is None:
            return None
        return self.live(raw, {"name": raw.get("name")})

    def find(self, ctx: Context, desired: Desired) -> Live | None:
        """The solution's version named ``desired.name`` (another apply may have created it
        since refresh): ListSolutionVersions, newest first, then Describe until found."""
        solution = ctx.arns[desired.extra["solution_address"]]
        summaries = []
        for page in ctx.personalize.get_paginator("list_solution_versions").paginate(
            solutionArn=solution
        ):
            summaries.extend(page.get("solutionVersions", []))
        summaries.sort(key=lambda v: v.get("creationDateTime") or 0, reverse=True)
        for summary in summaries:
            raw = self.describe(ctx, summary["solutionVersionArn"])
            if raw is not None and raw.get("name") == desired.name:
                return self.live(raw, {"name": raw.get("name")})
        return None

    def why(self, desired: Desired, live: Live | None) -> str:
        """Why a new version is needed (for the plan's reason)."""
        if live is None:
            return "the solution has no version yet"
        if desired.name is UNKNOWN:
            return "its data or solution will change"
        old = parse_version_name(live.fields.get("name"))
        new = parse_version_name(desired.name)
        if old is None or new is None:
            return (
                f"the latest version ({live.fields.get('name') or 'unnamed'}) was not "
                "trained by this manifest"
            )
        reasons = []
        if old[0] != new[0]:
            reasons.append("the data changed")
        if old[1] != new[1]:
            reasons.append("the solution's configuration changed")
        if not reasons and live.status.endswith("FAILED"):
            return f"the last training failed: {live.failure_reason or 'no reason given'}"
        if not reasons and live.status.endswith("STOPPED"):
            return "the last training was stopped"
        return " and ".join(reasons) + " since the latest version"

    def create(self, ctx: Context, desired: Desired) -> str:
        return ctx.personalize.create_solution_version(
            solutionArn=ctx.arns[desired.extra["solution_address"]],
            name=desired.name,
            trainingMode=desired.extra.get("training_mode", "FULL"),
            tags=ctx.tags_for(desired),
        )["solutionVersionArn"]
