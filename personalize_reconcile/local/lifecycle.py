"""What each step of a resource's asynchronous life does in the local target.

One job: the state machine behind the statuses (reference §2): Std creation
``CREATE PENDING -> CREATE IN_PROGRESS -> ACTIVE | CREATE FAILED``, updates in
``latest*Update`` (same words; copied to the top level when ACTIVE), solution-version
stopping, a recommender's stop and start (``STOP PENDING -> STOP IN_PROGRESS ->
INACTIVE``, ``START PENDING -> START IN_PROGRESS -> ACTIVE``), and deletes
``DELETE PENDING -> DELETE IN_PROGRESS -> gone`` (dataset groups show only DELETE
PENDING). A solution's ``autotrain`` jobs (its automatic-training schedule) run through
the hooks ``service`` hands in (``autotraining``). Heavy steps call the seams
(``seams.run_import``, ``seams.run_batch``, ``seams.run_export``, ``seams.run_deletion``,
the solution-version and recommender trainers).
Caller: :class:`~personalize_reconcile.local.jobs.JobRunner`.

Timing: with D the minimum duration of the kind (``LocalConfig.duration``), a resource
leaves the PENDING state at 0.2 D after the request and settles no earlier than D after it.
An import or a training run starts when its resource leaves PENDING, so the resource
settles at D, or when that work is done if it takes longer.
"""

from __future__ import annotations

import logging
import math
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from personalize_reconcile.local import seams
from personalize_reconcile.local import statuses as M  # noqa: N812 - status names
from personalize_reconcile.local.config import LocalConfig
from personalize_reconcile.local.jobs import Job, Next
from personalize_reconcile.local.store import Resource, Store

log = logging.getLogger(__name__)

STOP_SHARE = 0.2
"""A solution version being stopped shows CREATE STOPPING for at least this share of its
kind's minimum duration D after StopSolutionVersionCreation (like leaving PENDING), and
until its training run has stopped, then CREATE STOPPED (reference §2)."""
DROP_RETRY_SECONDS = 5.0
"""How soon a dataset delete whose stored records could not be removed tries again."""


Describe = Callable[[Resource, "sqlite3.Connection | None", "Store | None"], dict]
"""``describe(res, conn, store)``: the Describe shape of a stored resource (the control
plane's ``control.describe``, handed in by ``LocalService``)."""


class AutoTrainingHooks(Protocol):
    """A solution's automatic-training schedule (``autotraining.AutoTraining``, handed in
    by ``LocalService``)."""

    def solution_settled(self, conn: sqlite3.Connection, sol: Resource, now: float) -> None:
        """A solution's creation or update turned ACTIVE: start, keep or drop its schedule."""

    def step(self, conn: sqlite3.Connection, job: Job, now: float) -> Next | None:
        """Run a due job of the schedule's action; return its next run or ``None``."""


AUTOTRAIN_ACTION = "autotrain"
"""The job action of a solution's automatic-training schedule."""


