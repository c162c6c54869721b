"""The file an import uploads is the one the plan read: a file changed after the plan (here
while apply waits for the dataset) is not uploaded, and the import step says why."""

from __future__ import annotations

import os
import subprocess

import pytest
from test_resume import HOLD, _cmd, _fast_forward, _poll

from personalize_reconcile.backends.local import local_client


@pytest.mark.slow
@pytest.mark.parametrize("saved", [False, True])
def test_a_file_changed_after_the_plan_is_not_uploaded(workshop, state, tmp_path, saved):
    data = workshop.parent / "data" / "interactions.csv"
    env = dict(os.environ, PYTHONUNBUFFERED="1", PRECONCILE_LOCAL_DURATIONS=f"dataset={HOLD}")
    command = _cmd("apply", workshop, state, "--auto-approve")
    if saved:  # apply PLAN: the same check, and the advice to plan again
        plan = tmp_path / "first.plan"
        made = subprocess.run(
            _cmd("plan", workshop, state, "--out", str(plan)),
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=300,
        )
        assert made.returncode == 0, made.stderr
        command = [*command[:3], "apply", str(plan), "--state-dir", str(state)]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        client = local_client("personalize", state_dir=state)
        _poll(lambda: client.list_datasets()["datasets"], "a dataset")  # the plan is made
        lines = data.read_text().splitlines(keepends=True)
        data.write_text("".join(lines[:-1]))  # one row fewer than the plan read
        _fast_forward(state, env, tmp_path)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, out + err
    assert (
        "import.segment-workshop-interactions: data/interactions.csv changed since the plan "
        "read it, so it was not uploaded; plan again to use it as it is now\n"
    ) in err
    assert err.endswith(
        "Fix the cause, then plan again and apply the new plan; what was done stays done.\n"
        if saved
        else "Fix the cause and run the same command again; it continues where it stopped.\n"
    )
    stored = state / "s3" / "personalize-data-000000000000" / "transformed" / "interactions.csv"
    assert not stored.exists()
    again = subprocess.run(
        _cmd("apply", workshop, state, "--auto-approve"),
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=tmp_path,
        timeout=300,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert stored.read_text() == data.read_text()
