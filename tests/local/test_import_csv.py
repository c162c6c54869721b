"""CSV import: reading a dataLocation and validating it against the dataset schema.

The workshop CSV in tests/data is read in place; broken copies of it are made in tmp_path.
Every bad input is checked with the exact failureReason.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schemas import ITEM_ID, TIMESTAMP, USER_ID, record_dict
from workshop_data import WORKSHOP, WORKSHOP_CSV

from personalize_reconcile.local import csvimport
from personalize_reconcile.local.csvimport import CsvImportError, parse_csv, read_import
from personalize_reconcile.local.datastore import DatasetStore, NoEarlierImportError
from personalize_reconcile.local.objectstore import LocalObjectStore
from personalize_reconcile.rules.avro import Field, parse_fields

HEADER = "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
URI = "s3://data/broken/interactions.csv"

ITEMS_SCHEMA = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "version": "1.0",
    "fields": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "IN_STOCK", "type": "boolean"},
        {"name": "PRICE", "type": ["null", "float"]},
        {"name": "GENRES", "type": ["null", "string"], "categorical": True},
        {"name": "DESCRIPTION", "type": ["null", "string"], "textual": True},
        {"name": "CREATION_TIMESTAMP", "type": "long"},
        {"name": "RANK", "type": "int"},
        {"name": "SCORE", "type": ["null", "double"]},
        {"name": "VIEWS", "type": ["null", "long"]},
        {"name": "FRESH", "type": ["null", "boolean"]},
    ],
}
ITEMS_HEADER = "ITEM_ID,IN_STOCK,PRICE,GENRES,DESCRIPTION,CREATION_TIMESTAMP,RANK,SCORE,VIEWS,FRESH"
ITEM_ROW = "i1,true,9.99,Comedy|Drama,A film,1549847353,3,0.5,10,false"


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads((WORKSHOP / "interactions.avsc").read_text())


@pytest.fixture(scope="module")
def workshop_lines() -> list[bytes]:
    return WORKSHOP_CSV.read_bytes().splitlines(keepends=True)


@pytest.fixture
def store(tmp_path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "state")


def _reason(store, uri, data: bytes, schema) -> str:
    store.put(uri, data)
    with pytest.raises(CsvImportError) as e:
        read_import(store, uri, schema)
    return str(e.value)


def _rewrite(lines: list[bytes], fn) -> bytes:
    """Apply ``fn(row) -> row`` to every data row of a CSV given as lines."""
    text = b"".join(lines).decode()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(fn(rows[0], header=True))
    for row in rows[1:]:
        w.writerow(fn(row, header=False))
    return out.getvalue().encode()


# --- the workshop data ----------------------------------------------------------------------


def test_workshop_csv_reads_9522_typed_records(store, schema):
    info = store.put("s3://data/transformed/interactions.csv", WORKSHOP_CSV)
    table = read_import(store, "s3://data/transformed/interactions.csv", schema)
    assert table.num_rows == 9522
    assert [f.name for f in table.fields] == HEADER.split(",")
    assert table.objects == [info]
    assert table.nulls == {}
    assert table.columns["USER_ID"][0] == "9254558480"
    assert table.columns["ITEM_ID"][0] == "asics-tiger-gel-lyte-v-30-years-of-gel-pack"
    assert table.columns["EVENT_TYPE"][0] == "Product Clicked"
    assert table.columns["TIMESTAMP"].dtype == np.int64
    assert table.columns["TIMESTAMP"][0] == 1549847353
    assert int(table.columns["TIMESTAMP"].min()) == 1549846801
    assert int(table.columns["TIMESTAMP"].max()) == 1557973605
    assert len(set(table.columns["USER_ID"])) == 3830
    assert len(set(table.columns["ITEM_ID"])) == 50
    assert set(table.columns["EVENT_TYPE"]) == {
        "Product Clicked",
        "Product Added",
        "Order Completed",
    }


def test_prefix_import_reads_every_file_in_key_order(store, schema, workshop_lines):
    header, rows = workshop_lines[0], workshop_lines[1:]
    store.put("s3://data/parts/part-2.csv", header + b"".join(rows[5000:]))
    store.put("s3://data/parts/part-1.csv", header + b"".join(rows[:5000]))
    store.put("s3://data/parts-not-this.csv", b"junk")
    table = read_import(store, "s3://data/parts/", schema)
    whole = parse_csv(io.BytesIO(b"".join(workshop_lines)), URI, schema)
    assert table.num_rows == 9522
    assert [o.key for o in table.objects] == ["parts/part-1.csv", "parts/part-2.csv"]
    for name in whole.columns:
        assert list(table.columns[name]) == list(whole.columns[name])


def test_prefix_import_names_the_bad_file(store, schema, workshop_lines):
    header, rows = workshop_lines[0], workshop_lines[1:]
    store.put("s3://data/parts/part-1.csv", header + b"".join(rows[:10]))
    store.put("s3://data/parts/part-2.csv", header + rows[10] + b"u,i,e,2019-02-11\n")
    with pytest.raises(CsvImportError) as e:
        read_import(store, "s3://data/parts/", schema)
    assert str(e.value) == (
        "Input CSV s3://data/parts/part-2.csv, line 3, column TIMESTAMP: 2019-02-11 looks like "
        "an ISO 8601 date; Personalize needs epoch seconds: 1549843200 (if that time is UTC)"
    )
    assert (e.value.uri, e.value.line, e.value.column) == (
        "s3://data/parts/part-2.csv",
        3,
        "TIMESTAMP",
    )


# --- broken copies of the workshop data (exact failure reasons) ---------------------------


def test_bom_header(store, schema, workshop_lines):
    data = b"\xef\xbb\xbf" + b"".join(workshop_lines)
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1, column USER_ID: the header "
        "starts with a UTF-8 byte-order mark (EF BB BF); save the file as UTF-8 without a BOM"
    )


def test_utf16_file(store, schema, workshop_lines):
    data = b"".join(workshop_lines).decode().encode("utf-16")
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1, column USER_ID: the header "
        "starts with a UTF-16 byte-order mark (FF FE); save the file as UTF-8 (without a BOM)"
    )


def test_quoted_header(store, schema, workshop_lines):
    """The service wants the header's names without quotation marks (reference §5)."""
    data = b'"USER_ID","ITEM_ID",EVENT_TYPE,TIMESTAMP\n' + b"".join(workshop_lines[1:])
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1, column USER_ID: the header "
        'encloses its names in quotation marks ("), which the service does not accept; write '
        "the header without quotes: USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
    )


