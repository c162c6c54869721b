"""A Next-Best-Action manifest through the CLI on the local target: Interactions, Actions
and Action_Interactions datasets with their imports, an aws-next-best-action solution
and its campaign converge in one apply and stay converged (the four-run check), and
the campaign then serves GetActionRecommendations through boto3."""

from __future__ import annotations

import json
from pathlib import Path

from engine.engine_helpers import four_runs
from planted_data import (
    ACTION_INTERACTIONS_SCHEMA,
    ACTIONS_SCHEMA,
    action_interactions_csv,
    actions_csv,
    interactions_csv,
)
from schemas import INTERACTIONS

from personalize_reconcile.backends.local import local_client

ROLE = "arn:aws:iam::000000000000:role/PersonalizeRole"


def write_manifest(folder: Path) -> Path:
    datasets = {
        "Interactions": ("nba-interactions", INTERACTIONS, interactions_csv()),
        "Actions": ("nba-actions", ACTIONS_SCHEMA, actions_csv()),
        "Action_Interactions": (
            "nba-action-interactions",
            ACTION_INTERACTIONS_SCHEMA,
            action_interactions_csv(),
        ),
    }
    lines = ["version: 1", "name: nba-shop", "datasetGroup:", "  name: nba-shop", "schemas:"]
    for schema_name, schema, _ in datasets.values():
        lines += [f"  {schema_name}:", f"    definition: {json.dumps(schema)}"]
    lines.append("datasets:")
    for dtype, (schema_name, _, data) in datasets.items():
        (folder / f"{schema_name}.csv").write_bytes(data)
        lines += [
            f"  {dtype}:",
            f"    schema: {schema_name}",
            "    imports:",
            f"      - name: {schema_name}",
            f"        dataLocation: s3://personalize-data-000000000000/nba/{schema_name}.csv",
            f"        uploadFrom: {schema_name}.csv",
            f"        roleArn: {ROLE}",
        ]
    lines += [
        "solutions:",
        "  nba-solution:",
        "    recipe: aws-next-best-action",
        "    performAutoTraining: false",
        "campaigns:",
        "  nba-campaign:",
        "    solution: nba-solution",
        "    minProvisionedTPS: 1",
    ]
    path = folder / "nba.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_next_best_action_manifest_converges_and_serves(cli, tmp_path):
    default = write_manifest(tmp_path)
    state = tmp_path / "state"

    def pc(command, *args, manifest=None):
        return cli(command, str(manifest or default), "--state-dir", str(state), *args)

    four_runs(pc, 13)
    runtime = local_client("personalize-runtime", state_dir=state)
    got = runtime.get_action_recommendations(
        campaignArn="arn:aws:personalize:us-east-1:000000000000:campaign/nba-campaign",
        userId="c120",
    )
    assert [a["actionId"] for a in got["actionList"]] == [
        "comedy-club",
        "drama-newsletter",
        "app-download",
    ]

    asked = cli(
        "recommend",
        "--campaign",
        "nba-campaign",
        "--user-id",
        "c120",
        "--json",
        "--state-dir",
        str(state),
    )
    assert asked.code == 0, asked.err
    answer = json.loads(asked.out)
    assert [a["actionId"] for a in answer["actionList"]] == [
        "comedy-club",
        "drama-newsletter",
        "app-download",
    ]
    assert "itemList" not in answer
    table = cli(
        "recommend", "--campaign", "nba-campaign", "--user-id", "nobody", "--state-dir", str(state)
    )
    assert table.code == 0, table.err
    assert "nba-campaign: action recommendations for user nobody" in table.out
    assert "comedy-club" in table.out and "0.333333" in table.out
    by_item = cli(
        "recommend", "--campaign", "nba-campaign", "--item-id", "i00", "--state-dir", str(state)
    )
    assert by_item.code == 1
    assert by_item.err == (
        "Error: campaign 'nba-campaign' uses aws-next-best-action, which recommends actions "
        "for a user; use --user-id\n"
    )
