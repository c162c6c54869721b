"""Loading behaviour that is not an error: paths, variables, JSON output, the JSON Schema."""

from __future__ import annotations

import json
import shutil

from edits import replaced
from shop_files import write_large, write_shop

from personalize_reconcile.manifest import load_manifest


def test_workshop_example_validates_from_another_folder(repo_root, tmp_path, cli):
    result = cli("validate", str(repo_root / "examples" / "workshop.yaml"), cwd=tmp_path)
    assert result.code == 0, result.err
    assert result.out.endswith(
        "is valid: dataset group segment-workshop, 1 schema, 1 dataset, 1 import, "
        "1 solution, 1 campaign.\n"
    )


def test_var_overrides_and_env_and_typed_substitution(repo_root, tmp_path, monkeypatch):
    shutil.copytree(repo_root / "examples", tmp_path / "ex")
    path = tmp_path / "ex" / "workshop.yaml"
    text = replaced(path.read_text(), "minProvisionedTPS: 1", "minProvisionedTPS: ${tps}")
    text = replaced(
        text, "  data: data/interactions.csv", "  data: data/interactions.csv\n  tps: 3"
    )
    text = replaced(
        text, "name: segment-workshop\n\nvariables", "name: ${env:PRECONCILE_T_NAME}\n\nvariables"
    )
    path.write_text(text)
    monkeypatch.setenv("PRECONCILE_T_NAME", "from-env")
    loaded = load_manifest(path, {"bucket": "other-bucket"})
    imp = loaded.manifest.datasets.interactions.imports[0]
    assert imp.data_location == "s3://other-bucket/transformed/interactions.csv"
    assert loaded.manifest.campaigns["segment-workshop-campaign"].min_provisioned_tps == 3
    assert loaded.manifest.name == "from-env"
    assert loaded.resolve(imp.upload_from) == (tmp_path / "ex" / "data" / "interactions.csv")
    assert loaded.schemas["segment-workshop-interactions"]["fields"][3] == {
        "name": "TIMESTAMP",
        "type": "long",
    }
    loaded = load_manifest(path, {"tps": "7"})  # --var values are strings; numbers still work
    assert loaded.manifest.campaigns["segment-workshop-campaign"].min_provisioned_tps == 7


def test_literal_dollar_brace(repo_root, tmp_path):
    shutil.copytree(repo_root / "examples", tmp_path / "ex")
    path = tmp_path / "ex" / "workshop.yaml"
    path.write_text(
        replaced(
            path.read_text(),
            "    performAutoTraining: false\n",
            "    performAutoTraining: false\n    eventType: '$${x}'\n",
        )
    )
    data = tmp_path / "ex" / "data" / "interactions.csv"  # an event of that literal type
    data.write_text(data.read_text() + "6876409312,green-cotton-shirt,${x},1549843918\n")
    solution = load_manifest(path).manifest.solutions["segment-workshop-solution"]
    assert solution.event_type == "${x}"


def test_json_diagnostics(tmp_path, cli):
    (tmp_path / "m.yaml").write_text("version: 1\nname: x\ndatasetGroup: {name: 'a b'}\n")
    result = cli("validate", "m.yaml", "--json", cwd=tmp_path)
    assert result.code == 1
    assert json.loads(result.out) == {
        "valid": False,
        "error_count": 1,
        "diagnostics": [
            {
                "file": "m.yaml",
                "line": 3,
                "column": 22,
                "path": "datasetGroup.name",
                "message": "name 'a b' contains ' '; only letters, digits, '-' and '_' are allowed",
                "hint": "use 1-63 letters, digits, '-' or '_', starting with a letter or digit",
            }
        ],
    }


def test_schema_command_prints_the_json_schema(cli):
    result = cli("schema")
    assert result.code == 0
    schema = json.loads(result.out)
    assert schema["title"] == "preconcile manifest"
    assert set(schema["required"]) == {"version", "name", "datasetGroup"}
    campaign = schema["$defs"]["Campaign"]["properties"]["minProvisionedTPS"]
    assert campaign["minimum"] == 1


def test_help_lists_only_working_commands(cli):
    result = cli("--help")
    assert result.code == 0
    listed = [
        line.split()[0]
        for line in result.out.split("Commands:")[1].splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    ]
    for command in listed:
        assert cli(command, "--help").code == 0, command


def test_usage_error_exits_1_not_2(cli):
    result = cli("validate")
    assert result.code == 1
    assert "Missing argument 'FILE'" in result.err


def test_committed_json_schema_is_current(repo_root, cli):
    result = cli("schema")
    committed = (repo_root / "docs" / "manifest.schema.json").read_text()
    assert json.loads(committed) == json.loads(result.out), (
        "docs/manifest.schema.json is stale: run `preconcile schema > docs/manifest.schema.json`"
    )


def test_variables_may_use_other_variables(repo_root, tmp_path):
    shutil.copytree(repo_root / "examples", tmp_path / "ex")
    path = tmp_path / "ex" / "workshop.yaml"
    path.write_text(
        replaced(
            path.read_text(),
            "  bucket: personalize-data-000000000000\n",
            "  stage: dev\n  bucket: personalize-${stage}-000000000000\n",
        )
    )
    imp = load_manifest(path).manifest.datasets.interactions.imports[0]
    assert imp.data_location == "s3://personalize-dev-000000000000/transformed/interactions.csv"
    imp = load_manifest(path, {"stage": "prod"}).manifest.datasets.interactions.imports[0]
    assert imp.data_location == "s3://personalize-prod-000000000000/transformed/interactions.csv"


def test_variables_resolve_in_dependency_order_whatever_the_order_written(tmp_path):
    """2000 variables, each using the next one declared: resolved once each, in linear
    time (an earlier pass-by-pass loop took cubic time on this)."""
    n = 2000
    chain = "".join(f"  v{i}: ${{v{i + 1}}}\n" for i in range(n)) + f"  v{n}: end\n"
    path = write_shop(
        tmp_path,
        [
            ("  bucket: my-bucket\n", "  bucket: my-${v0}\n" + chain),
        ],
    )
    imp = load_manifest(path).manifest.datasets.interactions.imports[0]
    assert imp.data_location == "s3://my-end/interactions.csv"


def test_large_manifest_loads(tmp_path, cli):
    """A few hundred resources load (time linear in size: benchmarks/bench_manifest.py)."""
    path = write_large(tmp_path, 300)
    result = cli("validate", path.name, cwd=tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "large.yaml is valid: dataset group shop, 1 schema, 1 dataset, 300 imports, "
        "300 solutions, 300 campaigns.\n"
    )
    loaded = load_manifest(path)
    assert loaded.manifest.campaigns["campaign-299"].min_provisioned_tps == 2
    imports = loaded.manifest.datasets.interactions.imports
    assert imports[299].data_location == "s3://my-bucket/part-299.csv"
    assert loaded.manifest.solutions["solution-150"].tags == {"team": "ml"}
