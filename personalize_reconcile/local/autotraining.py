"""Automatic training in the local target: the versions a solution with
``performAutoTraining`` trains on its own schedule.

One job: keep one ``autotrain`` job per ACTIVE solution with auto-training on, and, when
it falls due, create a solution version the way the service does (reference §6): the
first run about :data:`FIRST_RUN_SECONDS` after the solution is ACTIVE, skipped when a
version was created by hand in that time; then one run every ``rate(N days)`` of the
solution's ``autoTrainingConfig`` (default 7 days). Such a version has ``trainingType``
``AUTOMATIC`` and ``trainingMode`` ``AUTOTRAIN`` (the enum value the service model has for
it; reference §6 lists AUTOTRAIN as read back, not sent) and otherwise trains like any
other. A run is skipped while a version of the solution is still training, or when the
region's in-progress quota is reached.

The schedule is a job row due at a real time, so it runs on the same clock as every other
minimum duration: ``preconcile local fast-forward`` brings it forward; without
``--one-step`` the version it starts drops its minimum duration too, so it trains at once.

Not modeled: the service trains only when new interactions arrived since the last
training; the local target trains on every run.

Callers: ``lifecycle.Lifecycle`` (through the hooks ``service`` hands it:
:meth:`AutoTraining.solution_settled` when a solution's creation or update turns ACTIVE,
:meth:`AutoTraining.step` for a due ``autotrain`` job).
"""

from __future__ import annotations

import json
import re
import sqlite3

from personalize_reconcile.local import jobs
from personalize_reconcile.local.control.context import RequestContext, Target
from personalize_reconcile.local.control.solution_versions import (
    SOLUTION_VERSIONS_IN_PROGRESS_PER_REGION,
    new_version,
)
from personalize_reconcile.local.jobs import Job, Next
from personalize_reconcile.local.lifecycle import AUTOTRAIN_ACTION as ACTION
from personalize_reconcile.local.statuses import ACTIVE, CREATE_STOPPING, CREATING
from personalize_reconcile.local.store import Resource

FIRST_RUN_SECONDS = 3600.0
"""Reference §6: the first automatic version starts within about an hour of ACTIVE."""
DAY_SECONDS = 86400.0
DEFAULT_DAYS = 7
"""Reference §6: ``rate(7 days)`` when no autoTrainingConfig is given."""

_RATE_RE = re.compile(r"rate\((\d+) days?\)")


def period_seconds(solution: Resource) -> float:
    """Seconds between two automatic trainings of ``solution``: N days of its
    ``autoTrainingConfig.schedulingExpression`` ``rate(N days)`` (7 when unset)."""
    expr = ((solution.body.get("solutionConfig") or {}).get("autoTrainingConfig") or {}).get(
        "schedulingExpression", ""
    )
    m = _RATE_RE.fullmatch(expr or "")
    return (int(m.group(1)) if m else DEFAULT_DAYS) * DAY_SECONDS


class AutoTraining:
    """The auto-training schedule of every solution of one running target.

    Args:
        target: the running target (``service.LocalService``): its store, settings and
            job runner, as a handler's ``RequestContext`` carries them.
    """

    def __init__(self, target: Target) -> None:
        self.target = target

    def solution_settled(self, conn: sqlite3.Connection, sol: Resource, now: float) -> None:
        """A solution's creation or update turned ACTIVE at ``now`` (epoch s): start,
        keep, re-time or drop its schedule. A new schedule starts with the first run at
        ``now`` + :data:`FIRST_RUN_SECONDS`; a running one keeps its next run, re-timed
        from its last run when the rate changed; auto-training off drops it."""
        row = conn.execute(
            "SELECT id, step, payload FROM jobs WHERE arn=? AND action=?", (sol.arn, ACTION)
        ).fetchone()
        if sol.status != ACTIVE or not sol.body.get("performAutoTraining"):
            conn.execute("DELETE FROM jobs WHERE arn=? AND action=?", (sol.arn, ACTION))
            return
        if row is None:
            jobs.schedule(
                conn,
                sol.arn,
                ACTION,
                "first",
                now + FIRST_RUN_SECONDS,
                payload={"duration": FIRST_RUN_SECONDS, "active": now},
            )
            return
        job_id, step, payload = row
        if step == "scheduled":
            since = float(json.loads(payload or "{}").get("since", now))
            period = period_seconds(sol)
            conn.execute(
                "UPDATE jobs SET due=?, payload=? WHERE id=? AND owner IS NULL",
                (since + period, json.dumps({"duration": period, "since": since}), job_id),
            )

    def step(self, conn: sqlite3.Connection, job: Job, now: float) -> Next | None:
        """Run a due ``autotrain`` job of a solution: start an AUTOMATIC version (or skip
        this run, see the module docstring) and return the next run; ``None`` ends the
        schedule (the solution is gone, not ACTIVE or no longer auto-trains)."""
        store = self.target.store
        sol = store.get(job.arn, conn)
        if sol is None or sol.status != ACTIVE or not sol.body.get("performAutoTraining"):
            return None
        period = period_seconds(sol)
        versions = store.select(conn, "kind='solution-version' AND parent=?", (sol.arn,))
        following = Next("scheduled", now + period, payload={"duration": period, "since": now})
        if job.step == "first":
            active = float(job.payload.get("active", sol.updated))
            if any(
                v.body.get("trainingType") == "MANUAL" and v.created >= active for v in versions
            ):
                # Reference §6: a version created by hand in the first hour skips this run.
                due = active + period
                return Next("scheduled", due, payload={"duration": period, "since": active})
        busy = any(v.status in CREATING or v.status == CREATE_STOPPING for v in versions)
        if busy or self._quota_reached(conn, sol):
            return following
        ctx = RequestContext(account=sol.account, region=sol.region, service=self.target)
        version = new_version(ctx, conn, sol, "AUTOTRAIN", "AUTOMATIC")
        if job.payload.get("duration") == 0:
            # fast-forwarded without --one-step: the training it starts does not wait either
            jobs.fast_forward(conn, now, arns=[version.arn])
        return following

    @staticmethod
    def _quota_reached(conn: sqlite3.Connection, sol: Resource) -> bool:
        running = conn.execute(
            "SELECT COUNT(*) FROM resources WHERE kind='solution-version' AND account=? AND "
            "region=? AND status IN (?,?,?)",
            (sol.account, sol.region, *CREATING, CREATE_STOPPING),
        ).fetchone()[0]
        return running >= SOLUTION_VERSIONS_IN_PROGRESS_PER_REGION