class Lifecycle:
    """Implements :class:`personalize_reconcile.local.jobs.Steps` for Personalize.

    ``describe`` builds the Describe-shaped solution, version and datasets a trainer gets
    (seam 1 of ``seams``); it is passed in so that this module needs nothing of the
    control plane but the status words (``statuses``).
    """

    def __init__(
        self,
        store: Store,
        config: LocalConfig,
        describe: Describe,
        auto_training: AutoTrainingHooks | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.describe = describe
        self.auto_training = auto_training

    # -- light steps -------------------------------------------------------------------

    def light(self, conn: sqlite3.Connection, job: Job, now: float) -> Next | None:
        """Run a status change; see the module docstring."""
        res = self.store.get(job.arn, conn)
        if res is None:
            return None
        # The duration was fixed when the job was scheduled (clients with other settings
        # may run its steps).
        d = float(job.payload.get("duration", self.config.duration(res.kind)))
        if job.action == "create":
            return self._create_step(conn, res, job, now, d)
        if job.action == "update":
            return self._update_step(conn, res, job, now, d)
        if job.action == "delete":
            return self._delete_step(conn, res, job, now, d)
        if job.action == AUTOTRAIN_ACTION and self.auto_training is not None:
            return self.auto_training.step(conn, job, now)
        if job.action in M.TOGGLES:
            return self._toggle_step(conn, res, job, now, d)
        log.error("unknown job action %r for %s", job.action, job.arn)
        return None

    def _create_step(
        self, conn: sqlite3.Connection, res: Resource, job: Job, now: float, d: float
    ) -> Next | None:
        if job.step == "start":
            if res.status != M.CREATE_PENDING:
                return None
            res.status = M.CREATE_IN_PROGRESS
            self.store.save(conn, res)
            if res.kind in M.HEAVY_KINDS:
                # the import or training runs now; its result settles at D (see commit)
                return Next("finish", now, heavy=True)
            return Next("finish", res.created + d)
        if job.step == "settle":
            if res.status == M.CREATE_STOPPING and now < self._stopping_until(res, d):
                return Next("finish", self._stopping_until(res, d))
            self._settle(res, job.payload.get("outcome") or {})
            self.store.save(conn, res)
            return None
        # light finish
        if res.status == M.CREATE_STOPPING:
            until = self._stopping_until(res, d)
            if now < until:
                return Next("finish", until, heavy=False)
            res.status = M.CREATE_STOPPED
        elif res.status == M.CREATE_IN_PROGRESS:
            res.status = M.ACTIVE
        else:
            return None
        self.store.save(conn, res)
        self._settled(conn, res, now)
        return None

    @staticmethod
    def _stopping_until(res: Resource, d: float) -> float:
        """When a CREATE STOPPING resource may show CREATE STOPPED (epoch s)."""
        return float(res.extra.get(M.STOP_REQUESTED, 0.0)) + STOP_SHARE * d

    def _settled(self, conn: sqlite3.Connection, res: Resource, now: float) -> None:
        if res.kind == "solution" and self.auto_training is not None:
            self.auto_training.solution_settled(conn, res, now)

    def _toggle_step(
        self, conn: sqlite3.Connection, res: Resource, job: Job, now: float, d: float
    ) -> Next | None:
        """A recommender's stop or start: PENDING -> IN_PROGRESS at 0.2 D, then the
        settled status (INACTIVE or ACTIVE) at D after the request."""
        pending, running, settled = M.TOGGLES[job.action]
        if job.step == "start":
            if res.status != pending:
                return None
            res.status = running
            self.store.save(conn, res)
            return Next("finish", job.payload.get("requested", now) + d)
        if res.status != running:
            return None
        res.status = settled
        self.store.save(conn, res)
        return None

    def _update_step(
        self, conn: sqlite3.Connection, res: Resource, job: Job, now: float, d: float
    ) -> Next | None:
        key = M.LATEST_KEY[res.kind]
        latest = res.body.get(key)
        if not latest:
            return None
        if job.step == "start":
            latest["status"] = M.CREATE_IN_PROGRESS
            latest["lastUpdatedDateTime"] = now
            self.store.save(conn, res)
            return Next("finish", job.payload.get("requested", now) + d)
        latest["status"] = M.ACTIVE
        latest["lastUpdatedDateTime"] = now
        self._apply_update(res, latest)
        self.store.save(conn, res)
        self._settled(conn, res, now)
        return None

    @staticmethod
    def _apply_update(res: Resource, latest: dict) -> None:
        body = res.body
        if res.kind == "dataset":
            body["schemaArn"] = latest["schemaArn"]
        elif res.kind == "solution":
            body["performAutoTraining"] = latest.get("performAutoTraining", True)
            body["performIncrementalUpdate"] = latest.get("performIncrementalUpdate", False)
            cfg = dict(body.get("solutionConfig") or {})
            upd = latest.get("solutionUpdateConfig") or {}
            for k in ("autoTrainingConfig", "eventsConfig"):
                if k in upd:
                    cfg[k] = upd[k]
                else:
                    cfg.pop(k, None)
            if cfg:
                body["solutionConfig"] = cfg
            else:
                body.pop("solutionConfig", None)
        elif res.kind == "campaign":
            body["solutionVersionArn"] = latest["solutionVersionArn"]
            # a version of another solution moves the campaign to that solution
            res.parent = latest["solutionVersionArn"].rsplit("/", 1)[0]
            body["minProvisionedTPS"] = latest["minProvisionedTPS"]
            if "campaignConfig" in latest:
                body["campaignConfig"] = latest["campaignConfig"]
            else:
                body.pop("campaignConfig", None)
            if res.status == M.CREATE_FAILED:
                res.status = M.ACTIVE
                body.pop("failureReason", None)
        elif res.kind == "recommender":
            body["recommenderConfig"] = latest["recommenderConfig"]

    def _delete_step(
        self, conn: sqlite3.Connection, res: Resource, job: Job, now: float, d: float
    ) -> Next | None:
        requested = job.payload.get("requested", now)
        if job.step == "start":
            if res.kind != "dataset-group":  # documented as DELETE PENDING only
                res.status = M.DELETE_IN_PROGRESS
                self.store.save(conn, res)
            return Next("finish", requested + d)
        if res.kind == "dataset":
            try:
                seams.drop_dataset(self.config.state_dir, res.arn)
            except OSError as exc:
                # The rows are still on disk: keep the dataset (DELETE IN_PROGRESS) and try
                # again, rather than forget it and let a new dataset of the same ARN find them.
                log.error(
                    "the delete of %s waits: its stored records could not be removed (%s: %s);"
                    " retrying in %.0f s",
                    res.arn,
                    getattr(exc, "filename", None) or self.config.state_dir,
                    exc.strerror or exc,
                    DROP_RETRY_SECONDS,
                )
                return Next("finish", now + DROP_RETRY_SECONDS)
        self._remove(conn, res)
        return None

    def _remove(self, conn: sqlite3.Connection, res: Resource) -> None:
        if res.kind == "solution":
            for v in self.store.select(conn, "kind='solution-version' AND parent=?", (res.arn,)):
                self.store.remove(conn, v.arn)
        elif res.kind in ("dataset", "dataset-group"):
            # import, export and data deletion jobs go with their dataset (group); their
            # names are spent for good (§1)
            kinds = (
                ("dataset-import-job", "dataset-export-job")
                if res.kind == "dataset"
                else ("data-deletion-job",)
            )
            marks = ",".join("?" * len(kinds))
            for j in self.store.select(conn, f"kind IN ({marks}) AND parent=?", (*kinds, res.arn)):
                self.store.spend_name(conn, j)
                self.store.remove(conn, j.arn)
        elif res.kind == "recommender" and res.extra.get("modelId"):
            model = seams.recommender_model_dir(
                Path(self.config.state_dir), res.arn, res.extra["modelId"]
            )
            shutil.rmtree(model, ignore_errors=True)
        self.store.remove(conn, res.arn)

    # -- heavy steps -------------------------------------------------------------------

    def work(self, job: Job, runner_stopping: Any) -> Any:
        """Do an import or a training run (outside any transaction). Returns the value
        :meth:`commit` records: an int (records) or ``TrainingOutcome``/``None``, or the
        exception that failed it."""
        res = self.store.get(job.arn)
        if res is None or res.status != M.CREATE_IN_PROGRESS:
            return None  # gone, or stopped meanwhile: commit settles it without work
        if res.kind == "dataset-import-job":
            return self._import(res)
        if res.kind == "solution-version":
            return self._train(res, job)
        if res.kind in ("batch-inference-job", "batch-segment-job"):
            try:
                return seams.run_batch(
                    Path(self.config.state_dir),
                    res.kind,
                    res.body,
                    res.extra.get("recipe", ""),
                    res.extra.get("filter"),
                )
            except seams.BatchFailed as exc:
                return exc
        if res.kind == "recommender":
            return self._train_recommender(res)
        if res.kind in ("dataset-export-job", "data-deletion-job"):
            return self._data_job(res)
        return None

    def _data_job(self, res: Resource) -> Any:
        """A dataset export job (its dataset's records to CSV) or a data deletion job
        (the listed users out of every dataset of its group)."""
        state_dir = Path(self.config.state_dir)
        try:
            if res.kind == "dataset-export-job":
                return seams.run_export(state_dir, res.body, res.body["datasetArn"])
            datasets = [
                ds.arn for ds in self.store.select(None, "kind='dataset' AND grp=?", (res.grp,))
            ]
            return seams.run_deletion(state_dir, res.body["dataSource"]["dataLocation"], datasets)
        except seams.DataJobFailed as exc:
            return exc

    def _import(self, res: Resource) -> Any:
        ds = self.store.get(res.body["datasetArn"])
        if ds is None:
            return seams.ImportFailed(f"Dataset {res.body['datasetArn']} no longer exists.")
        mode = res.body.get("importMode", "FULL")
        if mode == "INCREMENTAL" and not self._earlier_import(res, ds):
            return seams.ImportFailed(
                f"INCREMENTAL import into {ds.arn} needs an earlier FULL or INCREMENTAL "
                "import of that dataset; use importMode FULL first"
            )
        schema = self.store.get(ds.body["schemaArn"])
        if schema is None:
            return seams.ImportFailed(f"Schema {ds.body['schemaArn']} no longer exists.")
        try:
            return seams.run_import(
                self.config.state_dir,
                ds.arn,
                ds.body["datasetType"],
                schema.body["schema"],
                res.body["dataSource"]["dataLocation"],
                mode,
            )
        except seams.ImportFailed as exc:
            return exc

    def _earlier_import(self, res: Resource, ds: Resource) -> bool:
        earlier = self.store.select(
            None,
            "kind='dataset-import-job' AND parent=? AND status=? AND seq<?",
            (ds.arn, M.ACTIVE, res.seq),
            1,
        )
        return bool(earlier)

    def _train(self, res: Resource, job: Job) -> Any:
        trainer = seams.trainer()
        sol = self.store.get(res.parent or "")
        if sol is None:
            return seams.TrainingFailed(f"Solution {res.parent} no longer exists.")
        datasets = {}
        schemas = {}
        for ds in self.store.select(
            None, "kind='dataset' AND grp=? AND status=?", (sol.grp, M.ACTIVE)
        ):
            datasets[ds.body["datasetType"]] = self.describe(ds, None, self.store)
            schema = self.store.get(ds.body.get("schemaArn") or "")
            if schema is not None:
                schemas[ds.body["datasetType"]] = schema.body.get("schema", "")
        version_id = res.arn.rsplit("/", 1)[-1]
        artefacts = Path(self.config.state_dir) / "models" / (sol.name or "solution") / version_id
        artefacts.mkdir(parents=True, exist_ok=True)
        store = self.store
        arn = res.arn

        def should_stop() -> bool:
            row = store.get(arn)
            return row is None or row.status == M.CREATE_STOPPING

        training_job = seams.TrainingJob(
            state_dir=Path(self.config.state_dir),
            account=res.account,
            region=res.region,
            solution_version_arn=res.arn,
            solution_arn=sol.arn,
            dataset_group_arn=sol.grp or "",
            solution=self.describe(sol, None, None),
            solution_version=self.describe(res, None, None),
            datasets=datasets,
            artefact_dir=artefacts,
            should_stop=should_stop,
            attempt=job.attempts + 1,
            schemas=schemas,
        )
        try:
            return trainer(training_job)
        except seams.TrainingFailed as exc:
            return exc

    def _train_recommender(self, res: Resource) -> Any:
        datasets = {
            ds.body["datasetType"]: self.describe(ds, None, self.store)
            for ds in self.store.select(
                None, "kind='dataset' AND grp=? AND status=?", (res.grp, M.ACTIVE)
            )
        }
        state_dir = Path(self.config.state_dir)
        job = seams.RecommenderJob(
            state_dir=state_dir,
            recommender_arn=res.arn,
            recipe_arn=res.body["recipeArn"],
            datasets=datasets,
            artefact_dir=seams.recommender_model_dir(state_dir, res.arn, res.extra["modelId"]),
        )
        try:
            return seams.recommender_trainer()(job)
        except seams.TrainingFailed as exc:
            return exc

    def commit(self, conn: sqlite3.Connection, job: Job, result: Any, now: float) -> Next | None:
        """Record a heavy step's result: ACTIVE, CREATE FAILED or CREATE STOPPED.

        The work starts when the resource leaves PENDING (0.2 D); a result ready before
        D after the request is kept in the job and settles then (the light step
        ``settle``), so the resource settles at D or when its work is done, whichever is
        later.
        """
        res = self.store.get(job.arn, conn)
        if res is None:
            return None
        outcome = _outcome(result)
        d = float(job.payload.get("duration", self.config.duration(res.kind)))
        if res.status == M.CREATE_IN_PROGRESS and now < res.created + d:
            return Next("settle", res.created + d, payload={**job.payload, "outcome": outcome})
        if res.status == M.CREATE_STOPPING and now < self._stopping_until(res, d):
            # the run has stopped; the stop's minimum duration has not passed
            return Next("finish", self._stopping_until(res, d))
        self._settle(res, outcome)
        self.store.save(conn, res)
        return None

    def _settle(self, res: Resource, outcome: dict) -> None:
        """Apply a heavy step's :func:`_outcome` to ``res`` (not saved)."""
        if res.status == M.CREATE_STOPPING:
            res.status = M.CREATE_STOPPED
        elif res.status != M.CREATE_IN_PROGRESS:
            return
        elif "failed" in outcome:
            res.status = M.CREATE_FAILED
            res.body["failureReason"] = outcome["failed"]
        else:
            res.status = M.ACTIVE
            if res.kind in ("dataset-import-job", "dataset-export-job") and "records" in outcome:
                res.extra["records"] = outcome["records"]
            if res.kind == "data-deletion-job":
                res.body["numDeleted"] = int(outcome.get("records", 0))
            if "metrics" in outcome:
                res.extra["metrics"] = outcome["metrics"]
                if res.kind == "solution-version":
                    res.body["trainingHours"] = outcome["training_hours"]
                    if outcome.get("tuned") is not None:
                        res.body["tunedHPOParams"] = {"algorithmHyperParameters": outcome["tuned"]}
            elif res.kind == "solution-version":
                res.body.setdefault("trainingHours", 0.0)

    def abandon(self, conn: sqlite3.Connection, job: Job, reason: str, now: float) -> None:
        """Fail the job's resource (or its pending update) with ``reason``."""
        res = self.store.get(job.arn, conn)
        if res is None:
            return
        if job.action == "update":
            latest = res.body.get(M.LATEST_KEY.get(res.kind, ""), None)
            if latest:
                latest.update(status=M.CREATE_FAILED, failureReason=reason, lastUpdatedDateTime=now)
        elif job.action == "delete":
            self._remove(conn, res)
            return
        else:
            res.status = M.CREATE_FAILED
            res.body["failureReason"] = reason
        self.store.save(conn, res)

    def sweep_orphans(self, now: float) -> int:
        """Settle resources left in a transitional state without a job (a safety net:
        creates and their jobs are written in one transaction, so only a bug or a hand
        edit of the database leaves one). Creations fail with a reason, stops finish,
        deletes complete, pending updates fail. Returns how many were settled."""
        busy = {
            "create": (M.CREATE_PENDING, M.CREATE_IN_PROGRESS, M.CREATE_STOPPING),
            "delete": (M.DELETE_PENDING, M.DELETE_IN_PROGRESS),
            **{action: toggle[:2] for action, toggle in M.TOGGLES.items()},
        }
        reason = (
            "The local target lost track of this operation (no job was left for it); "
            "create the resource again"
        )
        settled = 0
        with self.store.write() as conn:
            orphans = []
            for action, statuses in busy.items():
                marks = ",".join("?" * len(statuses))
                orphans += self.store.select(
                    conn,
                    f"status IN ({marks}) AND arn NOT IN (SELECT arn FROM jobs WHERE action=?)",
                    (*statuses, action),
                )
            for res in orphans:
                settled += 1
                if res.status in (M.DELETE_PENDING, M.DELETE_IN_PROGRESS):
                    self._remove(conn, res)
                    continue
                toggled = [t[2] for t in M.TOGGLES.values() if res.status in t[:2]]
                if toggled:  # a stop or start finishes
                    res.status = toggled[0]
                    self.store.save(conn, res)
                    continue
                if res.status == M.CREATE_STOPPING:
                    res.status = M.CREATE_STOPPED
                else:
                    res.status = M.CREATE_FAILED
                    res.body["failureReason"] = reason
                self.store.save(conn, res)
            for kind, key in M.LATEST_KEY.items():
                for res in self.store.select(
                    conn,
                    "kind=? AND arn NOT IN (SELECT arn FROM jobs WHERE action='update')",
                    (kind,),
                ):
                    latest = res.body.get(key)
                    if latest and latest.get("status") in (M.CREATE_PENDING, M.CREATE_IN_PROGRESS):
                        latest.update(
                            status=M.CREATE_FAILED, failureReason=reason, lastUpdatedDateTime=now
                        )
                        self.store.save(conn, res)
                        settled += 1
        if settled:
            log.warning("settled %d resources that had no job left", settled)
        return settled


def _outcome(result: Any) -> dict:
    """A heavy step's result as JSON-able data (kept in the job until it settles):
    ``{"failed": reason}``, ``{"records": n}``, ``{"metrics": {...}, "training_hours": h,
    "tuned": {...} | None}`` or ``{}``."""
    failures = (seams.ImportFailed, seams.TrainingFailed, seams.BatchFailed, seams.DataJobFailed)
    if isinstance(result, failures):
        return {"failed": str(result)}
    if isinstance(result, BaseException):
        return {"failed": f"Internal error in the local target: {type(result).__name__}: {result}"}
    if isinstance(result, bool):
        return {}
    if isinstance(result, int):
        return {"records": result}
    if isinstance(result, seams.TrainingOutcome):
        hours = float(result.training_hours)
        tuned = result.tuned_hyperparameters
        return {
            # JSON has no NaN or infinity: such a metric is left out, not sent broken
            "metrics": {k: float(v) for k, v in result.metrics.items() if math.isfinite(float(v))},
            "training_hours": max(0.0, hours) if math.isfinite(hours) else 0.0,
            "tuned": dict(tuned) if tuned is not None else None,
        }
    return {}
