"""The file an import uploads is the one the plan read: a file changed after the plan (here
while apply waits for the dataset) is not uploaded, and the import step says why."""

from __future__ import annotations

import os
import subprocess

import pytest
from test_resume import HOLD, _cmd, _fast_forward, _poll

from personalize_reconcile.backends.local import local_client


@pytest.mark.slow
def test_a_file_changed_after_the_plan_is_not_uploaded(workshop, state, tmp_path):
    data = workshop.parent / "data" / "interactions.csv"
    env = dict(os.environ, PYTHONUNBUFFERED="1", PRECONCILE_LOCAL_DURATIONS=f"dataset={HOLD}")
    proc = subprocess.Popen(
        _cmd("apply", workshop, state, "--auto-approve"),
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
        "import.segment-workshop-interactions: the file data/interactions.csv changed since "
        "the plan read it, so it was not uploaded; run plan again"
    ) in err
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
