"""Interrupted runs, then run again: apply killed in the middle of training, Ctrl-C during
apply or destroy, and concurrent applies all converge with no duplicate import job or
solution version (real subprocesses and signals)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from processes import with_default_sigint

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


def _start_until(cmd, env, cwd, marker: str, merge=False):
    """Start ``cmd`` and read its stdout until a line containing ``marker`` (at most 120 s);
    return ``(process, lines seen)``."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge else subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
        preexec_fn=with_default_sigint,
    )
    seen = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        seen.append(line)
        if marker in line or time.monotonic() > deadline:
            break
    assert any(marker in line for line in seen), "".join(seen)
    return proc, seen


def _poll(check, what: str):
    """Call ``check()`` until it returns something true (at most 120 s); return that."""
    deadline = time.monotonic() + 120
    while not (found := check()):
        assert time.monotonic() < deadline, f"still not {what} after 120 s"
        time.sleep(0.05)
    return found


def _signal_when(cmd, env, cwd, marker: str, sig: int, ready, merge=False):
    """Start ``cmd``, wait for a stdout line containing ``marker`` and then for ``ready()``
    (a look through the API: the request the line announces has been made), send
    ``sig``; return ``(returncode, stdout lines seen, stderr)``."""
    proc, seen = _start_until(cmd, env, cwd, marker, merge)
    _poll(ready, "ready to interrupt")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, seen, err or ""


def _fast_forward(state, env, cwd, *arns: str) -> None:
    """End the minimum durations of ``arns``' pending steps (``local fast-forward``)."""
    cmd = [sys.executable, "-m", "personalize_reconcile", "local", "fast-forward", *arns]
    done = _run([*cmd, "--state-dir", str(state)], env, cwd, 60)
    assert done.returncode == 0, done.stderr


def _versions(client):
    """A ``ready`` check: the workshop solution has a version."""
    return lambda: client.list_solution_versions(solutionArn=SOLUTION)["solutionVersions"]


# Durations long enough that no machine is slow enough to see them end by themselves;
# each test ends them deliberately with ``local fast-forward``.
HOLD = "60"


@pytest.mark.slow
def test_apply_killed_during_training_converges_without_duplicates(workshop, state, tmp_path):
    env = dict(
        os.environ, PYTHONUNBUFFERED="1", PRECONCILE_LOCAL_DURATIONS=f"solution-version={HOLD}"
    )
    cmd = _cmd("apply", workshop, state, "--auto-approve")
    # killed once the version exists (it is held in training for HOLD seconds)
    client = local_client("personalize", state_dir=state)
    _signal_when(
        cmd, env, tmp_path, "started  solution_version.", signal.SIGKILL, _versions(client), True
    )
    versions = client.list_solution_versions(solutionArn=SOLUTION)["solutionVersions"]
    assert [v["status"] for v in versions] in (["CREATE PENDING"], ["CREATE IN_PROGRESS"])

    proc, seen = _start_until(cmd, env, tmp_path, "started  solution_version.")
    _fast_forward(state, env, tmp_path, versions[0]["solutionVersionArn"])
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, "".join(seen) + out + err
    assert "wait" in "".join(seen) + out  # the version in training is waited for, not retrained

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
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_during_apply_says_so_and_the_next_apply_finishes(workshop, state, tmp_path, sig):
    env = dict(
        os.environ, PYTHONUNBUFFERED="1", PRECONCILE_LOCAL_DURATIONS=f"solution-version={HOLD}"
    )
    cmd = _cmd("apply", workshop, state, "--auto-approve")
    client = local_client("personalize", state_dir=state)
    code, _, err = _signal_when(
        cmd, env, tmp_path, "started  solution_version.", sig, _versions(client)
    )
    assert code == 1
    assert err.endswith(
        "Apply interrupted. What was already requested goes on in the service; run the same "
        "command again to pick up from there.\n"
    )
    _fast_forward(state, env, tmp_path)
    again = _run(cmd, env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Apply complete: 1 created, 0 updated, 0 replaced, 0 deleted." in again.stdout


def _destroy_interrupted_during_the_campaign_delete(workshop, state, tmp_path, env):
    """Apply the workshop, then interrupt a destroy once it has asked for the campaign's
    delete (which is held for HOLD seconds); the campaign is then being deleted."""
    applied = _run(_cmd("apply", workshop, state, "--auto-approve"), env, tmp_path)
    assert applied.returncode == 0, applied.stderr
    slow = dict(env, PRECONCILE_LOCAL_DURATIONS=f"campaign={HOLD},solution={HOLD}")
    cmd = _cmd("destroy", workshop, state, "--auto-approve")
    client = local_client("personalize", state_dir=state)

    def deleting():
        return client.describe_campaign(campaignArn=CAMPAIGN)["campaign"]["status"].startswith(
            "DELETE"
        )

    code, _, err = _signal_when(cmd, slow, tmp_path, "started  campaign.", signal.SIGINT, deleting)
    assert code == 1
    assert "Destroy interrupted." in err
    status = client.describe_campaign(campaignArn=CAMPAIGN)["campaign"]["status"]
    assert status in ("DELETE PENDING", "DELETE IN_PROGRESS")
    return client


@pytest.mark.slow
def test_destroy_interrupted_then_run_again_finishes(workshop, state, tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    client = _destroy_interrupted_during_the_campaign_delete(workshop, state, tmp_path, env)
    # run again while the campaign is still being deleted; end that delete once it waits
    proc, seen = _start_until(
        _cmd("destroy", workshop, state, "--auto-approve"), env, tmp_path, "started  campaign."
    )
    _fast_forward(state, env, tmp_path, CAMPAIGN)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, "".join(seen) + out + err
    assert "Destroy complete: 5 deleted." in out
    assert client.list_dataset_groups()["datasetGroups"] == []


@pytest.mark.slow
def test_apply_after_an_interrupted_destroy_recreates_what_is_being_deleted(
    workshop, state, tmp_path
):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    client = _destroy_interrupted_during_the_campaign_delete(workshop, state, tmp_path, env)
    plan = _run(_cmd("plan", workshop, state, "--json"), env, tmp_path, 60)
    campaign = next(
        c for c in json.loads(plan.stdout)["resource_changes"] if c["type"] == "campaign"
    )
    assert campaign["actions"] == ["create"]
    assert campaign["reason"].startswith("it is being deleted (DELETE")
    proc, seen = _start_until(
        _cmd("apply", workshop, state, "--auto-approve"), env, tmp_path, "started  campaign."
    )
    _fast_forward(state, env, tmp_path, CAMPAIGN)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, "".join(seen) + out + err
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
    # each resource was created by exactly one of them; the others say they found it
    created = [int(re.search(r"Apply complete: (\d+) created", out).group(1)) for out, _ in results]
    assert sum(created) == 7, [out for out, _ in results]
    client = local_client("personalize", state_dir=state)
    assert len(client.list_solution_versions(solutionArn=SOLUTION)["solutionVersions"]) == 1
    assert len(client.list_dataset_import_jobs(datasetArn=DATASET)["datasetImportJobs"]) == 1
