"""The dataset store: imported records per dataset ARN, FULL and INCREMENTAL, across processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import asdict, dataclass, field

import numpy as np
import pytest

from personalize_reconcile.local.datastore import (
    DatasetStore,
    DatastoreError,
    NoEarlierImportError,
)
from personalize_reconcile.rules.avro import Field

ARN = "arn:aws:personalize:us-east-1:000000000000:dataset/shop/{}"
INTERACTIONS = ARN.format("INTERACTIONS")
ITEMS = ARN.format("ITEMS")

I_FIELDS = [
    Field("USER_ID", "string", False),
    Field("ITEM_ID", "string", False),
    Field("TIMESTAMP", "long", False),
]
ITEM_FIELDS = [
    Field("ITEM_ID", "string", False),
    Field("PRICE", "float", True),
    Field("GENRES", "string", True, categorical=True),
    Field("ADULT", "boolean", True),
    Field("RANK", "int", True),
]


@dataclass
class Table:
    """The shape of csvimport.CsvTable, built by hand."""

    fields: list[Field]
    columns: dict[str, np.ndarray]
    nulls: dict[str, np.ndarray] = field(default_factory=dict)
    num_rows: int = 0


def interactions(users, items, stamps) -> Table:
    return Table(
        I_FIELDS,
        {
            "USER_ID": np.array(users, dtype=object),
            "ITEM_ID": np.array(items, dtype=object),
            "TIMESTAMP": np.array(stamps, dtype=np.int64),
        },
        {},
        len(users),
    )


def items(rows, fields=ITEM_FIELDS) -> Table:
    """rows: list of dicts with None for nulls."""
    cols, nulls = {}, {}
    for f in fields:
        vals = [r.get(f.name) for r in rows]
        mask = np.array([v is None for v in vals], dtype=bool)
        if f.type == "string":
            arr = np.array(vals, dtype=object)
        elif f.type == "float":
            arr = np.array([np.nan if v is None else v for v in vals], dtype=np.float64)
        elif f.type == "boolean":
            arr = np.array([bool(v) for v in vals], dtype=bool)
        else:
            arr = np.array([0 if v is None else v for v in vals], dtype=np.int64)
        cols[f.name] = arr
        if f.nullable:
            nulls[f.name] = mask
    return Table(list(fields), cols, nulls, len(rows))


@pytest.fixture
def ds(tmp_path) -> DatasetStore:
    return DatasetStore(tmp_path / "state")


def test_full_import_then_load(ds, tmp_path):
    assert ds.store_import(INTERACTIONS, interactions(["u1", "u2"], ["i1", "i2"], [5, 6])) == 2
    assert ds.path_of(INTERACTIONS).parent == tmp_path / "state" / "datasets"
    assert ds.has_import(INTERACTIONS)
    assert ds.count(INTERACTIONS) == 2
    data = ds.load(INTERACTIONS)
    assert data.fields == I_FIELDS
    assert data.num_rows == 2
    assert data.columns["USER_ID"].dtype == object
    assert data.columns["USER_ID"].tolist() == ["u1", "u2"]
    assert data.columns["TIMESTAMP"].dtype == np.int64
    assert data.columns["TIMESTAMP"].tolist() == [5, 6]
    assert data.nulls == {}


def test_full_replaces_the_bulk_data(ds):
    ds.store_import(INTERACTIONS, interactions(["u1", "u2"], ["i1", "i2"], [5, 6]))
    assert ds.store_import(INTERACTIONS, interactions(["u3"], ["i3"], [7]), "FULL") == 1
    assert ds.load(INTERACTIONS).columns["USER_ID"].tolist() == ["u3"]


def test_incremental_appends_interactions(ds):
    ds.store_import(INTERACTIONS, interactions(["u1"], ["i1"], [5]))
    n = ds.store_import(
        INTERACTIONS, interactions(["u1", "u2"], ["i1", "i2"], [5, 6]), "INCREMENTAL"
    )
    assert n == 3
    assert ds.load(INTERACTIONS).columns["TIMESTAMP"].tolist() == [5, 5, 6]


def test_incremental_needs_an_earlier_import(ds):
    with pytest.raises(NoEarlierImportError) as e:
        ds.store_import(ITEMS, items([{"ITEM_ID": "a"}]), "INCREMENTAL")
    assert str(e.value) == (
        "INCREMENTAL import into arn:aws:personalize:us-east-1:000000000000:dataset/shop/ITEMS "
        "needs an earlier FULL or INCREMENTAL import of that dataset; use importMode FULL first"
    )
    assert not ds.has_import(ITEMS)
    assert ds.count(ITEMS) == 0


def test_incremental_upserts_items_by_id(ds):
    ds.store_import(
        ITEMS,
        items(
            [{"ITEM_ID": "a", "PRICE": 1.0, "RANK": 1}, {"ITEM_ID": "b", "PRICE": 2.0, "RANK": 2}]
        ),
    )
    n = ds.store_import(
        ITEMS,
        items(
            [
                {"ITEM_ID": "a", "PRICE": 10.0, "RANK": None},
                {"ITEM_ID": "c", "PRICE": 3.0, "RANK": 3},
            ]
        ),
        "INCREMENTAL",
    )
    assert n == 3
    data = ds.load(ITEMS)
    by_id = {
        i: (p, r, rn)
        for i, p, r, rn in zip(
            data.columns["ITEM_ID"],
            data.columns["PRICE"],
            data.columns["RANK"],
            data.nulls["RANK"],
            strict=True,
        )
    }
    assert by_id == {"a": (10.0, 0, True), "b": (2.0, 2, False), "c": (3.0, 3, False)}


def test_full_keeps_the_last_of_duplicate_ids(ds):
    assert (
        ds.store_import(
            ITEMS, items([{"ITEM_ID": "a", "PRICE": 1.0}, {"ITEM_ID": "a", "PRICE": 2.0}])
        )
        == 1
    )
    assert ds.load(ITEMS).columns["PRICE"].tolist() == [2.0]


def test_nulls_round_trip(ds):
    ds.store_import(
        ITEMS,
        items(
            [
                {"ITEM_ID": "a", "PRICE": 1.5, "GENRES": "x|y", "ADULT": True, "RANK": 7},
                {"ITEM_ID": "b"},
            ]
        ),
    )
    data = ds.load(ITEMS)
    assert data.columns["GENRES"].tolist() == ["x|y", None]
    assert data.columns["ADULT"].dtype == bool
    assert data.columns["ADULT"].tolist() == [True, False]
    assert data.columns["PRICE"][0] == 1.5 and np.isnan(data.columns["PRICE"][1])
    assert data.columns["RANK"].tolist() == [7, 0]
    assert {k: v.tolist() for k, v in data.nulls.items()} == {
        "PRICE": [False, True],
        "GENRES": [False, True],
        "ADULT": [False, True],
        "RANK": [False, True],
    }


def test_a_new_nullable_field_after_update_dataset(ds):
    ds.store_import(ITEMS, items([{"ITEM_ID": "a", "PRICE": 1.0}], ITEM_FIELDS[:2]))
    ds.store_import(ITEMS, items([{"ITEM_ID": "b", "PRICE": 2.0, "RANK": 4}]), "INCREMENTAL")
    data = ds.load(ITEMS)
    assert [f.name for f in data.fields] == [f.name for f in ITEM_FIELDS]
    assert data.columns["RANK"].tolist() == [0, 4]
    assert data.nulls["RANK"].tolist() == [True, False]


def test_dataset_type_from_the_arn_or_given(ds):
    arn = "arn:aws:personalize:us-east-1:000000000000:dataset/shop/whatever"
    with pytest.raises(ValueError) as e:
        ds.store_import(arn, items([{"ITEM_ID": "a"}]))
    assert str(e.value) == f"cannot tell the dataset type of {arn}; pass dataset_type"
    ds.store_import(arn, items([{"ITEM_ID": "a"}]), dataset_type="ITEMS")
    assert ds.store_import(arn, items([{"ITEM_ID": "a"}]), "INCREMENTAL", "items") == 1


def test_an_items_import_needs_item_id(ds):
    with pytest.raises(ValueError) as e:
        ds.store_import(
            ITEMS, Table([Field("X", "string", False)], {"X": np.array(["a"], dtype=object)}, {}, 1)
        )
    assert str(e.value) == "Items data needs the ITEM_ID column"


def test_bad_mode(ds):
    with pytest.raises(ValueError) as e:
        ds.store_import(INTERACTIONS, interactions(["u"], ["i"], [1]), "APPEND")
    assert str(e.value) == "importMode must be FULL or INCREMENTAL, not 'APPEND'"


def test_a_failed_import_leaves_the_previous_data(ds):
    ds.store_import(INTERACTIONS, interactions(["u1"], ["i1"], [5]))
    bad = interactions(["u2", "u3"], ["i2", "i3"], [6, 7])
    bad.columns["ITEM_ID"][1] = {"not": "storable"}
    with pytest.raises(Exception):  # noqa: B017 - sqlite's own error type varies by version
        ds.store_import(INTERACTIONS, bad, "FULL")
    assert ds.load(INTERACTIONS).columns["USER_ID"].tolist() == ["u1"]


def test_drop_and_unknown_datasets(ds):
    ds.store_import(INTERACTIONS, interactions(["u1"], ["i1"], [5]))
    ds.drop(INTERACTIONS)
    ds.drop(INTERACTIONS)  # no error when already gone
    assert not ds.has_import(INTERACTIONS)
    assert ds.count(INTERACTIONS) == 0
    empty = ds.load(INTERACTIONS)
    assert (empty.fields, empty.columns, empty.num_rows) == ([], {}, 0)
    assert not ds.path_of(INTERACTIONS).exists()


def test_two_processes_appending_lose_nothing(ds, tmp_path):
    ds.store_import(INTERACTIONS, interactions(["u"] * 10, ["i"] * 10, list(range(10))))
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        from personalize_reconcile.local.datastore import DatasetStore
        from personalize_reconcile.rules.avro import Field
        class T:
            fields = [Field("USER_ID", "string", False), Field("ITEM_ID", "string", False),
                      Field("TIMESTAMP", "long", False)]
            nulls = {{}}
            num_rows = 1000
            def __init__(self, who):
                self.columns = {{"USER_ID": np.array([who] * 1000, dtype=object),
                                "ITEM_ID": np.array(["i"] * 1000, dtype=object),
                                "TIMESTAMP": np.arange(1000, dtype=np.int64)}}
        ds = DatasetStore({str(tmp_path / "state")!r})
        for _ in range(5):
            ds.store_import({INTERACTIONS!r}, T(sys.argv[1]), "INCREMENTAL")
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, who]) for who in ("p1", "p2")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    data = ds.load(INTERACTIONS)
    assert data.num_rows == 10 + 2 * 5 * 1000
    users = data.columns["USER_ID"].tolist()
    assert (users.count("p1"), users.count("p2")) == (5000, 5000)


def test_put_records_survive_a_full_import(ds):
    ds.put_records(INTERACTIONS, I_FIELDS, [{"USER_ID": "live", "ITEM_ID": "i9", "TIMESTAMP": 99}])
    assert not ds.has_import(INTERACTIONS)
    assert ds.load(INTERACTIONS).columns["USER_ID"].tolist() == ["live"]
    ds.store_import(INTERACTIONS, interactions(["u1"], ["i1"], [5]))
    assert ds.store_import(INTERACTIONS, interactions(["u2"], ["i2"], [6]), "FULL") == 2
    assert sorted(ds.load(INTERACTIONS).columns["USER_ID"].tolist()) == ["live", "u2"]
    assert (
        ds.put_records(
            INTERACTIONS, I_FIELDS, [{"USER_ID": "live", "ITEM_ID": "i9", "TIMESTAMP": 100}]
        )
        == 3
    )


def test_put_records_replace_items_by_id_and_allow_missing_values(ds):
    ds.store_import(ITEMS, items([{"ITEM_ID": "a", "PRICE": 1.0}, {"ITEM_ID": "b"}]))
    assert ds.put_records(ITEMS, ITEM_FIELDS, [{"ITEM_ID": "a", "GENRES": "new"}]) == 2
    data = ds.load(ITEMS)
    row = data.columns["ITEM_ID"].tolist().index("a")
    assert data.columns["GENRES"][row] == "new"
    assert data.nulls["PRICE"][row]


def test_put_records_need_the_id_of_items(ds):
    with pytest.raises(ValueError) as e:
        ds.put_records(ITEMS, ITEM_FIELDS, [{"PRICE": 1.0}])
    assert str(e.value) == "every Items record needs a value for ITEM_ID"


# --- the columnar layout: Arrow segment files, metadata in SQLite ---------------------------


def _segment_files(ds: DatasetStore, arn: str) -> list[str]:
    return sorted(p.name for p in ds.parts_of(arn).iterdir())


def test_records_are_arrow_files_and_the_database_keeps_metadata(ds):
    ds.store_import(INTERACTIONS, interactions(["u1", "u2"], ["i1", "i2"], [5, 6]))
    first = _segment_files(ds, INTERACTIONS)
    assert len(first) == 1 and first[0].endswith(".arrow")
    assert ds.parts_of(INTERACTIONS) == ds.path_of(INTERACTIONS).with_suffix(".parts")
    db = sqlite3.connect(ds.path_of(INTERACTIONS))
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert "records" not in tables
    ds.store_import(INTERACTIONS, interactions(["u3"], ["i3"], [7]), "INCREMENTAL")
    assert len(_segment_files(ds, INTERACTIONS)) == 2
    ds.store_import(INTERACTIONS, interactions(["u4"], ["i4"], [8]), "FULL")
    after = _segment_files(ds, INTERACTIONS)
    assert len(after) == 1 and after[0] not in first  # the replaced files are removed
    assert ds.count(INTERACTIONS) == 1


CRASH = textwrap.dedent("""
    import os, sys
    import numpy as np
    from personalize_reconcile.local import datastore
    from personalize_reconcile.rules.avro import Field

    class T:
        fields = [Field("USER_ID", "string", False), Field("ITEM_ID", "string", False),
                  Field("TIMESTAMP", "long", False)]
        nulls = {}
        num_rows = 3
        columns = {"USER_ID": np.array(["x", "y", "z"], dtype=object),
                   "ITEM_ID": np.array(["i", "i", "i"], dtype=object),
                   "TIMESTAMP": np.arange(3, dtype=np.int64)}

    def power_cut(path):  # the new file is written and renamed: die before the commit
        os._exit(9)

    datastore._fsync_dir = power_cut
    datastore.DatasetStore(sys.argv[1]).store_import(sys.argv[2], T(), sys.argv[3])
