"""``preconcile validate --data`` reads each ``uploadFrom`` file with its import job's rules
and names the first problem at the ``uploadFrom`` line (plan and apply refuse the same
data); without ``--data``, validate reads no data beyond the event types."""

from __future__ import annotations

import shutil


def _workshop(repo_root, tmp_path):
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    return tmp_path / "examples"


def _line_of_upload(examples) -> tuple[int, int]:
    lines = (examples / "workshop.yaml").read_text().splitlines()
    n = next(i for i, x in enumerate(lines) if x.strip().startswith("uploadFrom:"))
    return n + 1, lines[n].index("${data}") + 1


def test_validate_names_the_row_and_column_of_bad_data(cli, repo_root, tmp_path):
    examples = _workshop(repo_root, tmp_path)
    data = examples / "data" / "interactions.csv"
    rows = data.read_text().splitlines(keepends=True)
    rows[4] = "1234,foo,Product Clicked,notanumber\n"
    data.write_text("".join(rows))
    assert cli("validate", "examples/workshop.yaml", cwd=tmp_path).code == 0
    result = cli("validate", "examples/workshop.yaml", "--data", cwd=tmp_path)
    line, column = _line_of_upload(examples)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"examples/workshop.yaml:{line}:{column}  datasets.Interactions.imports[0].uploadFrom: "
        "the data would fail its import: Input CSV data/interactions.csv, line 5, column "
        'TIMESTAMP: "notanumber" is not a long (a whole number)\n'
        "    hint: fix the file; plan and apply refuse it too\n"
        "\n1 problem found in examples/workshop.yaml.\n"
    )


def test_validate_counts_the_records_of_an_interactions_import(cli, repo_root, tmp_path):
    examples = _workshop(repo_root, tmp_path)
    data = examples / "data" / "interactions.csv"
    data.write_text("".join(data.read_text().splitlines(keepends=True)[:1000]))
    result = cli("validate", "examples/workshop.yaml", "--data", cwd=tmp_path)
    assert result.code == 1
    assert (
        "the data would fail its import: Input data at data/interactions.csv has 999 records; "
        "an import job needs at least 1000 interaction records\n"
    ) in result.err


def test_good_data_is_valid(cli, repo_root, tmp_path):
    _workshop(repo_root, tmp_path)
    result = cli("validate", "examples/workshop.yaml", "--data", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith("examples/workshop.yaml is valid:")
