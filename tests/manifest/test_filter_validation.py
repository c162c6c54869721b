"""``validate`` checks filters and the event tracker before any API call: the filter
expression's form, the datasets and columns it names against the manifest, the service's
quotas (30 filters per group, 10 fields per filter), and one event tracker per group.

Each case edits the manifest of ``tests/kinds_files.py`` (Users, Items and Interactions
datasets, two filters, an event tracker) and expects the whole of stderr.
"""

from __future__ import annotations

import shutil

import pytest
from edits import replaced
from kinds_files import FILTER_CATEGORY, write_kinds

HINT = (
    "    hint: write INCLUDE or EXCLUDE, ItemID, UserID or ActionID, WHERE, then conditions "
    'on <dataset type>.<column>, e.g. EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")\n'
)
AT = "kinds.yaml:54:17  filters.kinds-shop-category.expression: "


def _expression(new: str) -> tuple[str, str]:
    return (f"expression: {FILTER_CATEGORY}\n", f"expression: {new}\n")


CASES = {
    "not-include-or-exclude": (
        [_expression("KEEP ItemID WHERE Items.CATEGORY IN ($CATEGORY)")],
        AT + "a filter expression must start with INCLUDE or EXCLUDE, then ItemID, UserID or "
        'ActionID, then WHERE and a condition; it starts with "KEEP ItemID WHERE '
        'Items.CATEGORY"\n' + HINT,
    ),
    "no-where": (
        [_expression("EXCLUDE ItemID Items.CATEGORY IN ($CATEGORY)")],
        AT + "a filter expression must start with INCLUDE or EXCLUDE, then ItemID, UserID or "
        'ActionID, then WHERE and a condition; it starts with "EXCLUDE ItemID '
        'Items.CATEGORY IN"\n' + HINT,
    ),
    "second-part-bad": (
        [_expression("EXCLUDE ItemID WHERE Items.CATEGORY IN ($C) | EXCLUDE WHERE x")],
        AT + "a filter expression must start with INCLUDE or EXCLUDE, then ItemID, UserID or "
        "ActionID, then WHERE and a condition; part 2 (after a '|') starts with "
        '"EXCLUDE WHERE x"\n' + HINT,
    ),
    "unclosed-quote": (
        [_expression("'EXCLUDE ItemID WHERE Items.CATEGORY IN (\"hats)'")],
        AT + 'a quoted value is not closed: every " needs its closing "\n' + HINT,
    ),
    "unbalanced-parentheses": (
        [_expression("EXCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY")],
        AT + "its parentheses do not match: every ( needs its )\n" + HINT,
    ),
    "unknown-dataset-type": (
        [_expression("EXCLUDE ItemID WHERE Item.CATEGORY IN ($CATEGORY)")],
        AT + "Item.CATEGORY: Item is not a dataset type; use Items, Users, Interactions, "
        "Actions, Action_Interactions, CurrentUser or CurrentItem\n" + HINT,
    ),
    "does-not-parse": (
        [_expression("EXCLUDE ItemID WHERE Items.CATEGORY LIKE ($CATEGORY)")],
        AT + "it cannot be read at position 37: expected IN, NOT IN or a comparison (=, !=, "
        '<, <=, >, >=), found "LIKE"\n' + HINT,
    ),
    "undeclared-dataset": (
        [_expression("EXCLUDE ActionID WHERE Actions.KIND IN ($KIND)")],
        AT + "Actions.KIND: the filter reads the Actions dataset, and the manifest declares "
        "none\n    hint: add datasets.Actions, or change the expression\n",
    ),
    "unknown-column": (
        [_expression("INCLUDE ItemID WHERE Items.CATEGORIE IN ($CATEGORY)")],
        AT + "Items.CATEGORIE: the Items dataset's schema kinds-shop-items has no column "
        "CATEGORIE\n    hint: did you mean 'CATEGORY'?\n",
    ),
    "unknown-current-user-column": (
        [_expression("INCLUDE ItemID WHERE Items.PRICE < 30 IF CurrentUser.AGE > 20")],
        AT + "CurrentUser.AGE: the Users dataset's schema kinds-shop-users has no column AGE\n"
        "    hint: its columns: USER_ID, MEMBERSHIP\n",
    ),
    "empty-expression": (
        [_expression("' '")],
        AT + "the filter expression is empty\n" + HINT,
    ),
    "two-event-trackers": (
        [
            (
                "eventTracker:\n  name: kinds-shop-events\n",
                "eventTracker:\n  - name: a\n  - name: b\n",
            )
        ],
        "kinds.yaml:58:3  eventTracker: must be a mapping, not a list\n"
        "    hint: a dataset group has at most one event tracker: write eventTracker: "
        "{name: NAME}\n",
    ),
    "event-trackers-key": (
        [("eventTracker:\n", "eventTrackers:\n")],
        "kinds.yaml:57:1  eventTrackers: unknown key 'eventTrackers'\n    hint: did you mean 'eventTracker'?\n",
    ),
    "event-tracker-name": (
        [("  name: kinds-shop-events\n", "  name: kinds shop events\n")],
        "kinds.yaml:58:9  eventTracker.name: name 'kinds shop events' contains ' '; only "
        "letters, digits, '-' and '_' are allowed\n"
        "    hint: use 1-63 letters, digits, '-' or '_', starting with a letter or digit\n",
    ),
}