def test_a_line_without_end_is_refused_without_reading_the_whole_file(store, schema):
    """A binary file (or one 1 GB line, like a sparse file of NULs) must fail on its first
    64 MiB, not be gathered into memory line by line."""
    data = b"\x00" * ((64 << 20) + 1)
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1: the line is longer than "
        "67,108,864 bytes without a line break, far longer than any row of Personalize data; "
        "check that this is a CSV file"
    )


def test_millisecond_timestamps(store, schema, workshop_lines):
    def ms(row, header):
        return row if header else row[:3] + [row[3] + "000"]

    assert _reason(store, URI, _rewrite(workshop_lines, ms), schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 2, column TIMESTAMP: 1549847353000 "
        "looks like epoch milliseconds (2019-02-11T01:09:13Z); Personalize needs epoch "
        "seconds: 1549847353"
    )


def test_microsecond_timestamp(store, schema, workshop_lines):
    data = b"".join(workshop_lines[:3]) + b"u1,i1,click,1549847353123456\n"
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 4, column TIMESTAMP: "
        "1549847353123456 looks like epoch microseconds (2019-02-11T01:09:13Z); Personalize "
        "needs epoch seconds: 1549847353"
    )


def test_iso_date_timestamp(store, schema, workshop_lines):
    data = b"".join(workshop_lines[:50]) + b"u1,i1,click,2019-02-11T01:09:13Z\n"
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 51, column TIMESTAMP: "
        "2019-02-11T01:09:13Z looks like an ISO 8601 date; Personalize needs epoch seconds: "
        "1549847353"
    )


def test_fractional_timestamp(store, schema, workshop_lines):
    data = workshop_lines[0] + b"u1,i1,click,1549847353.75\n"
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 2, column TIMESTAMP: 1549847353.75 "
        "has a fraction; Personalize needs whole epoch seconds: 1549847353"
    )


def test_missing_column(store, schema, workshop_lines):
    data = _rewrite(workshop_lines, lambda row, header: row[:2] + row[3:])
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1, column EVENT_TYPE: the header is "
        "missing this column; the header must be USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
    )


def test_empty_user_id(store, schema, workshop_lines):
    lines = list(workshop_lines)
    lines[100] = b"," + lines[100].split(b",", 1)[1]
    assert _reason(store, URI, b"".join(lines), schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 101, column USER_ID: the value is "
        "empty, but USER_ID is required (its schema type does not allow null)"
    )


def test_header_with_stray_whitespace(store, schema, workshop_lines):
    data = b"USER_ID, ITEM_ID,EVENT_TYPE,TIMESTAMP\n" + b"".join(workshop_lines[1:])
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1, column ITEM_ID: the header name "
        '" ITEM_ID" has stray whitespace; write ITEM_ID; the header must be '
        "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
    )


def test_header_with_trailing_whitespace_before_the_newline(store, schema, workshop_lines):
    data = b"USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP \r\n" + b"".join(workshop_lines[1:])
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1, column TIMESTAMP: the header "
        'name "TIMESTAMP " has stray whitespace; write TIMESTAMP; the header must be '
        "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
    )


def test_wrong_column_order(store, schema, workshop_lines):
    data = _rewrite(workshop_lines, lambda row, header: [row[0], row[2], row[1], row[3]])
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1, column EVENT_TYPE: the header "
        "has EVENT_TYPE in position 2, where the schema has ITEM_ID; columns must be in schema "
        "order; the header must be USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
    )


def test_header_in_the_wrong_case(store, schema, workshop_lines):
    data = b"user_id,ITEM_ID,EVENT_TYPE,TIMESTAMP\n" + b"".join(workshop_lines[1:])
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1, column USER_ID: the header name "
        "user_id differs in case from the schema's USER_ID; the header must be "
        "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
    )


def test_extra_column(store, schema, workshop_lines):
    data = _rewrite(workshop_lines, lambda row, header: row + ["SESSION" if header else "s"])
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1, column SESSION: the schema has "
        "no field of this name; the header must be USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
    )


def test_header_with_an_empty_name(store, schema, workshop_lines):
    data = HEADER.encode() + b",\n" + b"".join(workshop_lines[1:])
    assert _reason(store, URI, data, schema) == (
        'Input CSV s3://data/broken/interactions.csv, line 1: the header has column "" in '
        "position 5, which is not a field of the schema; the header must be "
        "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
    )


def test_duplicate_column(store, schema):
    data = b"USER_ID,ITEM_ID,ITEM_ID,TIMESTAMP\n"
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1, column ITEM_ID: the header names "
        "ITEM_ID twice; the header must be USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
    )


def test_not_utf8(store, schema, workshop_lines):
    lines = list(workshop_lines)
    assert lines[2].startswith(b"9821286911,yellow-wool-jumper,")
    lines[2] = lines[2].replace(b"yellow", b"y\xe9llow")
    assert _reason(store, URI, b"".join(lines), schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 3, column ITEM_ID: the file is not "
        "valid UTF-8 (byte 0xe9 at byte 13 of the line); save it as UTF-8"
    )


def test_not_utf8_after_an_earlier_problem_reports_the_earlier_one(store, schema, workshop_lines):
    lines = list(workshop_lines[:10])
    lines[3] = b"u,i,e,x\n"
    lines[6] = b"u,\xff,e,1\n"
    assert _reason(store, URI, b"".join(lines), schema) == (
        'Input CSV s3://data/broken/interactions.csv, line 4, column TIMESTAMP: "x" is not a '
        "long (a whole number)"
    )


def test_too_long_item_id(store, schema, workshop_lines):
    data = b"".join(workshop_lines[:3]) + b"u1," + b"x" * 257 + b",click,1549847353\n"
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 4, column ITEM_ID: the value is 257 "
        "characters long; ITEM_ID values may have at most 256"
    )


