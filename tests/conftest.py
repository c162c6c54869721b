"""Fixtures shared by the whole suite.

- ``repo_root``: the project's folder (the workshop data is in ``tests/data/``, see
  ``workshop_data``).
- ``cli``: run the ``preconcile`` command line in-process and get ``Result(code, out, err)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from personalize_reconcile.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]


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
