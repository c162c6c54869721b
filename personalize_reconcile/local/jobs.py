"""The durable job queue of the local target: claims, leases, workers, recovery.

One job: run each scheduled step of asynchronous work (a resource's status moving from
CREATE PENDING to ACTIVE, a delete, an update, an import, a training run) exactly once,
even with several threads and processes on one state dir and across crashes. What a step
does is not known here: :class:`Steps` (``personalize_reconcile.local.lifecycle``) says.
Callers: ``service`` (starts workers, advances due steps before answering a request).

A job row is (arn, action, step, due, heavy, owner, lease_until, attempts, payload).

* Light steps (status changes) run inside one ``BEGIN IMMEDIATE`` transaction that also
  deletes or reschedules the job: atomic, so never run twice and never half done.
* Heavy steps (import, training) are claimed in a transaction (owner + lease), worked on
  outside any transaction while a heartbeat renews the lease, and committed in a second
  transaction only if the claim is still ours.
* A claim whose owner died (same host, process gone) or whose lease expired is taken over
  by the next worker; its ``attempts`` goes up. After :data:`MAX_ATTEMPTS` interrupted
  runs the resource fails with a reason instead (never IN_PROGRESS forever).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from personalize_reconcile.local.store import Store

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0
"""How long a heavy step's claim lasts without a heartbeat."""
HEARTBEAT_SECONDS = 5.0
MAX_ATTEMPTS = 3
"""A heavy step interrupted this many times fails its resource."""
IDLE_POLL_MIN_SECONDS = 0.05
IDLE_POLL_SECONDS = 1.0
"""How often, at most, an idle worker looks for due jobs written by other processes (it
starts at :data:`IDLE_POLL_MIN_SECONDS` and backs off; a job scheduled in this process
wakes it at once)."""

_HOST = socket.gethostname()


@dataclass
class Job:
    """One scheduled step.

    Attributes:
        id: row id.
        arn: the resource it works on.
        action: ``create``, ``delete``, ``update`` or ``stop``.
        step: the step name within the action (``start``, ``finish``).
        due: epoch seconds when it may run.
        heavy: whether it runs outside a transaction in a worker thread.
        attempts: interrupted runs so far.
        payload: step data (JSON object).
    """

    id: int
    arn: str
    action: str
    step: str
    due: float
    heavy: bool
    attempts: int
    payload: dict


@dataclass
class Next:
    """What to do after a step: run ``step`` of the same job at ``due`` (epoch s)."""

    step: str
    due: float
    heavy: bool = False
    payload: dict | None = None


class Steps(Protocol):
    """The semantics of job steps (implemented by ``lifecycle.Lifecycle``)."""

    def light(self, conn: sqlite3.Connection, job: Job, now: float) -> Next | None:
        """Run a light step inside the caller's transaction; return the next step or
        ``None`` when the job is finished."""

    def work(self, job: Job, should_stop: Any) -> Any:
        """Run a heavy step's work outside any transaction; return its result."""

    def commit(self, conn: sqlite3.Connection, job: Job, result: Any, now: float) -> Next | None:
        """Record a heavy step's result inside the caller's transaction."""

    def abandon(self, conn: sqlite3.Connection, job: Job, reason: str, now: float) -> None:
        """Fail the job's resource with ``reason`` (the job is then deleted)."""


def schedule(
    conn: sqlite3.Connection,
    arn: str,
    action: str,
    step: str,
    due: float,
    *,
    heavy: bool = False,
    payload: dict | None = None,
) -> None:
    """Insert a job row inside the caller's transaction."""
    conn.execute(
        "INSERT INTO jobs(arn, action, step, due, heavy, payload, created) VALUES (?,?,?,?,?,?,?)",
        (arn, action, step, due, int(heavy), json.dumps(payload or {}), time.time()),
    )


@dataclass
class Forwarded:
    """One scheduled step brought forward by :func:`fast_forward`.

    Attributes:
        arn: the resource the step works on.
        action: ``create``, ``delete``, ``update`` or ``stop``.
        step: the step name (``start``, ``finish``).
        was_due: epoch seconds it was due at before.
    """

    arn: str
    action: str
    step: str
    was_due: float


