"""Exact duplicate rows in uploaded data: the plan of the import says how many and where
the first is, the import goes ahead (they are not an error), and training counts them once
(tests/local/test_training_data.py has the counts)."""

from __future__ import annotations

from engine_helpers import plan_json


def _distinct(data) -> list[str]:
    """The data file's lines with every repeat of a line left out, header first."""
    lines = data.read_text().splitlines(keepends=True)
    return list(dict.fromkeys(lines))


def _import_reason(pc) -> str:
    doc = plan_json(pc)
    return next(c for c in doc["resource_changes"] if c["type"] == "import")["reason"]


def test_the_plan_names_exact_duplicate_rows_of_the_uploaded_data(pc, workshop):
    data = workshop.parent / "data" / "interactions.csv"
    lines = _distinct(data)
    data.write_text("".join(lines[:5] + [lines[3], lines[4]] + lines[5:] + [lines[3]]))
    assert _import_reason(pc) == (
        "new data to import; it holds 3 exact duplicate rows (the first is line 6), which "
        "training counts once"
    )
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err


def test_data_without_duplicates_says_nothing_of_them(pc, workshop):
    data = workshop.parent / "data" / "interactions.csv"
    data.write_text("".join(_distinct(data)))
    assert _import_reason(pc) == "new data to import"