def test_item_id_of_256_characters_is_fine(store, schema, workshop_lines):
    store.put(URI, workshop_lines[0] + b"u1," + b"x" * 256 + b",click,1549847353\n")
    assert read_import(store, URI, schema).columns["ITEM_ID"][0] == "x" * 256


def test_too_long_event_type(store, schema, workshop_lines):
    data = workshop_lines[0] + b"u1,i1," + "é".encode() * 1001 + b",1549847353\n"
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 2, column EVENT_TYPE: the value is "
        "1001 characters long; EVENT_TYPE values may have at most 1000"
    )


def test_row_with_too_few_values(store, schema, workshop_lines):
    data = b"".join(workshop_lines[:7]) + b"u1,i1,1549847353\n" + b"".join(workshop_lines[7:])
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 8: the row has 3 values, but the "
        "header has 4 columns"
    )


def test_not_a_long(store, schema, workshop_lines):
    data = workshop_lines[0] + b"u1,i1,click,1549847353\nu2,i2,click,15498x7353\n"
    assert _reason(store, URI, data, schema) == (
        'Input CSV s3://data/broken/interactions.csv, line 3, column TIMESTAMP: "15498x7353" '
        "is not a long (a whole number)"
    )


def test_missing_object(store, schema):
    store.put("s3://data/other.csv", b"x")
    with pytest.raises(CsvImportError) as e:
        read_import(store, "s3://data/missing.csv", schema)
    assert str(e.value) == "No object at s3://data/missing.csv"
    assert (e.value.uri, e.value.line, e.value.column) == (None, None, None)


def test_missing_bucket(store, schema):
    with pytest.raises(CsvImportError) as e:
        read_import(store, "s3://nobucket/x.csv", schema)
    assert str(e.value) == "Bucket nobucket does not exist (s3://nobucket/x.csv)"


def test_empty_folder(store, schema):
    store.put("s3://data/other.csv", b"x")
    with pytest.raises(CsvImportError) as e:
        read_import(store, "s3://data/folder/", schema)
    assert str(e.value) == "No objects under s3://data/folder/"


def test_bad_location(store, schema):
    with pytest.raises(CsvImportError) as e:
        read_import(store, "s3://data/../x.csv", schema)
    assert str(e.value) == (
        'Invalid S3 key in s3://data/../x.csv: the segment ".." is not '
        "allowed (keys may not climb out of their bucket)"
    )


def test_empty_file(store, schema):
    assert _reason(store, URI, b"", schema) == (
        "Input CSV s3://data/broken/interactions.csv: the file is empty; it needs a header "
        "line USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"
    )


def test_header_only_is_zero_records(store, schema):
    store.put(URI, HEADER.encode() + b"\n")
    table = read_import(store, URI, schema)
    assert table.num_rows == 0
    assert table.columns["TIMESTAMP"].dtype == np.int64
    assert table.columns["USER_ID"].shape == (0,)


# --- line numbers -------------------------------------------------------------------------


def test_blank_lines_are_skipped_and_counted(store, schema):
    data = (HEADER + "\nu1,i1,e,1\n\nu2,i2,e,2\n\n\nu3,,e,3\n").encode()
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 7, column ITEM_ID: the value is "
        "empty, but ITEM_ID is required (its schema type does not allow null)"
    )


def test_quoted_newlines_and_crlf_are_counted(store, schema):
    data = HEADER + '\r\nu1,"i\r\n1",e,1\r\nu2,"a,b",e,2\r\nu3,i3,"multi\nline\nevent",x\r\n'
    assert _reason(store, URI, data.encode(), schema) == (
        'Input CSV s3://data/broken/interactions.csv, line 5, column TIMESTAMP: "x" is not a '
        "long (a whole number)"
    )


def test_quoted_values_are_unquoted(store, schema):
    store.put(URI, (HEADER + '\nu1,"i,""1""",e,1\n').encode())
    assert read_import(store, URI, schema).columns["ITEM_ID"][0] == 'i,"1"'


def test_errors_past_the_first_batch(store, schema, monkeypatch):
    monkeypatch.setattr(csvimport, "_BATCH_ROWS", 3)
    rows = [f"u{i},i{i},e,{1549847353 + i}" for i in range(10)]
    rows[7] = "u7,i7,e,1549847353000"
    data = (HEADER + "\n" + "\n".join(rows) + "\n").encode()
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 9, column TIMESTAMP: 1549847353000 "
        "looks like epoch milliseconds (2019-02-11T01:09:13Z); Personalize needs epoch "
        "seconds: 1549847353"
    )


def test_batches_are_joined_in_order(store, schema, monkeypatch):
    monkeypatch.setattr(csvimport, "_BATCH_ROWS", 3)
    rows = [f"u{i},i{i},e,{1549847353 + i}" for i in range(10)]
    store.put(URI, (HEADER + "\n" + "\n".join(rows) + "\n").encode())
    table = read_import(store, URI, schema)
    assert list(table.columns["USER_ID"]) == [f"u{i}" for i in range(10)]
    assert table.columns["TIMESTAMP"].tolist() == [1549847353 + i for i in range(10)]


def test_chunked_reading_across_a_multibyte_character(store, schema, monkeypatch):
    monkeypatch.setattr(csvimport, "_READ_BYTES", 7)
    rows = [f"ü{i},ï{i},é,{i}" for i in range(20)]
    store.put(URI, (HEADER + "\n" + "\n".join(rows)).encode())  # no final newline
    table = read_import(store, URI, schema)
    assert list(table.columns["ITEM_ID"]) == [f"ï{i}" for i in range(20)]


def test_the_first_problem_in_file_order_wins(store, schema):
    data = (HEADER + "\nu1,i1,e,1\nu2,i2,e,bad\n,i3,e,3\n").encode()
    assert _reason(store, URI, data, schema) == (
        'Input CSV s3://data/broken/interactions.csv, line 3, column TIMESTAMP: "bad" is not a '
        "long (a whole number)"
    )
    data = (HEADER + "\nu1,i1,e,1\nu2,i2,e\nu3,i3,e,bad\n").encode()
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 3: the row has 3 values, but the "
        "header has 4 columns"
    )
    data = (HEADER + "\nu1,,e,x\n").encode()
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 2, column ITEM_ID: the value is "
        "empty, but ITEM_ID is required (its schema type does not allow null)"
    )


