"""Child process for the durability tests of the local target (not a test module).

Usage: ``python local_child.py MODE STATE_DIR [ARGS...]``. Every mode talks to the local
target only through ``personalize_reconcile.backends.local.local_client``.

Modes:

* ``setup STATE_DIR``: create group ``g``, schema ``s``, Interactions dataset, solution
  ``sol`` (aws-sims); print nothing; exit.
* ``train STATE_DIR MARKER``: install a trainer that touches ``MARKER.<attempt>`` and then
  sleeps (10 minutes at most); create a solution version of ``sol`` if none exists (else only open a
  client so the worker takes the interrupted one over); wait (10 minutes at most) to be killed.
* ``pending STATE_DIR``: create dataset group ``later`` with a 60 s minimum duration and
  exit at once (its job is left for the next process).
* ``idle STATE_DIR``: set up, start a training run that waits, print the CPU seconds the
  process used during one second of that wait.
* ``race STATE_DIR LOG N``: install a trainer that appends ``<arn> <pid>`` to ``LOG``;
  create N solution versions of ``sol`` one by one (waiting for each solution to be
  ACTIVE), then keep the workers running until every version in the state dir is settled.
"""

from __future__ import annotations

import json
import os
import sys
import time

from schemas import INTERACTIONS as SCHEMA

from personalize_reconcile.backends.local import local_client
from personalize_reconcile.local import seams

R = "arn:aws:personalize:::recipe/"
P = "arn:aws:personalize:us-east-1:000000000000:"


def setup(state_dir: str) -> None:
    c = local_client("personalize", state_dir=state_dir)
    g = c.create_dataset_group(name="g")["datasetGroupArn"]
    s = c.create_schema(name="s", schema=SCHEMA)["schemaArn"]
    c.create_dataset(name="d", datasetGroupArn=g, datasetType="Interactions", schemaArn=s)
    c.create_solution(name="sol", datasetGroupArn=g, recipeArn=R + "aws-sims")


def train(state_dir: str, marker: str) -> None:
    def trainer(job: seams.TrainingJob) -> None:
        with open(f"{marker}.{job.attempt}", "w") as fh:
            fh.write(job.solution_version_arn)
        time.sleep(600)  # until the test kills this process (at most 10 minutes)

    seams.register_trainer(trainer)
    c = local_client("personalize", state_dir=state_dir)
    if not c.list_solution_versions(solutionArn=P + "solution/sol")["solutionVersions"]:
        c.create_solution_version(solutionArn=P + "solution/sol")
    time.sleep(600)  # until the test kills this process (at most 10 minutes)


def pending(state_dir: str) -> None:
    c = local_client("personalize", state_dir=state_dir, durations={"dataset-group": 60})
    c.create_dataset_group(name="later")
    os._exit(0)  # no clean shutdown: the job stays in the queue


def race(state_dir: str, log: str, n: int) -> None:
    def trainer(job: seams.TrainingJob) -> seams.TrainingOutcome:
        with open(log, "a") as fh:
            fh.write(f"{job.solution_version_arn} {os.getpid()}\n")
        time.sleep(0.05)
        return seams.TrainingOutcome(metrics={"coverage": 1.0})

    seams.register_trainer(trainer)
    c = local_client("personalize", state_dir=state_dir)
    for _ in range(n):
        c.create_solution_version(solutionArn=P + "solution/sol")
    deadline = time.time() + 60
    while time.time() < deadline:
        versions = c.list_solution_versions()["solutionVersions"]
        if all(v["status"] in ("ACTIVE", "CREATE FAILED") for v in versions):
            break
        time.sleep(0.05)
    print(json.dumps([v["status"] for v in c.list_solution_versions()["solutionVersions"]]))


def idle(state_dir: str) -> None:
    """Print the CPU seconds this process uses in 1 s while a slow training job runs."""
    import resource
    import threading

    release, started = threading.Event(), threading.Event()

    def slow(job: seams.TrainingJob) -> None:
        started.set()
        release.wait(120)

    seams.register_trainer(slow)
    setup(state_dir)
    c = local_client("personalize", state_dir=state_dir)
    v = c.create_solution_version(solutionArn=P + "solution/sol")["solutionVersionArn"]
    started.wait(120)
    before = resource.getrusage(resource.RUSAGE_SELF)
    time.sleep(1.0)
    after = resource.getrusage(resource.RUSAGE_SELF)
    release.set()
    while (
        c.describe_solution_version(solutionVersionArn=v)["solutionVersion"]["status"] != "ACTIVE"
    ):
        time.sleep(0.01)
    print((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))


if __name__ == "__main__":
    mode, state = sys.argv[1], sys.argv[2]
    if mode == "setup":
        setup(state)
    elif mode == "train":
        train(state, sys.argv[3])
    elif mode == "pending":
        pending(state)
    elif mode == "idle":
        idle(state)
    elif mode == "race":
        race(state, sys.argv[3], int(sys.argv[4]))
    else:
        raise SystemExit(f"unknown mode {mode}")
