"""Durability of the local target: state across restarts, jobs cut off by a killed
process, two processes on one state dir. Uses real subprocesses (``local_child.py``)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from personalize_reconcile.local import jobs, seams

CHILD = Path(__file__).with_name("local_child.py")
P = "arn:aws:personalize:us-east-1:000000000000:"
SOL = P + "solution/sol"


def child(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHILD), *args], capture_output=True, text=True, timeout=120, check=True
    )


def spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_file(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early: {proc.stderr.read()}")
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(60)


def test_state_survives_a_restart(state_dir, make_client):
    child("setup", str(state_dir))
    c = make_client()
    assert [g["name"] for g in c.list_dataset_groups()["datasetGroups"]] == ["g"]
    sol = c.describe_solution(solutionArn=SOL)["solution"]
    assert (sol["status"], sol["recipeArn"]) == ("ACTIVE", "arn:aws:personalize:::recipe/aws-sims")
    ds = c.describe_dataset(datasetArn=P + "dataset/g/INTERACTIONS")["dataset"]
    assert ds["status"] == "ACTIVE"


def test_a_job_left_by_an_exited_process_finishes_later(state_dir, make_client, wait, fast_forward):
    child("pending", str(state_dir))
    c = make_client()
    arn = P + "dataset-group/later"
    first = c.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"]
    assert first in ("CREATE PENDING", "CREATE IN_PROGRESS")
    # the job the exited process left is still queued: ending its 60 s duration runs it here
    assert "1 step(s) brought forward." in fast_forward(arn)
    assert (
        wait(lambda: c.describe_dataset_group(datasetGroupArn=arn), "datasetGroup")["status"]
        == "ACTIVE"
    )


def test_training_killed_mid_run_resumes_after_restart(state_dir, tmp_path, make_client, wait):
    child("setup", str(state_dir))
    marker = tmp_path / "started"
    proc = spawn("train", str(state_dir), str(marker))
    try:
        wait_file(Path(f"{marker}.1"), proc)
    finally:
        kill(proc)
    attempts = []

    def trainer(job):
        attempts.append(job.attempt)
        return seams.TrainingOutcome(metrics={"coverage": 0.5})

    seams.register_trainer(trainer)
    try:
        c = make_client()
        version = c.list_solution_versions(solutionArn=SOL)["solutionVersions"][0]
        # CREATE IN_PROGRESS until this process's worker has taken the dead claim over
        assert version["status"] in ("CREATE IN_PROGRESS", "ACTIVE")
        arn = version["solutionVersionArn"]
        v = wait(
            lambda: c.describe_solution_version(solutionVersionArn=arn),
            "solutionVersion",
        )
    finally:
        seams.register_trainer(None)
    assert v["status"] == "ACTIVE" and attempts == [2]
    assert c.get_solution_metrics(solutionVersionArn=arn)["metrics"] == {"coverage": 0.5}


def test_training_killed_every_time_fails_with_a_reason(state_dir, tmp_path, make_client, wait):
    child("setup", str(state_dir))
    marker = tmp_path / "started"
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        proc = spawn("train", str(state_dir), str(marker))
        try:
            wait_file(Path(f"{marker}.{attempt}"), proc)
        finally:
            kill(proc)
    c = make_client()
    arn = c.list_solution_versions(solutionArn=SOL)["solutionVersions"][0]["solutionVersionArn"]
    v = wait(lambda: c.describe_solution_version(solutionVersionArn=arn), "solutionVersion")
    assert (v["status"], v["failureReason"]) == (
        "CREATE FAILED",
        "The job was interrupted 3 times by the local target's process "
        "exiting and was not retried again",
    )


def test_two_processes_never_run_a_job_twice(state_dir, tmp_path):
    child("setup", str(state_dir))
    log = tmp_path / "trained.log"
    procs = [spawn("race", str(state_dir), str(log), "8") for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    lines = log.read_text().split()
    arns = lines[0::2]
    assert len(arns) == 16 and len(set(arns)) == 16, "a version was trained twice or never"
    assert all(s == "ACTIVE" for s in json.loads(outs[0][0]))
    db = sqlite3.connect(state_dir / "state.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # only the solution's automatic-training schedule is left
    assert db.execute("SELECT action FROM jobs").fetchall() == [("autotrain",)]
    assert (
        db.execute(
            "SELECT COUNT(*) FROM resources WHERE kind='solution-version' AND status='ACTIVE'"
        ).fetchone()[0]
        == 16
    )
    db.close()
    assert os.path.exists(state_dir / "state.db")


def test_resources_without_a_job_are_settled_at_start(state_dir, make_client):
    child("setup", str(state_dir))
    # a hand-edited database: a group stuck in CREATE IN_PROGRESS with no job row
    db = sqlite3.connect(state_dir / "state.db")
    db.execute("UPDATE resources SET status='CREATE IN_PROGRESS' WHERE kind='dataset-group'")
    db.execute("UPDATE resources SET status='DELETE PENDING' WHERE kind='solution'")
    db.commit()
    db.close()
    c = make_client()
    g = c.describe_dataset_group(datasetGroupArn=P + "dataset-group/g")["datasetGroup"]
    assert (g["status"], g["failureReason"]) == (
        "CREATE FAILED",
        "The local target lost track of this operation (no job was left for "
        "it); create the resource again",
    )
    assert c.list_solutions()["solutions"] == []
