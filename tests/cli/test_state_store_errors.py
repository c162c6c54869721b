"""The local target's state store when another process holds its lock, or when it cannot be
written: a notice while waiting, then one clear paragraph naming the file and what to do."""

from __future__ import annotations

import os
import selectors
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = str(ROOT / "examples" / "workshop.yaml")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRECONCILE_"))}
    env.update(extra)
    return env


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "personalize_reconcile", *args],
        env=_env(**env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state dir with its database made by a first plan."""
    first = run("plan", MANIFEST, "--state-dir", "st", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    return tmp_path / "st"


def hold_write_lock(db: Path) -> sqlite3.Connection:
    """Take the database's write lock from this (test) process, as another program would."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def test_a_lock_held_past_the_timeout_is_named_with_what_to_do(state, tmp_path):
    lock = hold_write_lock(state / "state.db")
    try:
        result = run(
            "apply", MANIFEST, "--state-dir", "st", "--auto-approve",
            cwd=tmp_path, PRECONCILE_LOCK_TIMEOUT="3",
        )  # fmt: skip
    finally:
        lock.close()
    db = state / "state.db"
    assert result.returncode == 1
    assert result.stderr == (
        f"Waiting for the lock on {db}, held by another process (up to 3 s)...\n"
        f"Error: the local target's state {db} is still locked by another process after 3 s: "
        "let that process finish (another preconcile command on this state dir, a sqlite3 "
        "shell, a backup), or stop it, then run again; set PRECONCILE_LOCK_TIMEOUT=<seconds> "
        "to wait longer\n"
    )


def test_a_lock_released_while_waiting_lets_the_command_go_on(state, tmp_path):
    lock = hold_write_lock(state / "state.db")
    child = subprocess.Popen(
        [sys.executable, "-m", "personalize_reconcile", "apply", MANIFEST, "--state-dir", "st",
         "--auto-approve"],
        env=_env(PRECONCILE_LOCK_TIMEOUT="600"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        # Release only once the command says it waits: no race on how fast it starts.
        sel = selectors.DefaultSelector()
        sel.register(child.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + 120
        first = ""
        while not first and time.monotonic() < deadline and child.poll() is None:
            if sel.select(timeout=1):
                first = child.stderr.readline()
        db = state / "state.db"
        assert first == f"Waiting for the lock on {db}, held by another process (up to 600 s)...\n"
    finally:
        lock.close()
    out, rest = child.communicate(timeout=300)
    assert child.returncode == 0, rest
    assert rest == ""
    assert "Apply complete: 7 created, 0 updated, 0 replaced, 0 deleted" in out


def test_the_lock_timeout_setting_ignores_a_value_that_is_not_seconds(state, tmp_path):
    lock = hold_write_lock(state / "state.db")
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "personalize_reconcile", "plan", MANIFEST, "--state-dir", "st"],
            env=_env(PRECONCILE_LOCK_TIMEOUT="soon"),
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        first = child.stderr.readline()
    finally:
        lock.close()
    child.communicate(timeout=300)
    assert first == (
        f"Waiting for the lock on {state / 'state.db'}, held by another process (up to 30 s)...\n"
    )
    assert child.returncode == 0


@pytest.fixture
def read_only():
    """Make files and folders read-only for this process, root included (an immutable
    attribute, where the file system has one), and writable again afterwards."""
    made: list[Path] = []

    def make(*paths: Path) -> None:
        for path in paths:
            if os.geteuid() == 0:
                done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
                if done.returncode != 0:
                    pytest.skip("this file system cannot make a file read-only for root")
            else:
                path.chmod(0o555 if path.is_dir() else 0o444)
            made.append(path)

    yield make
    for path in reversed(made):
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_a_read_only_state_still_plans_but_apply_says_what_to_fix(state, tmp_path, read_only):
    files = sorted(state.glob("state.db*"))
    read_only(*files, state)
    plan = run("plan", MANIFEST, "--state-dir", "st", cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert "Plan: 7 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout
    result = run("apply", MANIFEST, "--state-dir", "st", "--auto-approve", cwd=tmp_path)
    assert result.returncode == 1
    why = (
        f"InternalFailure: the local target's state {state / 'state.db'} cannot be written "
        f"(read-only file or folder), and this command needs to record its progress there: "
        f"make {state} and the files in it writable, or use another --state-dir"
    )
    told = result.stdout + result.stderr
    assert f"  dataset_group.segment-workshop: {why}\n" in told
    assert f"  schema.segment-workshop-interactions: {why}\n" in told
    assert "Apply failed: 0 created, 0 updated, 0 replaced, 0 deleted; 2 failed" in told


def test_a_new_state_in_a_read_only_folder_is_named(tmp_path, read_only):
    folder = tmp_path / "st"
    folder.mkdir()
    read_only(folder)
    result = run("plan", MANIFEST, "--state-dir", "st", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: the local target's state {folder / 'state.db'} cannot be written (read-only "
        f"file or folder), and this command needs to record its progress there: make {folder} "
        "and the files in it writable, or use another --state-dir\n"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
@pytest.mark.parametrize("kind", ["folder", "fifo"])
@pytest.mark.parametrize(
    "command",
    [["plan", MANIFEST, "--state-dir", "st"], ["local", "fast-forward", "--state-dir", "st"]],
)
def test_a_state_database_that_is_not_a_file_is_named(tmp_path, kind, command):
    db = tmp_path / "st" / "state.db"
    db.parent.mkdir()
    os.mkfifo(db) if kind == "fifo" else db.mkdir()
    result = run(*command, cwd=tmp_path)
    what = "a FIFO (named pipe)" if kind == "fifo" else "a folder"
    prefix = "cannot open the local state: " if command[0] == "local" else ""
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: {prefix}the local target's state {db} is {what}, not a database file: move "
        f"it aside (or delete {db.parent} to start over), or use another --state-dir\n"
    )


def test_a_settings_file_nested_too_deeply_is_named(tmp_path):
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "local.json").write_text("[" * 100_000)
    result = run("plan", MANIFEST, "--state-dir", "st", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: the local target's settings are unusable: "
        f"{tmp_path / 'st' / 'local.json'} is not valid JSON: it nests deeper than Python can "
        "read\n"
    )