# --- every type and attribute (an Items schema) ---------------------------------------------


def _items(store, *rows: str):
    store.put("s3://data/items.csv", (ITEMS_HEADER + "\n" + "\n".join(rows) + "\n").encode())
    return read_import(store, "s3://data/items.csv", ITEMS_SCHEMA)


def _items_reason(store, *rows: str) -> str:
    with pytest.raises(CsvImportError) as e:
        _items(store, *rows)
    return str(e.value)


def test_items_types_and_nulls(store):
    t = _items(store, ITEM_ROW, "i2,false,,,,1549847354,-7,,,")
    c = t.columns
    assert c["IN_STOCK"].tolist() == [True, False]
    assert c["PRICE"].dtype == np.float64
    assert c["PRICE"][0] == pytest.approx(9.99) and np.isnan(c["PRICE"][1])
    assert c["GENRES"].tolist() == ["Comedy|Drama", None]
    assert c["DESCRIPTION"].tolist() == ["A film", None]
    assert c["RANK"].tolist() == [3, -7]
    assert c["VIEWS"].tolist() == [10, 0]
    assert c["FRESH"].tolist() == [False, False]
    assert set(t.nulls) == {"PRICE", "GENRES", "DESCRIPTION", "SCORE", "VIEWS", "FRESH"}
    assert t.nulls["VIEWS"].tolist() == [False, True]
    assert t.nulls["FRESH"].tolist() == [False, True]


def _row(**values: str) -> str:
    names = ITEMS_HEADER.split(",")
    base = dict(zip(names, ITEM_ROW.split(","), strict=True))
    base.update(values)
    return ",".join(base[n] for n in names)


@pytest.mark.parametrize(
    ("values", "column", "problem"),
    [
        (
            {"IN_STOCK": "True"},
            "IN_STOCK",
            '"True" is not a boolean; Personalize needs lower-case true or false',
        ),
        (
            {"IN_STOCK": "1"},
            "IN_STOCK",
            '"1" is not a boolean; Personalize needs lower-case true or false',
        ),
        (
            {"FRESH": "yes"},
            "FRESH",
            '"yes" is not a boolean; Personalize needs lower-case true or false',
        ),
        (
            {"IN_STOCK": ""},
            "IN_STOCK",
            "the value is empty, but IN_STOCK is required (its schema type does not allow null)",
        ),
        ({"PRICE": "9,99"}, None, "the row has 11 values, but the header has 10 columns"),
        ({"PRICE": "$9.99"}, "PRICE", '"$9.99" is not a float (a decimal number)'),
        ({"PRICE": "nan"}, "PRICE", '"nan" is not a float (a decimal number)'),
        ({"PRICE": "1e39"}, "PRICE", "1e39 is out of range for a float"),
        ({"SCORE": "Infinity"}, "SCORE", '"Infinity" is not a double (a decimal number)'),
        ({"SCORE": "1e309"}, "SCORE", "1e309 is out of range for a double"),
        (
            {"RANK": "2147483648"},
            "RANK",
            "2147483648 is out of range for an int (-2147483648 to 2147483647)",
        ),
        ({"RANK": "3.0"}, "RANK", '"3.0" is not an int (a whole number)'),
        ({"RANK": " 3"}, "RANK", '" 3" is not an int (a whole number)'),
        ({"RANK": "+3"}, "RANK", '"+3" is not an int (a whole number)'),
        ({"RANK": "١٢"}, "RANK", '"١٢" is not an int (a whole number)'),
        (
            {"VIEWS": "9223372036854775808"},
            "VIEWS",
            "9223372036854775808 is out of range for a long (-9223372036854775808 to "
            "9223372036854775807)",
        ),
        ({"VIEWS": "9" * 50}, "VIEWS", '"' + "9" * 50 + '" is out of range for a long'),
        (
            {"CREATION_TIMESTAMP": "1549847353000"},
            "CREATION_TIMESTAMP",
            "1549847353000 looks like epoch milliseconds (2019-02-11T01:09:13Z); Personalize needs "
            "epoch seconds: 1549847353",
        ),
        (
            {"CREATION_TIMESTAMP": "2019-02-11 01:09:13+01:00"},
            "CREATION_TIMESTAMP",
            "2019-02-11 01:09:13+01:00 looks like an ISO 8601 date; Personalize needs epoch seconds: "
            "1549843753",
        ),
        (
            {"GENRES": "Comedy||Drama"},
            "GENRES",
            '"Comedy||Drama" has an empty value between | separators; separate the values of '
            "GENRES with single | characters",
        ),
        (
            {"GENRES": "Comedy|"},
            "GENRES",
            '"Comedy|" has an empty value between | separators; separate the values of '
            "GENRES with single | characters",
        ),
        (
            {"GENRES": "|".join(["abcdefghi"] * 100) + "xy"},
            "GENRES",
            "the value is 1001 characters long; GENRES values may have at most 1000",
        ),
        (
            {"DESCRIPTION": "w" * 20001},
            "DESCRIPTION",
            "the value is 20001 characters long; textual DESCRIPTION values may have at most 20000",
        ),
    ],
)
def test_items_bad_values(store, values, column, problem):
    where = f", column {column}" if column else ""
    assert _items_reason(store, ITEM_ROW, _row(**values)) == (
        f"Input CSV s3://data/items.csv, line 3{where}: {problem}"
    )


def test_items_limits_are_inclusive(store):
    t = _items(
        store,
        _row(GENRES="|".join(["abcdefghi"] * 100)),
        _row(DESCRIPTION="w" * 20000),
        _row(PRICE="-1.5e3", SCORE=".5", RANK="-0"),
    )
    assert t.num_rows == 3
    assert t.columns["PRICE"][2] == -1500.0 and t.columns["SCORE"][2] == 0.5


