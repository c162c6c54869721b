"""A dataset taken out of the manifest is deleted only once its group has no filter, event
tracker, metric attribution over it or campaign (reference §3): plan refuses while the
manifest keeps them, and apply deletes them first when they are taken out too."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys

import pytest
from test_resume import HOLD

from personalize_reconcile.backends.local import local_client


def _without(text: str, *sections: str) -> str:
    """``text`` without the top-level ``sections`` (``filters:``...)."""
    for key in sections:
        start = text.index(f"\n{key}")
        rest = re.search(r"\n[a-zA-Z]", text[start + 1 :])
        end = start + 1 + rest.start() if rest else len(text)
        text = text[:start] + text[end:]
    return text


def _without_users(text: str) -> str:
    """examples/retail.yaml without its ``Users`` dataset."""
    return text[: text.index("  Users:\n")] + text[text.index("\nfilters:") + 1 :]


def test_a_dataset_taken_out_while_its_group_keeps_blockers_is_refused(cli, repo_root, tmp_path):
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    retail = tmp_path / "examples" / "retail.yaml"
    state = ["--state-dir", str(tmp_path / "state")]
    assert cli("apply", str(retail), "--auto-approve", *state).code == 0
    no_users = _without_users(retail.read_text())
    retail.write_text(no_users)
    for command in (("plan",), ("apply", "--auto-approve", "--allow-delete")):
        refused = cli(command[0], str(retail), *command[1:], *state)
        assert (refused.code, refused.out) == (1, "")
        assert refused.err == (
            "Error: the service deletes a dataset only once its dataset group has none of "
            "these, and this plan keeps them; nothing was changed:\n"
            "  dataset.Users (retail-users): filter retail-category, filter "
            "retail-not-purchased, campaign retail-for-you, campaign retail-similar\n"
            "  To go on, keep the dataset in the manifest, or take these out of the manifest "
            "too (apply then deletes them first; a campaign taken out stops answering).\n"
        )
    client = local_client("personalize", state_dir=tmp_path / "state")
    assert len(client.list_datasets()["datasets"]) == 3

    retail.write_text(
        _without(no_users, "filters:", "eventTracker:", "campaigns:", "batchInferenceJobs:")
    )
    applied = cli("apply", str(retail), "--auto-approve", "--allow-delete", *state)
    assert applied.code == 0, applied.out + applied.err
    assert "6 deleted" in applied.out
    assert sorted(d["name"] for d in client.list_datasets()["datasets"]) == [
        "retail-interactions",
        "retail-items",
    ]
    again = cli("plan", str(retail), "--detailed-exitcode", *state)
    assert again.code == 0, again.out + again.err


@pytest.mark.slow
def test_a_dataset_is_not_deleted_while_a_solution_version_trains(repo_root, tmp_path):
    """Apply left a version training (held by the local target's durations): plan refuses
    to delete a dataset, before any campaign is deleted."""
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    retail = tmp_path / "examples" / "retail.yaml"
    state = str(tmp_path / "state")
    run = functools.partial(
        subprocess.run, capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    cli = [sys.executable, "-m", "personalize_reconcile"]
    assert run([*cli, "apply", str(retail), "--auto-approve", "--state-dir", state]).returncode == 0
    data = tmp_path / "examples" / "data" / "retail" / "interactions.csv"
    data.write_text(data.read_text() + data.read_text().splitlines(keepends=True)[-1])
    held = dict(os.environ, PRECONCILE_LOCAL_DURATIONS=f"solution-version={HOLD}")
    timed_out = run(
        [*cli, "apply", str(retail), "--auto-approve", "--state-dir", state, "--timeout", "3"],
        env=held,
    )
    assert timed_out.returncode == 1, timed_out.stdout + timed_out.stderr
    retail.write_text(
        _without(
            _without_users(retail.read_text()),
            "filters:",
            "eventTracker:",
            "campaigns:",
            "batchInferenceJobs:",
        )
    )
    refused = run([*cli, "plan", str(retail), "--state-dir", state], env=held)
    assert refused.returncode == 1
    assert re.search(
        r"dataset\.Users \(retail-users\): solution version d[0-9a-f]{8}-c[0-9a-f]{8} "
        r"\(CREATE (PENDING|IN_PROGRESS)\)",
        refused.stderr,
    ), refused.stderr
    assert refused.stderr.endswith("  A training must end before any dataset is deleted.\n")
    client = local_client("personalize", state_dir=tmp_path / "state")
    assert len(client.list_campaigns()["campaigns"]) == 2


def test_destroy_deletes_the_schema_of_a_dataset_no_longer_declared(cli, repo_root, tmp_path):
    """The Users dataset (tagged) is out of the manifest, its schema still declared:
    destroy deletes the dataset, then the schema, which that dataset makes this
    manifest's."""
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    retail = tmp_path / "examples" / "retail.yaml"
    state = ["--state-dir", str(tmp_path / "state")]
    assert cli("apply", str(retail), "--auto-approve", *state).code == 0
    retail.write_text(_without_users(retail.read_text()))
    destroyed = cli("destroy", str(retail), "--auto-approve", *state)
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert "    - schema.retail-users will be deleted: managed by this manifest\n" in destroyed.out
    assert "Kept schema" not in destroyed.out
    client = local_client("personalize", state_dir=tmp_path / "state")
    assert client.list_schemas()["schemas"] == []