""")


@pytest.mark.parametrize("mode", ["FULL", "INCREMENTAL"])
def test_a_process_killed_mid_import_leaves_the_previous_records(ds, tmp_path, mode):
    ds.store_import(INTERACTIONS, interactions(["u1", "u2"], ["i1", "i2"], [5, 6]))
    before = _segment_files(ds, INTERACTIONS)
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, str(tmp_path / "state"), INTERACTIONS, mode], timeout=60
    )
    assert proc.returncode == 9
    assert len(_segment_files(ds, INTERACTIONS)) == 2  # the dead write's file is named nowhere
    assert ds.count(INTERACTIONS) == 2
    assert ds.load(INTERACTIONS).columns["USER_ID"].tolist() == ["u1", "u2"]
    # the next write removes the file the dead one left
    assert ds.store_import(INTERACTIONS, interactions(["u3"], ["i3"], [7]), "INCREMENTAL") == 3
    assert len(_segment_files(ds, INTERACTIONS)) == 2
    assert set(before) <= set(_segment_files(ds, INTERACTIONS))
    assert ds.load(INTERACTIONS).columns["USER_ID"].tolist() == ["u1", "u2", "u3"]


def test_a_segment_that_is_a_symlink_is_not_read(ds, tmp_path):
    ds.store_import(INTERACTIONS, interactions(["u1"], ["i1"], [5]))
    (name,) = _segment_files(ds, INTERACTIONS)
    segment = ds.parts_of(INTERACTIONS) / name
    outside = tmp_path / "outside.arrow"
    segment.rename(outside)
    segment.symlink_to(outside)
    with pytest.raises(DatastoreError) as e:
        ds.load(INTERACTIONS)
    assert str(e.value) == f"{segment} is not a regular file; the local target reads no symlinks"


def _old_layout(path, fields, dataset_type, rows, imports=1):
    """A dataset file as the earlier version wrote it: every record in a `records` table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    meta = {
        "fields": [asdict(f) for f in fields],
        "dataset_type": dataset_type,
        "imports": imports,
        "last_mode": "FULL",
    }
    db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    names = [f'"{f.name}"' for f in fields]
    db.execute(f"CREATE TABLE records ({', '.join(names)}, _preconcile_source)")
    db.executemany(f"INSERT INTO records VALUES ({', '.join('?' * (len(fields) + 1))})", rows)
    db.commit()
    db.close()


