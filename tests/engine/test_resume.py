"""Interrupted runs, then run again: apply killed in the middle of training, Ctrl-C during
apply or destroy, and concurrent applies all converge with no duplicate import job or
solution version (real subprocesses and signals)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from personalize_reconcile.backends.local import local_client

DATASET = "arn:aws:personalize:us-east-1:000000000000:dataset/segment-workshop/INTERACTIONS"
SOLUTION = "arn:aws:personalize:us-east-1:000000000000:solution/segment-workshop-solution"
CAMPAIGN = "arn:aws:personalize:us-east-1:000000000000:campaign/segment-workshop-campaign"


def _cmd(command: str, workshop, state, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "personalize_reconcile",
        command,
        str(workshop),
        *extra,
        "--state-dir",
        str(state),
    ]


def _run(cmd, env, cwd, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def _signal_when(cmd, env, cwd, marker: str, sig: int, pause: float = 0.0, merge=False):
    """Start ``cmd``, wait for a stdout line containing ``marker``, wait ``pause`` seconds,
    send ``sig``; return ``(returncode, stdout lines seen, stderr)``."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge else subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )
    seen = []
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        seen.append(line)
        if marker in line or time.monotonic() > deadline:
            break
    time.sleep(pause)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, seen, err or ""


@pytest.mark.slow
def test_apply_killed_during_training_converges_without_duplicates(workshop, state, tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1", PRECONCILE_LOCAL_DURATIONS="solution-version=3")
    cmd = _cmd("apply", workshop, state, "--auto-approve")
    # training is under way after the pause (it takes at least 3 s)
    _, seen, _ = _signal_when(
        cmd, env, tmp_path, "started  solution_version.", signal.SIGKILL, pause=0.5, merge=True
    )
    assert any("started  solution_version." in line for line in seen), "".join(seen)

    client = local_client("personalize", state_dir=state)
    versions = client.list_solution_versions(solutionArn=SOLUTION)["solutionVersions"]
    assert [v["status"] for v in versions] in (["CREATE PENDING"], ["CREATE IN_PROGRESS"])

    again = _run(cmd, env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "wait" in again.stdout  # the version in training is waited for, not retrained

    jobs = client.list_dataset_import_jobs(datasetArn=DATASET)["datasetImportJobs"]
    assert [j["status"] for j in jobs] == ["ACTIVE"]
    versions = client.list_solution_versions(solutionArn=SOLUTION)["solutionVersions"]
    assert [v["status"] for v in versions] == ["ACTIVE"]
    campaign = client.describe_campaign(campaignArn=CAMPAIGN)["campaign"]
    assert campaign["status"] == "ACTIVE"
    assert campaign["solutionVersionArn"] == versions[0]["solutionVersionArn"]
    final = _run(_cmd("plan", workshop, state, "--detailed-exitcode"), env, tmp_path, 60)
    assert final.returncode == 0, final.stdout + final.stderr


@pytest.mark.slow
def test_ctrl_c_during_apply_says_so_and_the_next_apply_finishes(workshop, state, tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1", PRECONCILE_LOCAL_DURATIONS="solution-version=3")
    cmd = _cmd("apply", workshop, state, "--auto-approve")
    code, _, err = _signal_when(cmd, env, tmp_path, "started  solution_version.", signal.SIGINT)
    assert code == 1
    assert err.endswith(
        "Apply interrupted. What was already requested goes on in the service; run the same "
        "command again to pick up from there.\n"
    )
    again = _run(cmd, env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Apply complete: 1 created, 0 updated, 0 replaced, 0 deleted." in again.stdout


@pytest.mark.slow
def test_destroy_interrupted_then_run_again_finishes(workshop, state, tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    applied = _run(_cmd("apply", workshop, state, "--auto-approve"), env, tmp_path)
    assert applied.returncode == 0, applied.stderr
    slow = dict(env, PRECONCILE_LOCAL_DURATIONS="campaign=3,solution=3")
    cmd = _cmd("destroy", workshop, state, "--auto-approve")
    code, _, err = _signal_when(cmd, slow, tmp_path, "started  campaign.", signal.SIGINT, 0.3)
    assert code == 1
    assert "Destroy interrupted." in err
    client = local_client("personalize", state_dir=state)
    status = client.describe_campaign(campaignArn=CAMPAIGN)["campaign"]["status"]
    assert status.startswith("DELETE")
    again = _run(cmd, env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Destroy complete: 5 deleted." in again.stdout
    assert client.list_dataset_groups()["datasetGroups"] == []


@pytest.mark.slow
def test_apply_after_an_interrupted_destroy_recreates_what_is_being_deleted(
    workshop, state, tmp_path
):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    apply = _cmd("apply", workshop, state, "--auto-approve")
    assert _run(apply, env, tmp_path).returncode == 0
    slow = dict(env, PRECONCILE_LOCAL_DURATIONS="campaign=2")
    _signal_when(
        _cmd("destroy", workshop, state, "--auto-approve"),
        slow,
        tmp_path,
        "started  campaign.",
        signal.SIGINT,
        0.3,
    )
    plan = _run(_cmd("plan", workshop, state, "--json"), env, tmp_path, 60)
    campaign = next(
        c for c in json.loads(plan.stdout)["resource_changes"] if c["type"] == "campaign"
    )
    assert campaign["actions"] == ["create"]
    assert campaign["reason"].startswith("it is being deleted (DELETE")
    again = _run(apply, env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    client = local_client("personalize", state_dir=state)
    assert client.describe_campaign(campaignArn=CAMPAIGN)["campaign"]["status"] == "ACTIVE"


@pytest.mark.slow
def test_concurrent_applies_on_one_state_dir_converge_without_duplicates(workshop, state, tmp_path):
    cmd = _cmd("apply", workshop, state, "--auto-approve")
    procs = [
        subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    client = local_client("personalize", state_dir=state)
    assert len(client.list_solution_versions(solutionArn=SOLUTION)["solutionVersions"]) == 1
    assert len(client.list_dataset_import_jobs(datasetArn=DATASET)["datasetImportJobs"]) == 1
