"""Apply killed in the middle of training, then run again: it converges with no duplicate
import job or solution version (a real subprocess and SIGKILL)."""

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


@pytest.mark.slow
def test_apply_killed_during_training_converges_without_duplicates(workshop, state, tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1", PRECONCILE_LOCAL_DURATIONS="solution-version=3")
    cmd = [
        sys.executable,
        "-m",
        "personalize_reconcile",
        "apply",
        str(workshop),
        "--auto-approve",
        "--state-dir",
        str(state),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path
    )
    seen = []
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        seen.append(line)
        if "started  solution_version." in line or time.monotonic() > deadline:
            break
    time.sleep(0.5)  # training is under way (it takes at least 3 s)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert any("started  solution_version." in line for line in seen), "".join(seen)

    client = local_client("personalize", state_dir=state)
    versions = client.list_solution_versions(solutionArn=SOLUTION)["solutionVersions"]
    assert [v["status"] for v in versions] in (["CREATE PENDING"], ["CREATE IN_PROGRESS"])

    again = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "wait" in again.stdout  # the version in training is waited for, not retrained

    jobs = client.list_dataset_import_jobs(datasetArn=DATASET)["datasetImportJobs"]
    assert [j["status"] for j in jobs] == ["ACTIVE"]
    versions = client.list_solution_versions(solutionArn=SOLUTION)["solutionVersions"]
    assert [v["status"] for v in versions] == ["ACTIVE"]
    campaign = client.describe_campaign(campaignArn=CAMPAIGN)["campaign"]
    assert campaign["status"] == "ACTIVE"
    assert campaign["solutionVersionArn"] == versions[0]["solutionVersionArn"]
    final = subprocess.run(
        cmd[:3] + ["plan", str(workshop), "--detailed-exitcode", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert final.returncode == 0, final.stdout + final.stderr


@pytest.mark.slow
def test_ctrl_c_during_apply_says_so_and_the_next_apply_finishes(workshop, state, tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1", PRECONCILE_LOCAL_DURATIONS="solution-version=3")
    cmd = [
        sys.executable,
        "-m",
        "personalize_reconcile",
        "apply",
        str(workshop),
        "--auto-approve",
        "--state-dir",
        str(state),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    for line in proc.stdout:
        if "started  solution_version." in line:
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.endswith(
        "Apply interrupted. What was already requested goes on in the service; run the same "
        "command again to pick up from there.\n"
    )
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Apply complete: 1 created, 0 updated, 0 replaced, 0 deleted." in again.stdout


@pytest.mark.slow
def test_destroy_interrupted_then_run_again_finishes(workshop, state, tmp_path):
    base = [sys.executable, "-m", "personalize_reconcile"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    applied = subprocess.run(
        base + ["apply", str(workshop), "--auto-approve", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert applied.returncode == 0, applied.stderr
    slow = dict(env, PRECONCILE_LOCAL_DURATIONS="campaign=3,solution=3")
    cmd = base + ["destroy", str(workshop), "--auto-approve", "--state-dir", str(state)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=slow, cwd=tmp_path
    )
    for line in proc.stdout:
        if "started  campaign." in line:
            break
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "Destroy interrupted." in err
    client = local_client("personalize", state_dir=state)
    status = client.describe_campaign(campaignArn=CAMPAIGN)["campaign"]["status"]
    assert status.startswith("DELETE")
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Destroy complete: 5 deleted." in again.stdout
    assert client.list_dataset_groups()["datasetGroups"] == []


@pytest.mark.slow
def test_apply_after_an_interrupted_destroy_recreates_what_is_being_deleted(
    workshop, state, tmp_path
):
    base = [sys.executable, "-m", "personalize_reconcile"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    apply = base + ["apply", str(workshop), "--auto-approve", "--state-dir", str(state)]
    assert (
        subprocess.run(apply, capture_output=True, env=env, cwd=tmp_path, timeout=120).returncode
        == 0
    )
    slow = dict(env, PRECONCILE_LOCAL_DURATIONS="campaign=2")
    proc = subprocess.Popen(
        base + ["destroy", str(workshop), "--auto-approve", "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=slow,
        cwd=tmp_path,
    )
    for line in proc.stdout:
        if "started  campaign." in line:
            break
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    plan = subprocess.run(
        base + ["plan", str(workshop), "--json", "--state-dir", str(state)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    campaign = next(
        c for c in json.loads(plan.stdout)["resource_changes"] if c["type"] == "campaign"
    )
    assert campaign["actions"] == ["create"]
    assert campaign["reason"].startswith("it is being deleted (DELETE")
    again = subprocess.run(
        apply, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert again.returncode == 0, again.stdout + again.stderr
    client = local_client("personalize", state_dir=state)
    assert client.describe_campaign(campaignArn=CAMPAIGN)["campaign"]["status"] == "ACTIVE"


@pytest.mark.slow
def test_concurrent_applies_on_one_state_dir_converge_without_duplicates(workshop, state, tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "personalize_reconcile",
        "apply",
        str(workshop),
        "--auto-approve",
        "--state-dir",
        str(state),
    ]
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