def test_an_earlier_state_dir_is_migrated_on_first_open(ds):
    _old_layout(
        ds.path_of(ITEMS),
        ITEM_FIELDS,
        "Items",
        [
            ("a", 1.5, "x|y", 1, 7, "BULK"),
            ("b", None, None, None, None, "BULK"),
            ("live", 2.0, "z", 0, 3, "PUT"),
        ],
    )
    assert ds.has_import(ITEMS)
    assert ds.count(ITEMS) == 3
    data = ds.load(ITEMS)
    assert data.fields == ITEM_FIELDS
    assert data.columns["ITEM_ID"].tolist() == ["a", "b", "live"]
    assert data.columns["GENRES"].tolist() == ["x|y", None, "z"]
    assert data.columns["ADULT"].tolist() == [True, False, False]
    assert data.columns["RANK"].tolist() == [7, 0, 3]
    assert data.nulls["PRICE"].tolist() == [False, True, False]
    db = sqlite3.connect(ds.path_of(ITEMS))
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert "records" not in tables and len(_segment_files(ds, ITEMS)) == 1
    # the record put one by one survives a FULL import, as before the migration
    assert ds.store_import(ITEMS, items([{"ITEM_ID": "c", "PRICE": 3.0}]), "FULL") == 2
    assert ds.load(ITEMS).columns["ITEM_ID"].tolist() == ["live", "c"]


