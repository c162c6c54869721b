"""Fixtures shared by the whole suite.

- ``repo_root``: the project's folder; ``shared_dir``: ``../shared`` beside it (the workshop
  data lives there and is never copied into the project).
- ``cli``: run the ``preconcile`` command line in-process and get ``Result(code, out, err)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from personalize_reconcile.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = (REPO_ROOT / ".." / "shared").resolve()
WORKSHOP_CSV = SHARED_DIR / "data" / "segment-workshop" / "interactions.csv"


@dataclass
class Result:
    """What one CLI run produced: exit code, standard output, standard error."""

    code: int
    out: str
    err: str


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.fail(f"{SHARED_DIR} is missing: the suite needs ../shared beside the project")
    return SHARED_DIR


@pytest.fixture
def cli(capsys, monkeypatch):
    """Return ``run(*args, cwd=None, env=None) -> Result`` calling ``preconcile`` in-process."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