def test_a_value_longer_than_the_csv_field_limit(store):
    assert _items_reason(store, _row(DESCRIPTION="w" * 200_000)) == (
        "Input CSV s3://data/items.csv, line 2: a value is longer than 131072 characters; "
        "values may have at most 20000 (textual) or 1000 characters"
    )


def test_schema_as_json_text_or_fields(store):
    store.put(URI, (HEADER + "\nu1,i1,e,1\n").encode())
    text = (WORKSHOP / "interactions.avsc").read_text()
    assert read_import(store, URI, text).num_rows == 1
    assert read_import(store, URI, parse_fields(json.loads(text))).num_rows == 1


def test_parse_csv_on_a_stream(schema):
    t = parse_csv(io.BytesIO((HEADER + "\nu1,i1,e,1\n").encode()), "s3://x/y.csv", schema)
    assert t.num_rows == 1 and t.objects == []
    with pytest.raises(CsvImportError) as e:
        parse_csv(io.BytesIO((HEADER + "\nu1,i1,e,\n").encode()), "s3://x/y.csv", schema)
    assert str(e.value) == (
        "Input CSV s3://x/y.csv, line 2, column TIMESTAMP: the value is "
        "empty, but TIMESTAMP is required (its schema type does not allow "
        "null)"
    )


# --- the fast vectorised path agrees with the exact per-value check -------------------------

_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-0",
            "1",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1.5",
            ".5",
            "5.",
            "1e5",
            "1E-5",
            "nan",
            "inf",
            "-inf",
            "true",
            "false",
            "True",
            "a|b",
            "a||b",
            "|a",
            "a|",
            "|",
            "1549847353",
            "1549847353000",
            "2019-02-11",
            "2147483647",
            "2147483648",
            "-2147483649",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "99999999999",
            "100000000000",
            "-100000000000",
            "٣",
            "1_000",
            "0x10",
            "1\n2",
            "\x00",
            "1\n",
            "\n1",
            " 1\n",
            "1\r",
            "1.5\n",
        ]
    ),
    st.text(alphabet="0123456789-.e|a ", max_size=12),
    st.text(max_size=5),
)
_FIELDS = [
    Field("TIMESTAMP", "long", False),
    Field("N", "long", True),
    Field("I", "int", False),
    Field("F", "float", True),
    Field("D", "double", False),
    Field("B", "boolean", False),
    Field("BN", "boolean", True),
    Field("C", "string", True, categorical=True),
    Field("S", "string", False),
    Field("IMPRESSION", "string", True),
]


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(_FIELDS), values=st.lists(_VALUES, min_size=1, max_size=6))
def test_fast_path_agrees_with_the_exact_check(field, values):
    out = csvimport._convert(field, tuple(values))
    first_bad = next(
        (i for i, v in enumerate(values) if csvimport._value_problem(field, v) is not None), None
    )
    if first_bad is None:
        assert not isinstance(out, int)
        arr, mask = out
        assert len(arr) == len(values)
        if field.nullable:
            assert mask.tolist() == [v == "" for v in values]
    else:
        assert out == first_bad


# --- storing what was read ------------------------------------------------------------------


def test_workshop_rows_stored_and_loaded(tmp_path, store, schema):
    store.put("s3://data/i.csv", WORKSHOP_CSV)
    table = read_import(store, "s3://data/i.csv", schema)
    ds = DatasetStore(tmp_path / "state")
    arn = "arn:aws:personalize:us-east-1:000000000000:dataset/g/INTERACTIONS"
    with pytest.raises(NoEarlierImportError):
        ds.store_import(arn, table, "INCREMENTAL")
    assert ds.store_import(arn, table, "FULL") == 9522
    loaded = ds.load(arn)
    assert loaded.num_rows == 9522
    for name, col in table.columns.items():
        assert loaded.columns[name].dtype == col.dtype
        assert loaded.columns[name].tolist() == col.tolist()


# --- end to end: dataset import jobs through boto3 -------------------------------------------


@pytest.fixture
def dataset(personalize, wait):
    """``make(dataset_type="Interactions", schema=None) -> datasetArn`` in an ACTIVE group."""

    def make(dataset_type: str = "Interactions", schema: dict | None = None) -> str:
        group = personalize.create_dataset_group(name="shop")["datasetGroupArn"]
        text = json.dumps(schema) if schema else (WORKSHOP / "interactions.avsc").read_text()
        schema_arn = personalize.create_schema(name=f"{dataset_type.lower()}-schema", schema=text)[
            "schemaArn"
        ]
        wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group), "datasetGroup")
        arn = personalize.create_dataset(
            name=dataset_type.lower(),
            datasetGroupArn=group,
            datasetType=dataset_type,
            schemaArn=schema_arn,
        )["datasetArn"]
        wait(lambda: personalize.describe_dataset(datasetArn=arn), "dataset")
        return arn

    return make


@pytest.fixture
def run_import(personalize, wait):
    """``run(dataset_arn, location, name="import", mode="FULL") -> DescribeDatasetImportJob``."""

    def run(dataset_arn: str, location: str, name: str = "import", mode: str = "FULL") -> dict:
        # No roleArn (optional): botocore's output shape types DatasetImportJob.roleArn as a
        # Personalize ARN, so an IAM role there fails the answer check in conftest.py.
        arn = personalize.create_dataset_import_job(
            jobName=name,
            datasetArn=dataset_arn,
            dataSource={"dataLocation": location},
            importMode=mode,
        )["datasetImportJobArn"]
        return wait(
            lambda: personalize.describe_dataset_import_job(datasetImportJobArn=arn),
            "datasetImportJob",
            timeout=30,
        )

    return run


@pytest.fixture
def objects(state_dir) -> LocalObjectStore:
    return LocalObjectStore(state_dir)


def test_e2e_workshop_csv_imports_active_with_9522_records(dataset, run_import, objects, state_dir):
    arn = dataset()
    objects.put("s3://personalize-data-000000000000/transformed/interactions.csv", WORKSHOP_CSV)
    job = run_import(arn, "s3://personalize-data-000000000000/transformed/interactions.csv")
    assert job["status"] == "ACTIVE"
    assert "failureReason" not in job
    assert DatasetStore(state_dir).count(arn) == 9522
    stored = DatasetStore(state_dir).load(arn)
    assert stored.columns["TIMESTAMP"].dtype == np.int64
    assert stored.columns["ITEM_ID"][0] == "asics-tiger-gel-lyte-v-30-years-of-gel-pack"


