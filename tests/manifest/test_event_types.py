"""A solution's event types checked against the data the manifest uploads (``uploadFrom``):
``validate``, ``plan`` and ``apply`` refuse an event type that matches no event there, with
the types present and the closest one, before anything is written."""

from __future__ import annotations

import pytest
from shop_files import BASE, write_shop

from personalize_reconcile.manifest import datachecks

ROWS = "u1,i1,Product Clicked,1700000000\nu2,i2,Order Completed,1700000001\nu3,i1,,1700000002\n"
SOLUTION = "    recipe: aws-user-personalization-v2\n"


def shop(tmp_path, solution_lines: str, rows: str = ROWS, upload: bool = True):
    edits = [(SOLUTION, SOLUTION + solution_lines)]
    if not upload:
        edits.append(("        uploadFrom: interactions.csv\n", ""))
    write_shop(tmp_path, edits)
    (tmp_path / "interactions.csv").write_text("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n" + rows)


def line_of(text: str) -> int:
    manifest = BASE.replace(SOLUTION, SOLUTION + text)
    return manifest.splitlines().index(text.splitlines()[0]) + 1


def test_an_event_type_in_another_case_gets_the_right_spelling(tmp_path, cli):
    shop(tmp_path, "    eventType: order completed\n")
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert (result.code, result.out) == (1, "")
    line = line_of("    eventType: order completed\n")
    assert result.err == (
        f"shop.yaml:{line}:16  solutions.shop-solution.eventType: eventType 'order completed' "
        "matches no event in the Interactions data (interactions.csv); its event types are "
        "'Order Completed' and 'Product Clicked'\n"
        "    hint: did you mean 'Order Completed'? Event types are compared exactly, case "
        "included\n\n1 problem found in shop.yaml.\n"
    )


def test_an_event_type_with_nothing_close(tmp_path, cli):
    shop(tmp_path, "    eventType: refund\n")
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert result.code == 1
    assert (
        "eventType 'refund' matches no event in the Interactions data (interactions.csv); its "
        "event types are 'Order Completed' and 'Product Clicked'\n"
        "    hint: use one of the event types in the data, or leave the setting out\n"
    ) in result.err


def test_events_config_needs_one_of_its_types_in_the_data(tmp_path, cli):
    listed = (
        "    solutionConfig:\n      eventsConfig:\n        eventParametersList:\n"
        "          - {eventType: Purchase, weight: 1.0}\n"
        "          - {eventType: View, weight: 0.5}\n"
    )
    shop(tmp_path, listed)
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert result.code == 1
    assert (
        "solutions.shop-solution.solutionConfig.eventsConfig.eventParametersList: "
        "eventsConfig.eventParametersList eventType 'Purchase' matches no event in the "
        "Interactions data (interactions.csv); its event types are 'Order Completed' and "
        "'Product Clicked'\n"
    ) in result.err
    shop(tmp_path, listed.replace("View", "Product Clicked"))
    assert cli("validate", "shop.yaml", cwd=tmp_path).code == 0


def test_a_matching_event_type_is_valid(tmp_path, cli):
    shop(tmp_path, "    eventType: Product Clicked\n")
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")


def test_data_only_in_s3_is_left_to_training(tmp_path, cli):
    shop(tmp_path, "    eventType: refund\n", upload=False)
    assert cli("validate", "shop.yaml", cwd=tmp_path).code == 0


def test_a_file_without_event_types_says_so(tmp_path, cli):
    write_shop(tmp_path, [(SOLUTION, SOLUTION + "    eventType: click\n")])
    (tmp_path / "interactions.csv").write_text("USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\n")
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert result.code == 0  # no EVENT_TYPE column: the import reports the header


def test_plan_refuses_it_before_anything_is_written(tmp_path, cli):
    shop(tmp_path, "    eventType: order completed\n")
    result = cli("plan", "shop.yaml", "--state-dir", "st", cwd=tmp_path)
    assert (result.code, result.out) == (1, "")
    assert result.err.endswith("1 problem found in shop.yaml; nothing was changed.\n")
    assert not (tmp_path / "st").exists()


def test_large_files_are_read_with_the_column_reader(tmp_path, cli, monkeypatch):
    monkeypatch.setattr(datachecks, "STDLIB_BYTES", 10)
    shop(tmp_path, "    eventType: order completed\n")
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert "hint: did you mean 'Order Completed'?" in result.err
    shop(tmp_path, "    eventType: Order Completed\n")
    assert cli("validate", "shop.yaml", cwd=tmp_path).code == 0


@pytest.mark.parametrize("damage", [b"\xff\xfe not utf-8", b'USER_ID,"EVENT_TYPE\n'])
def test_an_unreadable_file_is_left_to_the_import(tmp_path, cli, damage):
    shop(tmp_path, "    eventType: refund\n")
    (tmp_path / "interactions.csv").write_bytes(damage)
    assert cli("validate", "shop.yaml", cwd=tmp_path).code == 0
