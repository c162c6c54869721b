"""Fixtures for reconciler tests: a private copy of the workshop example and a state dir.

- ``workshop``: path of ``workshop.yaml`` in a copy of ``examples/`` under tmp_path (so
  tests may edit the manifest and its data).
- ``state``: a fresh state dir for the local target; pass it as ``--state-dir``.
- ``pc``: run ``preconcile <args> <manifest> --state-dir <state>`` in-process.
"""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture
def workshop(repo_root, tmp_path):
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    return tmp_path / "examples" / "workshop.yaml"


@pytest.fixture
def state(tmp_path):
    return tmp_path / "state"


@pytest.fixture
def pc(cli, workshop, state):
    def run(command, *args, manifest=None):
        return cli(command, str(manifest or workshop), "--state-dir", str(state), *args)

    return run