def test_e2e_prefix_import_of_a_folder_with_two_files(
    dataset, run_import, objects, state_dir, workshop_lines
):
    arn = dataset()
    header, rows = workshop_lines[0], workshop_lines[1:]
    objects.put("s3://data/interactions/part-00000.csv", header + b"".join(rows[:4000]))
    objects.put("s3://data/interactions/part-00001.csv", header + b"".join(rows[4000:]))
    job = run_import(arn, "s3://data/interactions/")
    assert job["status"] == "ACTIVE"
    assert DatasetStore(state_dir).count(arn) == 9522


def _broken(workshop_lines: list[bytes], case: str) -> bytes:
    lines = list(workshop_lines)
    if case == "bom":
        return b"\xef\xbb\xbf" + b"".join(lines)
    if case == "milliseconds":
        return _rewrite(lines, lambda r, header: r if header else r[:3] + [r[3] + "000"])
    if case == "missing column":
        return _rewrite(lines, lambda r, header: r[:2] + r[3:])
    if case == "empty USER_ID":
        lines[4000] = b"," + lines[4000].split(b",", 1)[1]
    elif case == "ISO date":
        lines[9522] = lines[9522].rsplit(b",", 1)[0] + b",2019-05-16T02:26:45Z\n"
    elif case == "header whitespace":
        lines[0] = b"USER_ID ,ITEM_ID,EVENT_TYPE,TIMESTAMP\n"
    elif case == "column order":
        return _rewrite(lines, lambda r, header: [r[1], r[0], r[2], r[3]])
    elif case == "not UTF-8":
        lines[7] = lines[7].replace(b"Product", b"Produ\xe7t", 1)
    elif case == "ITEM_ID too long":
        lines[20] = b"1234," + b"i" * 300 + b",Product Clicked,1549847353\n"
    return b"".join(lines)


@pytest.mark.parametrize(
    ("case", "where", "problem"),
    [
        (
            "bom",
            "line 1, column USER_ID",
            "the header starts with a UTF-8 byte-order mark (EF BB BF); save the file as UTF-8 "
            "without a BOM",
        ),
        (
            "milliseconds",
            "line 2, column TIMESTAMP",
            "1549847353000 looks like epoch milliseconds (2019-02-11T01:09:13Z); Personalize needs "
            "epoch seconds: 1549847353",
        ),
        (
            "missing column",
            "line 1, column EVENT_TYPE",
            "the header is missing this column; the header must be "
            "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP",
        ),
        (
            "empty USER_ID",
            "line 4001, column USER_ID",
            "the value is empty, but USER_ID is required (its schema type does not allow null)",
        ),
        (
            "ISO date",
            "line 9523, column TIMESTAMP",
            "2019-05-16T02:26:45Z looks like an ISO 8601 date; Personalize needs epoch seconds: "
            "1557973605",
        ),
        (
            "header whitespace",
            "line 1, column USER_ID",
            'the header name "USER_ID " has stray whitespace; write USER_ID; the header must be '
            "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP",
        ),
        (
            "column order",
            "line 1, column ITEM_ID",
            "the header has ITEM_ID in position 1, where the schema has USER_ID; columns must be in "
            "schema order; the header must be USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP",
        ),
        (
            "not UTF-8",
            "line 8, column EVENT_TYPE",
            "the file is not valid UTF-8 (byte 0xe7 at byte 68 of the line); save it as UTF-8",
        ),
        (
            "ITEM_ID too long",
            "line 21, column ITEM_ID",
            "the value is 300 characters long; ITEM_ID values may have at most 256",
        ),
    ],
)
def test_e2e_broken_workshop_copies_fail_with_the_reason(
    dataset, run_import, objects, state_dir, tmp_path, workshop_lines, case, where, problem
):
    arn = dataset()
    path = tmp_path / "broken.csv"
    path.write_bytes(_broken(workshop_lines, case))
    objects.put("s3://data/broken/interactions.csv", path)
    job = run_import(arn, "s3://data/broken/interactions.csv")
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == (
        f"Input CSV s3://data/broken/interactions.csv, {where}: {problem}"
    )
    assert DatasetStore(state_dir).count(arn) == 0


def test_e2e_bad_boolean_in_an_items_import(dataset, run_import, objects):
    arn = dataset("Items", ITEMS_SCHEMA)
    rows = [_row(ITEM_ID=f"item-{i}") for i in range(1200)]
    rows[1100] = _row(ITEM_ID="item-1100", IN_STOCK="TRUE")
    objects.put("s3://data/items.csv", (ITEMS_HEADER + "\n" + "\n".join(rows) + "\n").encode())
    job = run_import(arn, "s3://data/items.csv")
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == (
        'Input CSV s3://data/items.csv, line 1102, column IN_STOCK: "TRUE" is not a boolean; '
        "Personalize needs lower-case true or false"
    )


def test_e2e_items_full_then_incremental_upsert(dataset, run_import, objects, state_dir):
    arn = dataset("Items", ITEMS_SCHEMA)
    objects.put(
        "s3://data/items-1.csv",
        (
            ITEMS_HEADER
            + "\n"
            + "\n".join(_row(ITEM_ID=f"item-{i}", RANK="1") for i in range(1500))
            + "\n"
        ).encode(),
    )
    objects.put(
        "s3://data/items-2.csv",
        (
            ITEMS_HEADER
            + "\n"
            + "\n".join(_row(ITEM_ID=f"item-{i}", RANK="2") for i in range(1000, 2000))
            + "\n"
        ).encode(),
    )
    assert run_import(arn, "s3://data/items-1.csv", "full")["status"] == "ACTIVE"
    job = run_import(arn, "s3://data/items-2.csv", "incremental", "INCREMENTAL")
    assert (job["status"], job["importMode"]) == ("ACTIVE", "INCREMENTAL")
    stored = DatasetStore(state_dir).load(arn)
    assert stored.num_rows == 2000
    ranks = dict(
        zip(stored.columns["ITEM_ID"].tolist(), stored.columns["RANK"].tolist(), strict=True)
    )
    assert (ranks["item-0"], ranks["item-999"], ranks["item-1000"], ranks["item-1999"]) == (
        1,
        1,
        2,
        2,
    )


