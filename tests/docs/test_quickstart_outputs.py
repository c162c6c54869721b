"""The recommendations docs/quickstart.md and docs/aws.md show are the ones the workshop
manifest gives on the local target (the table's items and scores; training is
deterministic)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from recommend_table import rows

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("page,shown", [("quickstart.md", 5), ("aws.md", 3)])
def test_the_documented_recommendations_are_what_the_workshop_gives(
    cli, repo_root, tmp_path, page, shown
):
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    state = str(tmp_path / "state")
    manifest = str(tmp_path / "examples" / "workshop.yaml")
    assert cli("apply", manifest, "--auto-approve", "--state-dir", state).code == 0
    asked = cli(
        "recommend",
        "--campaign",
        "segment-workshop-campaign",
        "--user-id",
        "6876409312",
        "--num-results",
        "5",
        "--state-dir",
        state,
    )
    assert asked.code == 0, asked.err
    given = rows(asked.out)
    assert len(given) == 5
    documented = rows((DOCS / page).read_text(encoding="utf-8"))
    assert documented[:shown] == given[:shown]