def test_an_earlier_interactions_dataset_takes_incremental_imports_after_migration(ds):
    rows = [(f"u{i % 40}", f"i{i % 7}", 1549846801 + i, "BULK") for i in range(1200)]
    _old_layout(ds.path_of(INTERACTIONS), I_FIELDS, "Interactions", rows)
    assert ds.count(INTERACTIONS) == 1200
    assert ds.store_import(INTERACTIONS, interactions(["u"], ["i"], [5]), "INCREMENTAL") == 1201
    data = ds.load(INTERACTIONS)
    assert data.columns["USER_ID"][:3].tolist() == ["u0", "u1", "u2"]
    assert data.columns["TIMESTAMP"][-2:].tolist() == [1549846801 + 1199, 5]


def test_a_folder_of_segments_that_is_a_symlink_is_refused(ds, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.arrow").write_bytes(b"not ours")
    ds.parts_of(INTERACTIONS).parent.mkdir(parents=True)
    ds.parts_of(INTERACTIONS).symlink_to(elsewhere)
    message = (
        f"{ds.parts_of(INTERACTIONS)} is a symlink, which the local target does not follow; "
        "remove it and import the dataset's data again"
    )
    with pytest.raises(DatastoreError) as e:
        ds.store_import(INTERACTIONS, interactions(["u1"], ["i1"], [5]))
    assert str(e.value) == message
    with pytest.raises(DatastoreError) as e:
        ds.load(INTERACTIONS)
    assert str(e.value) == message
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.arrow"]  # nothing swept
    ds.drop(INTERACTIONS)  # removes the link, not what it points to
    assert not ds.parts_of(INTERACTIONS).exists() and (elsewhere / "keep.arrow").exists()


def test_a_missing_segment_file_is_named(ds):
    ds.store_import(INTERACTIONS, interactions(["u1"], ["i1"], [5]))
    (name,) = _segment_files(ds, INTERACTIONS)
    (ds.parts_of(INTERACTIONS) / name).unlink()
    with pytest.raises(DatastoreError) as e:
        ds.load(INTERACTIONS)
    assert str(e.value) == (
        f"the records of {INTERACTIONS} are incomplete: "
        f"{ds.parts_of(INTERACTIONS) / name} is missing; import the dataset's data again "
        "with importMode FULL"
    )