def test_e2e_fewer_than_1000_records(dataset, run_import, objects, workshop_lines, state_dir):
    arn = dataset()
    objects.put("s3://data/small.csv", b"".join(workshop_lines[:1000]))
    job = run_import(arn, "s3://data/small.csv")
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == (
        "Input data at s3://data/small.csv has 999 records; an "
        "import job needs at least 1000 interaction records"
    )
    assert DatasetStore(state_dir).count(arn) == 0


def test_e2e_incremental_without_an_earlier_import(dataset, run_import, objects):
    arn = dataset()
    objects.put("s3://data/i.csv", WORKSHOP_CSV)
    job = run_import(arn, "s3://data/i.csv", mode="INCREMENTAL")
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == (
        f"INCREMENTAL import into {arn} needs an earlier FULL or INCREMENTAL import of that "
        "dataset; use importMode FULL first"
    )


def test_e2e_incremental_interactions_are_appended(
    dataset, run_import, objects, state_dir, workshop_lines
):
    arn = dataset()
    objects.put("s3://data/i.csv", WORKSHOP_CSV)
    objects.put("s3://data/more.csv", b"".join(workshop_lines[:1001]))
    assert run_import(arn, "s3://data/i.csv", "full")["status"] == "ACTIVE"
    assert run_import(arn, "s3://data/more.csv", "more", "INCREMENTAL")["status"] == "ACTIVE"
    assert DatasetStore(state_dir).count(arn) == 9522 + 1000


def test_e2e_missing_object(dataset, run_import, objects):
    arn = dataset()
    objects.put("s3://data/other.csv", b"x")
    job = run_import(arn, "s3://data/nothing-here.csv")
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == "No object at s3://data/nothing-here.csv"


class _NoSeek(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        chunk = self._data.read(len(b))
        b[: len(chunk)] = chunk
        return len(chunk)


def test_parse_csv_on_a_stream_that_cannot_seek(schema):
    stream = _NoSeek((HEADER + "\nu1,i1,e,1\nu2,i2,e,1549847353000\n").encode())
    assert not stream.seekable()
    with pytest.raises(CsvImportError) as e:
        parse_csv(stream, "s3://x/y.csv", schema)
    assert str(e.value) == (
        "Input CSV s3://x/y.csv, line 3, column TIMESTAMP: 1549847353000 "
        "looks like epoch milliseconds (2019-02-11T01:09:13Z); Personalize "
        "needs epoch seconds: 1549847353"
    )


def test_an_invalid_schema_is_a_value_error(store):
    store.put(URI, (HEADER + "\n").encode())
    with pytest.raises(ValueError) as e:
        read_import(store, URI, {"type": "record", "name": "X", "fields": "nope"})
    assert str(e.value) == "invalid schema: the record needs a non-empty list of fields"


def test_read_import_through_an_s3_endpoint(schema, workshop_lines, monkeypatch):
    import boto3
    from moto import mock_aws

    from personalize_reconcile.local.objectstore import S3ObjectStore

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="data")
        s3 = S3ObjectStore(client)
        s3.put("s3://data/in/interactions.csv", WORKSHOP_CSV)
        assert read_import(s3, "s3://data/in/", schema).num_rows == 9522
        lines = list(workshop_lines)
        lines[9000] = b"u1,i1,e,1549847353000\n"
        s3.put("s3://data/bad.csv", b"".join(lines))
        with pytest.raises(CsvImportError) as e:
            read_import(s3, "s3://data/bad.csv", schema)
        assert str(e.value) == (
            "Input CSV s3://data/bad.csv, line 9001, column TIMESTAMP: 1549847353000 looks like "
            "epoch milliseconds (2019-02-11T01:09:13Z); Personalize needs epoch seconds: "
            "1549847353"
        )


def test_not_utf8_in_the_header(store, schema):
    assert _reason(store, URI, b"USER_ID,ITEM_\xc3ID,EVENT_TYPE,TIMESTAMP\nu,i,e,1\n", schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1: the file is not valid UTF-8 "
        "(byte 0xc3 at byte 14 of the line); save it as UTF-8"
    )


def test_not_utf8_in_a_last_line_without_newline(store, schema, monkeypatch):
    monkeypatch.setattr(csvimport, "_READ_BYTES", 16)
    data = (HEADER + "\nu1,i1,e,1\nu2,i2,e,2\n").encode() + b"u3,i\xff3,e,3"
    assert _reason(store, URI, data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 4, column ITEM_ID: the file is not "
        "valid UTF-8 (byte 0xff at byte 5 of the line); save it as UTF-8"
    )


def test_utf16_big_endian_file(store, schema):
    data = (HEADER + "\n").encode("utf-16-be")
    assert _reason(store, URI, b"\xfe\xff" + data, schema) == (
        "Input CSV s3://data/broken/interactions.csv, line 1, column USER_ID: the header "
        "starts with a UTF-16 byte-order mark (FE FF); save the file as UTF-8 (without a BOM)"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            "1549847353000000000",
            "1549847353000000000 looks like epoch nanoseconds "
            "(2019-02-11T01:09:13Z); Personalize needs epoch seconds: 1549847353",
        ),
        (
            "-100000000000",
            "-100000000000 looks like epoch milliseconds (1966-10-31T14:13:20Z); "
            "Personalize needs epoch seconds: -100000000",
        ),
        (
            "2019-02-11 01:09",
            "2019-02-11 01:09 looks like an ISO 8601 date; Personalize needs "
            "epoch seconds: 1549847340 (if that time is UTC)",
        ),
        ("2019-02-30", '"2019-02-30" is not a long (a whole number)'),
        ("Mon, 11 Feb 2019", '"Mon, 11 Feb 2019" is not a long (a whole number)'),
    ],
)
def test_more_timestamp_shapes(store, schema, value, problem):
    data = (HEADER + f'\nu1,i1,e,"{value}"\n').encode()
    assert _reason(store, URI, data, schema) == (
        f"Input CSV s3://data/broken/interactions.csv, line 2, column TIMESTAMP: {problem}"
    )


