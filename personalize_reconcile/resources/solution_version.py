"""Solution version: a trained model (CreateSolutionVersion; reference §2, §6).

Create-only: versions cannot be updated or deleted (they go with their solution). The
version's ``name`` records why it exists — ``d<data>-c<config>``, fingerprints of the
imports it trains on and of the solution's configuration — so the plan can say whether
the data or the configuration changed since the solution's latest version, and re-running
apply never trains the same thing twice; a retry after a failed or stopped training gets
``-<attempt>`` appended, since names are unique within the solution (reference §1). Read
with one DescribeSolutionVersion of the solution's ``latestSolutionVersion``; everything
about a version is looked up under its own solution. Versions the service trains on its
own (``trainingType`` AUTOMATIC, a solution with ``performAutoTraining``) are not the
manifest's: they are expected, not drift, and the manifest's version is the solution's
newest version trained by hand.
"""

from __future__ import annotations

import csv
import os
import time

from botocore.exceptions import ClientError

from personalize_reconcile.resources.base import (
    UNKNOWN,
    AlreadyMade,
    Context,
    Desired,
    Kind,
    Live,
    error_code,
)
from personalize_reconcile.resources.fingerprint import (
    parse_version_name,
    version_attempt,
    version_name,
)
from personalize_reconcile.rules import events as events_rules

AUTOMATIC = "AUTOMATIC"
"""``trainingType`` of a version the service's auto-training made (reference §6)."""


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
        arn = latest["solutionVersionArn"]
        if latest.get("trainingType") == AUTOMATIC:
            arn = self._latest_manual(ctx, solution.arn)
            if arn is None:
                return None
        raw = self.describe(ctx, arn)
        if raw is None:
            return None
        return self.live(raw, {"name": raw.get("name")})

    @staticmethod
    def _latest_manual(ctx: Context, solution_arn: str) -> str | None:
        """The ARN of the solution's newest version not trained by the service's
        auto-training (ListSolutionVersions' ``trainingType``, reference §2, §6)."""
        summaries = [
            s
            for page in ctx.personalize.get_paginator("list_solution_versions").paginate(
                solutionArn=solution_arn
            )
            for s in page.get("solutionVersions", [])
            if s.get("trainingType") != AUTOMATIC
        ]
        if not summaries:
            return None
        newest = max(summaries, key=lambda s: s.get("creationDateTime") or 0)
        return newest["solutionVersionArn"]

    def _alike(self, ctx: Context, desired: Desired) -> list[dict]:
        """Describe objects of the solution's versions trained on the same data and
        configuration as ``desired`` (any attempt), newest first: ListSolutionVersions under
        the solution, then one Describe each (the List summaries carry no name)."""
        solution = ctx.arns[desired.extra["solution_address"]]
        summaries = []
        for page in ctx.personalize.get_paginator("list_solution_versions").paginate(
            solutionArn=solution
        ):
            summaries.extend(page.get("solutionVersions", []))
        summaries.sort(key=lambda v: v.get("creationDateTime") or 0, reverse=True)
        wanted = parse_version_name(desired.name)
        described = (self.describe(ctx, s["solutionVersionArn"]) for s in summaries)
        return [r for r in described if r and parse_version_name(r.get("name")) == wanted]

    def find(self, ctx: Context, desired: Desired) -> Live | None:
        """The solution's version named ``desired.name`` (another apply may have created it
        since refresh), looked up under the solution only."""
        raw = next((r for r in self._alike(ctx, desired) if r["name"] == desired.name), None)
        return None if raw is None else self.live(raw, {"name": raw.get("name")})

    def why(self, desired: Desired, live: Live | None) -> str:
        """Why a new version is needed (for the plan's reason), with a note when the
        local Interactions data it trains on is old (:func:`old_data_note`)."""
        return self._why(desired, live) + old_data_note(
            desired.extra.get("interaction_files") or []
        )

    def _why(self, desired: Desired, live: Live | None) -> str:
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
        """CreateSolutionVersion under the solution. When the name is taken in the solution
        (names are unique there, reference §1): a version of the same data and
        configuration that has not failed or stopped is used (another apply started it);
        otherwise the next attempt's name (``-<n>``) is created, so a failed version that
        is no longer the latest never blocks a retry.

        Raises:
            AlreadyMade: such a version exists already (its ARN is on the exception).
            botocore.exceptions.ClientError: the service refused the request.
        """
        try:
            return self._create(ctx, desired)
        except ClientError as e:
            if error_code(e) != "ResourceAlreadyExistsException":
                raise
        alike = self._alike(ctx, desired)
        usable = [r for r in alike if not r.get("status", "").endswith(("FAILED", "STOPPED"))]
        if usable:
            raise AlreadyMade(usable[0]["solutionVersionArn"])
        attempt = max((version_attempt(r["name"]) for r in alike), default=1) + 1
        desired.name = version_name(*parse_version_name(desired.name), attempt)
        return self._create(ctx, desired)

    def _create(self, ctx: Context, desired: Desired) -> str:
        return ctx.personalize.create_solution_version(
            solutionArn=ctx.arns[desired.extra["solution_address"]],
            name=desired.name,
            trainingMode=desired.extra.get("training_mode", "FULL"),
            tags=ctx.tags_for(desired),
        )["solutionVersionArn"]


OLD_DATA_MAX_BYTES = 64 * 1024 * 1024
"""Interactions files up to this size are read for their newest timestamp when a version
is planned."""


def old_data_note(paths: list[str], now: float | None = None) -> str:
    """``; note: the newest interaction in <file> is from <day>, N days before now; ...``
    when the newest TIMESTAMP of the ``uploadFrom`` files a version trains on is a year or
    more before ``now`` (epoch seconds; default: the time of the call), else ``""``
    (also when a file cannot be read, has no TIMESTAMP column or is larger than
    :data:`OLD_DATA_MAX_BYTES`: the import reports what is wrong with it). The wording is
    ``rules.events.old_data_note``'s, which training writes to the version's notes too."""
    newest, where = None, ""
    for path in paths:
        try:
            if os.path.getsize(path) > OLD_DATA_MAX_BYTES:
                return ""
            with open(path, newline="", encoding="utf-8") as fh:
                rows = csv.reader(fh)
                header = [h.strip().upper() for h in next(rows, [])]
                if "TIMESTAMP" not in header:
                    return ""
                at = header.index("TIMESTAMP")
                for row in rows:
                    if len(row) > at and row[at].isdigit():
                        stamp = int(row[at])
                        if newest is None or stamp > newest:
                            newest, where = stamp, os.path.basename(path)
        except (OSError, UnicodeDecodeError, csv.Error):
            return ""
    if newest is None:
        return ""
    note = events_rules.old_data_note(float(newest), time.time() if now is None else now, where)
    return f"; note: {note}" if note else ""
