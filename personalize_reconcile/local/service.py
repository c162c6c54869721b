"""One running local Personalize target: configuration, database, job runner and the status
machine it drives.

One job: build and share the per-state-dir objects of the local target, so that every
client in a process (and the HTTP server) uses one database handle set and one set of
worker threads. Callers: ``personalize_reconcile.local.transport`` (in-process clients),
``personalize_reconcile.local.server``, and every handler through
``RequestContext.service`` (the control plane, ``personalize_reconcile.local.control``,
and the personalize-runtime handlers).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from personalize_reconcile.local import control
from personalize_reconcile.local.autotraining import AutoTraining
from personalize_reconcile.local.config import LocalConfig, load_config
from personalize_reconcile.local.jobs import Forwarded, JobRunner, fast_forward
from personalize_reconcile.local.lifecycle import Lifecycle
from personalize_reconcile.local.store import Store

log = logging.getLogger(__name__)


class LocalService:
    """The local target of one state dir.

    Attributes:
        config: resolved settings (state dir, account, durations).
        store: the SQLite state.
        auto_training: the solutions' automatic-training schedules (``autotraining``).
        lifecycle: the status machine the runner's jobs run (it builds the trainer's
            input with the control plane's ``describe`` and runs the schedules).
        runner: the job runner (workers start with :meth:`start`).
    """

    def __init__(self, config: LocalConfig) -> None:
        self.config = config
        self.store = Store(config.db_path)
        # The whole package: its kind modules register the Describe shapes' computed fields.
        self.auto_training = AutoTraining(self)
        self.lifecycle = Lifecycle(self.store, config, control.describe, self.auto_training)
        self.runner = JobRunner(self.store, self.lifecycle)
        self._swept = False

    def start(self, workers: int = 2) -> None:
        """Start the background workers (idempotent). Claims left by a process that
        exited are taken over by them (``jobs`` module docstring); resources left in a
        transitional state with no job at all are settled first
        (``Lifecycle.sweep_orphans``)."""
        if not self._swept:
            self._swept = True
            self.lifecycle.sweep_orphans(time.time())
        self.runner.start(workers)

    def advance(self) -> None:
        """Run the light job steps that are due (before answering a request)."""
        self.runner.run_due_light()

    def fast_forward(
        self, arns: list[str] | None = None, *, one_step: bool = False
    ) -> list[Forwarded]:
        """Bring scheduled steps forward to now (see :func:`jobs.fast_forward`), run the
        status changes that are then due, and wake the workers for imports and training.

        Args:
            arns: only the jobs of these resources; ``None`` for every job.
            one_step: only each job's next step, keeping the rest of its duration.

        Returns:
            The steps brought forward, earliest first.
        """
        with self.store.write() as conn:
            moved = fast_forward(conn, time.time(), arns=arns, one_step=one_step)
        self.advance()
        self.runner.wake()
        return moved

    def close(self) -> None:
        """Stop the workers and close the database connections."""
        self.runner.stop()
        self.store.close()


_services: dict[tuple[Path, str, tuple], LocalService] = {}
_lock = threading.Lock()


def get_service(
    state_dir: str | Path | None = None,
    *,
    account_id: str | None = None,
    durations: dict[str, float] | None = None,
    start: bool = True,
) -> LocalService:
    """The process-wide :class:`LocalService` for a state dir and settings (created on
    first use; its workers started when ``start``).

    Raises:
        personalize_reconcile.local.config.ConfigError: unusable settings.
        sqlite3.DatabaseError: the state dir holds a database this version cannot use.
    """
    config = load_config(state_dir, account_id=account_id, durations=durations)
    key = (config.state_dir, config.account_id, tuple(sorted(config.durations.items())))
    with _lock:
        svc = _services.get(key)
        if svc is None:
            svc = LocalService(config)
            _services[key] = svc
    if start:
        svc.start()
    return svc


def close_service(svc: LocalService) -> None:
    """Stop and forget ``svc`` (tests call this between state dirs)."""
    with _lock:
        for key, value in list(_services.items()):
            if value is svc:
                del _services[key]
    svc.close()