def fast_forward(
    conn: sqlite3.Connection, now: float, *, arns: list[str] | None = None, one_step: bool = False
) -> list[Forwarded]:
    """Make scheduled steps due at ``now`` (epoch s), inside the caller's transaction.

    With ``one_step`` only each job's next step is brought forward (its later steps keep
    their times: a create then shows CREATE IN_PROGRESS until its own minimum duration
    ends). Without it the rest of each job's minimum duration is dropped too (its payload
    ``duration`` becomes 0), so every later step falls due at once. Steps already claimed
    by a worker (an import or a training run under way) are left alone: their work takes
    the time it takes, but without ``one_step`` their remaining minimum duration is dropped
    too (the payload the runner commits with), so they settle as soon as the work is done.
    ``arns`` limits this to those resources; ``None`` means every job. Returns what was
    brought forward (steps already due are not listed).
    """
    where, params = "", ()
    if arns is not None:
        where = f" AND arn IN ({','.join('?' * len(arns))})"
        params = tuple(arns)
    if not one_step:
        for row in conn.execute(
            f"SELECT {_JOB_COLS} FROM jobs WHERE owner IS NOT NULL" + where, params
        ).fetchall():
            running = _job(row)
            if running.payload.get("duration", 0) != 0:
                conn.execute(
                    "UPDATE jobs SET payload=? WHERE id=?",
                    (json.dumps(dict(running.payload, duration=0)), running.id),
                )
    sql = f"SELECT {_JOB_COLS} FROM jobs WHERE owner IS NULL" + where
    moved: list[Forwarded] = []
    for row in conn.execute(sql + " ORDER BY due, id", params).fetchall():
        job = _job(row)
        payload = job.payload
        if not one_step and payload.get("duration", 0) != 0:
            payload = dict(payload, duration=0)
        if job.due <= now and payload is job.payload:
            continue
        conn.execute(
            "UPDATE jobs SET due=?, payload=? WHERE id=?",
            (min(job.due, now), json.dumps(payload), job.id),
        )
        if job.due > now:
            moved.append(Forwarded(job.arn, job.action, job.step, job.due))
    return moved


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_dead(owner: str) -> bool:
    host, _, rest = owner.partition("|")
    pid_text = rest.split("|", 1)[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        # Our own process: dead only if the claim came from an earlier incarnation of
        # this pid (a different nonce), which cannot be running.
        return not owner.endswith("|" + _NONCE)
    return not _pid_alive(pid)


_NONCE = uuid.uuid4().hex[:12]


def _job(row: tuple) -> Job:
    return Job(
        id=row[0],
        arn=row[1],
        action=row[2],
        step=row[3],
        due=row[4],
        heavy=bool(row[5]),
        attempts=row[6],
        payload=json.loads(row[7]),
    )


_JOB_COLS = "id, arn, action, step, due, heavy, attempts, payload"


class JobRunner:
    """Runs due job steps for one state dir.

    Args:
        store: the state dir's database.
        steps: what each step does.
    """

    def __init__(self, store: Store, steps: Steps) -> None:
        self.store = store
        self.steps = steps
        self.owner = f"{_HOST}|{os.getpid()}|{_NONCE}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._light_lock = threading.Lock()

    # -- light steps -------------------------------------------------------------------

    def run_due_light(self, now: float | None = None) -> int:
        """Run every light step that is due, each in its own transaction, until none
        is left (steps may schedule further due steps). Returns how many ran.

        Cheap when nothing is due: one indexed read.
        """
        ran = 0
        conn = self.store.conn()
        for _ in range(1000):
            t = time.time() if now is None else now
            if (
                conn.execute(
                    "SELECT 1 FROM jobs WHERE heavy=0 AND due<=? AND owner IS NULL LIMIT 1", (t,)
                ).fetchone()
                is None
            ):
                break
            if not self._run_one_light(t):
                break
            ran += 1
        return ran

    def _run_one_light(self, now: float) -> bool:
        with self.store.write() as conn:
            row = conn.execute(
                f"SELECT {_JOB_COLS} FROM jobs WHERE heavy=0 AND due<=? AND owner IS NULL"
                " ORDER BY due, id LIMIT 1",
                (now,),
            ).fetchone()
            if row is None:
                return False
            job = _job(row)
            conn.execute("SAVEPOINT step")
            try:
                nxt = self.steps.light(conn, job, now)
            except Exception:  # noqa: BLE001 - a bug must not wedge the queue
                log.exception("job %s (%s %s of %s) failed", job.id, job.action, job.step, job.arn)
                conn.execute("ROLLBACK TO step")
                self.steps.abandon(
                    conn, job, f"Internal error in the local target while processing {job.arn}", now
                )
                nxt = None
            conn.execute("RELEASE step")
            self._advance(conn, job, nxt)
        if nxt is not None and nxt.heavy:
            self._wake.set()
        return True

    def _advance(self, conn: sqlite3.Connection, job: Job, nxt: Next | None) -> None:
        if nxt is None:
            conn.execute("DELETE FROM jobs WHERE id=?", (job.id,))
        else:
            payload = job.payload if nxt.payload is None else nxt.payload
            conn.execute(
                "UPDATE jobs SET step=?, due=?, heavy=?, owner=NULL, lease_until=NULL,"
                " attempts=0, payload=? WHERE id=?",
                (nxt.step, nxt.due, int(nxt.heavy), json.dumps(payload), job.id),
            )

    # -- heavy steps -------------------------------------------------------------------

    def _claim_heavy(self, now: float) -> Job | None:
        # Look before locking: most of the time nothing heavy is due, and a write lock
        # taken for nothing would make concurrent requests wait.
        candidates = (
            self.store.conn()
            .execute(
                "SELECT owner, lease_until FROM jobs WHERE heavy=1 AND due<=? LIMIT 50", (now,)
            )
            .fetchall()
        )
        if not any(
            owner is None
            or owner != self.owner
            and ((lease is not None and lease < now) or _owner_dead(owner))
            for owner, lease in candidates
        ):
            return None
        with self.store.write() as conn:
            rows = conn.execute(
                f"SELECT {_JOB_COLS}, owner, lease_until FROM jobs WHERE heavy=1 AND due<=?"
                " ORDER BY due, id LIMIT 50",
                (now,),
            ).fetchall()
            for row in rows:
                owner, lease_until = row[8], row[9]
                job = _job(row[:8])
                if owner is not None:
                    if owner == self.owner:
                        continue
                    if not (lease_until is not None and lease_until < now) and not _owner_dead(
                        owner
                    ):
                        continue
                    job.attempts += 1
                    log.warning(
                        "taking over %s of %s from %s (attempt %d)",
                        job.step,
                        job.arn,
                        owner,
                        job.attempts + 1,
                    )
                    if job.attempts >= MAX_ATTEMPTS:
                        self.steps.abandon(
                            conn,
                            job,
                            f"The job was interrupted {job.attempts} times by "
                            "the local target's process exiting and was not retried again",
                            now,
                        )
                        conn.execute("DELETE FROM jobs WHERE id=?", (job.id,))
                        continue
                conn.execute(
                    "UPDATE jobs SET owner=?, lease_until=?, attempts=? WHERE id=?",
                    (self.owner, now + LEASE_SECONDS, job.attempts, job.id),
                )
                return job
        return None

    @staticmethod
    def _fresh(conn: sqlite3.Connection, job: Job) -> Job:
        """``job`` as its row reads now (``job`` itself when the row is gone)."""
        row = conn.execute(f"SELECT {_JOB_COLS} FROM jobs WHERE id=?", (job.id,)).fetchone()
        return _job(row) if row is not None else job

    def _still_ours(self, conn: sqlite3.Connection, job: Job) -> bool:
        row = conn.execute("SELECT owner FROM jobs WHERE id=?", (job.id,)).fetchone()
        return row is not None and row[0] == self.owner

    def _run_heavy(self, job: Job) -> None:
        done = threading.Event()

        def heartbeat() -> None:
            while not done.wait(HEARTBEAT_SECONDS):
                try:
                    with self.store.write() as conn:
                        conn.execute(
                            "UPDATE jobs SET lease_until=? WHERE id=? AND owner=?",
                            (time.time() + LEASE_SECONDS, job.id, self.owner),
                        )
                except sqlite3.Error:
                    log.exception("could not renew the claim on job %s", job.id)

        beat = threading.Thread(
            target=heartbeat, name=f"preconcile-heartbeat-{job.id}", daemon=True
        )
        beat.start()
        try:
            try:
                result = self.steps.work(job, lambda: self._stop.is_set())
            except Exception as exc:  # noqa: BLE001 - reported as the resource's failure
                log.exception("job %s (%s %s of %s) failed", job.id, job.action, job.step, job.arn)
                result = exc
        finally:
            done.set()
        if self._stop.is_set() and isinstance(result, _Interrupted):
            return  # shutting down: leave the claim; the next start takes it over
        with self.store.write() as conn:
            if not self._still_ours(conn, job):
                log.warning("job %s was taken over while running; result dropped", job.id)
                return
            conn.execute("SAVEPOINT step")
            try:
                # the payload as it is now: a fast-forward meanwhile may have dropped the
                # rest of the minimum duration
                job = self._fresh(conn, job)
                nxt = self.steps.commit(conn, job, result, time.time())
            except Exception:  # noqa: BLE001
                log.exception("committing job %s failed", job.id)
                conn.execute("ROLLBACK TO step")
                self.steps.abandon(
                    conn,
                    job,
                    f"Internal error in the local target while processing {job.arn}",
                    time.time(),
                )
                nxt = None
            conn.execute("RELEASE step")
            self._advance(conn, job, nxt)

    # -- workers -----------------------------------------------------------------------

    def wake(self) -> None:
        """Tell idle workers that a job may be due."""
        self._wake.set()

    def next_due(self) -> float | None:
        """When a job may next be runnable here (epoch s): its due time, or for a job
        claimed by someone else, when that claim expires. ``None`` when the queue is
        empty."""
        row = (
            self.store.conn()
            .execute(
                "SELECT MIN(CASE WHEN owner IS NULL THEN due ELSE MAX(due, lease_until) END)"
                " FROM jobs"
            )
            .fetchone()
        )
        return row[0] if row else None

    def run_once(self) -> bool:
        """Run due light steps, then at most one heavy step. Returns whether anything ran."""
        ran = self.run_due_light() > 0
        job = self._claim_heavy(time.time())
        if job is not None:
            self._run_heavy(job)
            ran = True
        return ran

    def _loop(self) -> None:
        idle = IDLE_POLL_MIN_SECONDS
        while not self._stop.is_set():
            try:
                if self.run_once():
                    idle = IDLE_POLL_MIN_SECONDS
                    continue
                wait = idle
                due = self.next_due()
                if due is not None:
                    wait = max(0.0, min(wait, due - time.time()))
                if self._wake.wait(wait):
                    idle = IDLE_POLL_MIN_SECONDS
                else:
                    idle = min(idle * 2, IDLE_POLL_SECONDS)
                self._wake.clear()
            except sqlite3.Error:
                if self._stop.is_set():
                    return
                log.exception("job worker: database error; retrying")
                time.sleep(IDLE_POLL_SECONDS)

    def start(self, workers: int = 2) -> None:
        """Start ``workers`` daemon threads that run due steps until :meth:`stop`."""
        if self._threads:
            return
        for i in range(workers):
            t = threading.Thread(target=self._loop, name=f"preconcile-jobs-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers (a heavy step in progress finishes first, up to ``timeout``)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            # keep waking: another worker may have cleared the event before this one waited
            while t.is_alive() and time.monotonic() < deadline:
                self._wake.set()
                t.join(0.005)
        self._threads = []


class _Interrupted(Exception):
    """Work abandoned because the runner is stopping."""
