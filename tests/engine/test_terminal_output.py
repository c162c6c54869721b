"""Ids and messages that come from the data are printed with their control characters
shown as escapes, never sent to the terminal (``render/text.py``)."""

from __future__ import annotations


def test_control_characters_in_item_ids_are_shown_as_escapes(pc, cli, workshop, state):
    data = workshop.parent / "data" / "interactions.csv"
    data.write_bytes(data.read_bytes().replace(b"green-cotton-shirt", b"green\x1b]0;x\x07red"))
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.err
    shown = cli(
        "recommend",
        "--campaign",
        "segment-workshop-campaign",
        "--user-id",
        "u\x1b[2J",
        "--num-results",
        "500",
        "--state-dir",
        str(state),
    )
    assert shown.code == 0, shown.err
    assert "\x1b" not in shown.out and "\x07" not in shown.out
    assert "segment-workshop-campaign: recommendations for user u\\x1b[2J" in shown.out
    assert " green\\x1b]0;x\\x07red " in shown.out