def test_timestamps_just_under_the_milliseconds_guess_are_seconds(store, schema):
    store.put(URI, (HEADER + "\nu1,i1,e,99999999999\nu2,i2,e,-99999999999\n").encode())
    assert read_import(store, URI, schema).columns["TIMESTAMP"].tolist() == [
        99999999999,
        -99999999999,
    ]


def test_impressions_are_pipe_separated_item_ids(store):
    schema = record_dict(
        "Interactions",
        [USER_ID, ITEM_ID, TIMESTAMP, {"name": "IMPRESSION", "type": ["null", "string"]}],
    )
    store.put(URI, b"USER_ID,ITEM_ID,TIMESTAMP,IMPRESSION\nu1,i1,1,i1|i2|i3\nu2,i2,2,\n")
    assert read_import(store, URI, schema).columns["IMPRESSION"].tolist() == ["i1|i2|i3", None]
    assert _reason(
        store, URI, b"USER_ID,ITEM_ID,TIMESTAMP,IMPRESSION\nu1,i1,1,i1||i3\n", schema
    ) == (
        'Input CSV s3://data/broken/interactions.csv, line 2, column IMPRESSION: "i1||i3" has '
        "an empty value between | separators; separate the values of IMPRESSION with single | "
        "characters"
    )


def test_a_quoted_newline_after_a_number_is_not_a_number(store, schema):
    data = (HEADER + '\nu1,i1,e,"1549847353\n"\n').encode()
    assert _reason(store, URI, data, schema) == (
        'Input CSV s3://data/broken/interactions.csv, line 2, column TIMESTAMP: "1549847353\\n" '
        "is not a long (a whole number)"
    )


# The pyarrow fast path must give exactly what the csv-module path gives, and decline
# (leaving the file to the exact path) whenever it cannot be sure.

FAST_CASES = [
    ITEMS_HEADER + "\n" + ITEM_ROW + "\n",
    ITEMS_HEADER + "\r\n" + ITEM_ROW + "\r\n\r\n" + ITEM_ROW.replace("i1", "i2") + "\r\n",
    ITEMS_HEADER + "\n" + 'i1,false,,"Comedy|Drama","A film, with a comma",1,-3,,,\n',
    ITEMS_HEADER + "\n" + "i1,true,1e3,,,0,2147483647,-.5,-9223372036854775808,true\n\n",
    ITEMS_HEADER + "\n" + 'i1,true,1.,x,"",1,0,+2.5E-3,007,\n' + ITEM_ROW,
    # quoting the fast path declines: a quote inside a value, an escaped quote
    ITEMS_HEADER + "\n" + 'i"1,true,1,x,y,1,0,,,\n',
    ITEMS_HEADER + "\n" + '"i""1",true,1,x,"a ""b""",1,0,,,\n',
    ITEMS_HEADER + "\n" + '"i1"x,true,1,x,"a\nb",1,0,,,\n',
    ITEMS_HEADER + "\n" + "i1,true,1,x,é ü 😀,1,0,,,\n",
]


def _both_paths(data: bytes, monkeypatch):
    fast = parse_csv(io.BytesIO(data), URI, ITEMS_SCHEMA)
    with monkeypatch.context() as m:
        m.setattr(csvimport, "_fast_parse", lambda *a: None)
        exact = parse_csv(io.BytesIO(data), URI, ITEMS_SCHEMA)
    return fast, exact


@pytest.mark.parametrize("text", FAST_CASES)
def test_fast_path_gives_what_the_exact_path_gives(text, monkeypatch):
    fast, exact = _both_paths(text.encode(), monkeypatch)
    assert fast.num_rows == exact.num_rows
    for name, col in exact.columns.items():
        assert fast.columns[name].dtype == col.dtype, name
        assert fast.columns[name].tolist() == col.tolist() or (
            np.array_equal(fast.columns[name], col, equal_nan=True)
        ), name
    assert fast.nulls.keys() == exact.nulls.keys()
    for name, mask in exact.nulls.items():
        assert fast.nulls[name].tolist() == mask.tolist(), name


def test_fast_path_is_taken_for_plain_csv(monkeypatch):
    data = (ITEMS_HEADER + "\n" + ITEM_ROW + "\n").encode()
    fields = parse_fields(ITEMS_SCHEMA)
    assert csvimport._fast_parse(data, fields, None) is not None
    assert csvimport._fast_parse(b'"' + data, fields, None) is None


def _unclosed(line: bytes) -> bytes:
    """The row with its ITEM_ID opening a quotation mark that is never closed."""
    user, item, event, ts = line.rstrip(b"\n").split(b",")
    return user + b',"' + item + b"," + event + b"," + ts + b"\n"


def test_an_unclosed_quote_near_the_end_names_its_row_and_the_likely_cause(
    store, schema, workshop_lines
):
    lines = [line.replace(b'"', b"") for line in workshop_lines]
    lines[-10] = _unclosed(lines[-10])
    assert _reason(store, URI, b"".join(lines), schema) == (
        f"Input CSV s3://data/broken/interactions.csv, line {len(lines) - 9}: the row has 2 "
        "values, but the header has 4 columns; a value in it runs over several lines: is a "
        "quotation mark that opens it not closed?"
    )


def test_an_unclosed_quote_early_says_where_to_look(store, schema, workshop_lines):
    lines = [line.replace(b'"', b"") for line in workshop_lines]
    lines[5] = _unclosed(lines[5])
    reason = _reason(store, URI, b"".join(lines), schema)
    assert reason.startswith("Input CSV s3://data/broken/interactions.csv, line ")
    assert reason.endswith(
        ": a value is longer than 131072 characters; values may have at most 20000 (textual) "
        "or 1000 characters (a quotation mark that opens a value and is never closed makes "
        "the lines after it one value: look for one above this line)"
    )
