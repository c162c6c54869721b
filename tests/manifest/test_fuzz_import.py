"""Fuzzing ``plan`` and ``apply`` with mutated CSV data and manifests on the local target.

A data-only manifest (dataset group, schema, dataset, one import with ``uploadFrom``) is
applied once with good data. Each example starts from a copy of that state dir, damages the
CSV (rows dropped or doubled, headers renamed, quoted or given a BOM, fields replaced by
hostile values, other delimiters and line ends, truncation, random bytes) and sometimes the
manifest, then runs ``plan`` and ``apply``. Whatever comes out:

- both exit 0 or 1 (``plan`` also 2 with ``--detailed-exitcode``), never with a traceback
  or an "unexpected" error, within a bound;
- ``plan`` and a failed manifest check leave the state exactly as it was;
- a failed ``apply`` loses nothing: every resource that existed before is still there,
  in the same status, and the dataset's earlier import is still its latest good one.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from shop_files import AVSC

from personalize_reconcile.local.config import resolve_state_dir
from personalize_reconcile.local.service import _services, close_service

MANIFEST = (
    "version: 1\nname: shopdata\ndatasetGroup:\n  name: shopdata\nschemas:\n"
    "  shopdata-interactions:\n    file: interactions.avsc\ndatasets:\n  Interactions:\n"
    "    schema: shopdata-interactions\n    imports:\n      - name: shopdata-interactions\n"
    "        dataLocation: s3://shop-bucket/interactions.csv\n"
    "        uploadFrom: interactions.csv\n"
    "        roleArn: arn:aws:iam::123456789012:role/PersonalizeRole\n"
)
HEADER = "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
GOOD_ROWS = [f"u{i % 60},i{(i * 7) % 90},click,{1_700_000_000 + i * 37}" for i in range(1200)]

HOSTILE_FIELDS = [
    "",
    " ",
    '"',
    '""',
    '"a,b"',
    "NaN",
    "1e309",
    "-1",
    "9" * 30,
    "x" * 300,
    "\x00",
    "é",
    "\ufeff",
    "null",
    "1.5",
    "0x10",
]


def _dump_state(state: Path) -> list[tuple]:
    """Every resource of the state database with its status and tags, in order."""
    conn = sqlite3.connect(state / "state.db")
    try:
        rows = conn.execute(
            "SELECT arn, kind, status, body, extra FROM resources ORDER BY seq"
        ).fetchall()
        tags = conn.execute("SELECT arn, key, value FROM tags ORDER BY arn, key").fetchall()
        jobs = conn.execute("SELECT arn, action, step FROM jobs ORDER BY id").fetchall()
    finally:
        conn.close()
    return rows + tags + jobs


def _statuses(state: Path) -> dict[str, str | None]:
    conn = sqlite3.connect(state / "state.db")
    try:
        return dict(conn.execute("SELECT arn, status FROM resources").fetchall())
    finally:
        conn.close()


def _close(state: Path) -> None:
    """Stop the in-process local target of ``state`` (its worker threads)."""
    root = resolve_state_dir(state)
    for key, svc in list(_services.items()):
        if key[0] == root:
            close_service(svc)


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    """A folder holding the data-only manifest, its schema and CSV, and a state dir where
    that manifest was applied; returns the folder."""
    from personalize_reconcile.cli import main

    folder = tmp_path_factory.mktemp("applied")
    (folder / "shop.yaml").write_text(MANIFEST)
    (folder / "interactions.avsc").write_text(AVSC)
    (folder / "interactions.csv").write_text("\n".join([HEADER, *GOOD_ROWS]) + "\n")
    with pytest.raises(SystemExit) as done:
        main(["apply", str(folder / "shop.yaml"), "--state-dir", str(folder / "st"),
              "--auto-approve"])  # fmt: skip
    assert done.value.code in (0, None)
    _close(folder / "st")
    return folder


def _mutate_rows(data, lines: list[str]) -> list[str]:
    kind = data.draw(
        st.sampled_from(
            ["drop", "double", "field", "header", "quote-header", "columns", "blank", "keep"]
        )
    )
    if kind == "drop":
        del lines[data.draw(st.integers(0, len(lines) - 1))]
    elif kind == "double":
        at = data.draw(st.integers(1, len(lines) - 1))
        lines.insert(at, lines[at])
    elif kind == "field":
        at = data.draw(st.integers(0, len(lines) - 1))
        fields = lines[at].split(",")
        fields[data.draw(st.integers(0, len(fields) - 1))] = data.draw(
            st.one_of(st.sampled_from(HOSTILE_FIELDS), st.text(max_size=12))
        )
        lines[at] = ",".join(fields)
    elif kind == "header":
        names = lines[0].split(",")
        names[data.draw(st.integers(0, len(names) - 1))] = data.draw(
            st.sampled_from(["user_id", "USER", "", "ITEM_ID", "EXTRA", " USER_ID"])
        )
        lines[0] = ",".join(names)
    elif kind == "quote-header":
        lines[0] = ",".join(f'"{n}"' for n in lines[0].split(","))
    elif kind == "columns":
        at = data.draw(st.integers(0, len(lines) - 1))
        lines[at] = data.draw(st.sampled_from([lines[at] + ",extra", lines[at].rsplit(",", 1)[0]]))
    elif kind == "blank":
        lines.insert(data.draw(st.integers(1, len(lines))), "")
    return lines


def _csv_bytes(data) -> bytes:
    lines = [HEADER, *GOOD_ROWS]
    for _ in range(data.draw(st.integers(1, 3))):
        lines = _mutate_rows(data, lines)
    end = data.draw(st.sampled_from(["\n", "\r\n", "\r"]))
    sep = data.draw(st.sampled_from([",", ",", ",", ";", "\t"]))
    text = end.join(line.replace(",", sep) for line in lines) + data.draw(
        st.sampled_from([end, ""])
    )
    raw = data.draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf"])) + text.encode(
        "utf-8", "surrogatepass"
    )
    damage = data.draw(st.sampled_from(["none", "none", "none", "truncate", "bytes"]))
    if damage != "none":
        at = data.draw(st.integers(0, len(raw)))
        raw = (
            raw[:at]
            if damage == "truncate"
            else (raw[:at] + data.draw(st.binary(min_size=1, max_size=16)) + raw[at:])
        )
    return raw


MANIFEST_EDITS = [
    None,
    None,
    None,
    ("s3://shop-bucket/", "s3://Bad_Bucket/"),
    ("uploadFrom: interactions.csv", "uploadFrom: missing.csv"),
    ("uploadFrom: interactions.csv", "uploadFrom: ."),
    ("file: interactions.avsc", "file: interactions.csv"),
    ("roleArn: arn:aws:iam::123456789012:role/PersonalizeRole", "roleArn: ${"),
]


@settings(
    max_examples=40,
    # a bound against hangs, with margin for a loaded machine (a run takes about 1 s)
    deadline=timedelta(seconds=120),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_plan_and_apply_survive_damaged_data(data, applied, tmp_path_factory, cli):
    folder = tmp_path_factory.mktemp("example")
    shutil.copytree(applied, folder, dirs_exist_ok=True)
    state = folder / "st"
    (folder / "interactions.csv").write_bytes(_csv_bytes(data))
    edit = data.draw(st.sampled_from(MANIFEST_EDITS))
    if edit is not None:
        (folder / "shop.yaml").write_text(MANIFEST.replace(*edit))
    before, statuses = _dump_state(state), _statuses(state)
    try:
        plan = cli("plan", "shop.yaml", "--state-dir", "st", "--detailed-exitcode", cwd=folder)
        assert plan.code in (0, 1, 2), plan
        for result in (plan,):
            assert "Traceback" not in result.err + result.out, result.err
            assert "Error: unexpected" not in result.err, result.err
        assert _dump_state(state) == before, "plan changed the state"

        applied_now = cli("apply", "shop.yaml", "--state-dir", "st", "--auto-approve", cwd=folder)
    finally:
        _close(state)
    event(f"plan exit {plan.code}, apply exit {applied_now.code}")
    assert applied_now.code in (0, 1), applied_now
    assert "Traceback" not in applied_now.err + applied_now.out, applied_now.err
    assert "Error: unexpected" not in applied_now.err, applied_now.err
    assert "internal error" not in applied_now.err + applied_now.out, applied_now
    if plan.code == 1:  # the manifest was refused: apply refuses it too, and writes nothing
        assert applied_now.code == 1
        assert _dump_state(state) == before, "a refused apply changed the state"
    if applied_now.code == 1:
        after = _statuses(state)
        lost = {arn: s for arn, s in statuses.items() if after.get(arn) != s}
        assert not lost, f"a failed apply changed what existed: {lost}"