def _write(tmp_path, repo_root, edits):
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    path = write_kinds(tmp_path / "examples" / "workshop.yaml")
    text = path.read_text()
    for old, new in edits:
        text = replaced(text, old, new)
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_bad_filter_or_event_tracker(case, tmp_path, repo_root, cli):
    edits, expected = CASES[case]
    path = _write(tmp_path, repo_root, edits)
    result = cli("validate", "kinds.yaml", cwd=path.parent)
    assert (result.code, result.out) == (1, "")
    count = expected.count("kinds.yaml:")
    closing = f"\n{count} problem{'s' if count != 1 else ''} found in kinds.yaml.\n"
    assert result.err == expected + closing


def test_the_kinds_manifest_is_valid(tmp_path, repo_root, cli):
    path = _write(tmp_path, repo_root, [])
    result = cli("validate", "kinds.yaml", cwd=path.parent)
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "kinds.yaml is valid: dataset group kinds-shop, 3 schemas, 3 datasets, 3 imports, "
        "1 solution, 1 campaign, 2 filters, 1 event tracker.\n"
    )


def test_more_filters_than_the_quota(tmp_path, repo_root, cli):
    extra = "".join(
        f"  f{i}:\n    expression: EXCLUDE ItemID WHERE Items.CATEGORY IN ($C)\n" for i in range(29)
    )
    path = _write(tmp_path, repo_root, [("filters:\n", "filters:\n" + extra)])
    result = cli("validate", "kinds.yaml", cwd=path.parent)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "kinds.yaml:50:1  filters: 31 filters; the service quota 'filters per dataset group' "
        "is 30\n    hint: remove some, or if the account's quota was raised in Service Quotas, "
        "declare it: quotas: {filtersPerDatasetGroup: <new value>}\n"
        "\n1 problem found in kinds.yaml.\n"
    )
    raised = path.read_text() + "quotas:\n  filtersPerDatasetGroup: 40\n"
    path.write_text(raised)
    assert cli("validate", "kinds.yaml", cwd=path.parent).code == 0


def test_more_fields_in_one_filter_than_the_service_allows(tmp_path, repo_root, cli):
    columns = " AND ".join(f"Items.C{i} IN ($C{i})" for i in range(11))
    schema = "".join(f',\n    {{"name": "C{i}", "type": ["null", "string"]}}' for i in range(11))
    path = _write(tmp_path, repo_root, [_expression(f"EXCLUDE ItemID WHERE {columns}")])
    avsc = path.parent / "schemas" / "items.avsc"
    avsc.write_text(
        replaced(avsc.read_text(), '"type": "float"}\n', '"type": "float"}' + schema + "\n")
    )
    result = cli("validate", "kinds.yaml", cwd=path.parent)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        AT + "the filter uses 11 distinct dataset fields; the service allows at most 10 per "
        "filter\n    hint: split it into several filters\n\n1 problem found in kinds.yaml.\n"
    )
