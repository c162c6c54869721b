"""The object store behind s3:// URIs: the local files implementation and the boto3 one.

Contract tests run against both :class:`LocalObjectStore` and :class:`S3ObjectStore` (over
moto's in-process S3), so the two stay interchangeable.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from personalize_reconcile.local.objectstore import (
    ContentChangedError,
    InvalidLocationError,
    LocalObjectStore,
    NoSuchBucketError,
    NoSuchKeyError,
    ObjectStore,
    ObjectStoreError,
    S3Location,
    S3ObjectStore,
    bucket_name_problem,
    file_etag,
    open_object_store,
    parse_s3_uri,
    s3_etag,
)


def _etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest() + '"'


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, monkeypatch):
    """An empty store in which bucket ``data`` exists."""
    if request.param == "local":
        (tmp_path / "state" / "s3" / "data").mkdir(parents=True)
        yield LocalObjectStore(tmp_path / "state")
        return
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="data")
        yield S3ObjectStore(client)


# --- contract, both implementations -------------------------------------------------------


def test_both_implementations_satisfy_the_protocol(store):
    assert isinstance(store, ObjectStore)


def test_put_bytes_then_head_get_open(store):
    before = int(time.time()) - 1
    info = store.put("s3://data/in/a.csv", b"USER_ID\n1\n")
    assert (info.uri, info.bucket, info.key, info.size) == (
        "s3://data/in/a.csv",
        "data",
        "in/a.csv",
        10,
    )
    assert info.etag == _etag(b"USER_ID\n1\n")
    assert before <= info.last_modified <= int(time.time()) + 1
    assert store.head("s3://data/in/a.csv") == info
    assert store.get("s3://data/in/a.csv") == b"USER_ID\n1\n"
    with store.open("s3://data/in/a.csv") as f:
        assert f.read(4) == b"USER"
        assert f.read() == b"_ID\n1\n"


def test_put_replaces_the_object(store):
    store.put("s3://data/x", b"one")
    info = store.put("s3://data/x", b"two!")
    assert store.get("s3://data/x") == b"two!"
    assert (info.size, info.etag) == (4, _etag(b"two!"))


def test_put_empty_object_has_the_md5_of_nothing(store):
    info = store.put("s3://data/empty", b"")
    assert (info.size, info.etag) == (0, '"d41d8cd98f00b204e9800998ecf8427e"')


@pytest.mark.parametrize("as_type", [str, Path])
def test_put_copies_a_local_file(store, tmp_path, as_type):
    src = tmp_path / "upload.csv"
    src.write_bytes(b"a,b\n" * 1000)
    info = store.put("s3://data/up.csv", as_type(src))
    assert info.etag == _etag(b"a,b\n" * 1000)
    assert store.get("s3://data/up.csv") == b"a,b\n" * 1000


def test_put_with_the_content_md5_stores_only_those_bytes(store, tmp_path):
    """S3 refuses a body whose MD5 is not the Content-MD5 sent (BadDigest); moto does not
    check it, so S3ObjectStore's refusal is tested against local serve's S3
    (tests/local/test_server_s3.py)."""
    src = tmp_path / "upload.csv"
    src.write_bytes(b"a,b\n" * 1000)
    expected = hashlib.md5(b"a,b\n" * 1000).hexdigest()
    info = store.put("s3://data/up.csv", src, content_md5=expected)
    assert info.etag == f'"{expected}"'
    if isinstance(store, S3ObjectStore):
        return
    src.write_bytes(b"a,b\n" * 999)  # changed since its MD5 was taken
    with pytest.raises(ContentChangedError):
        store.put("s3://data/up.csv", src, content_md5=expected)
    with pytest.raises(ContentChangedError):
        store.put("s3://data/new.csv", src, content_md5=expected)
    assert store.get("s3://data/up.csv") == b"a,b\n" * 1000  # the old object stays
    with pytest.raises(NoSuchKeyError):
        store.head("s3://data/new.csv")


def test_put_from_a_missing_local_file_raises_file_not_found(store, tmp_path):
    with pytest.raises(FileNotFoundError):
        store.put("s3://data/x", tmp_path / "nope.csv")


def test_list_is_sorted_and_uses_s3_prefix_semantics(store):
    for key in ["b/2.csv", "a.csv", "b/1.csv", "b/sub/3.csv", "bb.csv"]:
        store.put(f"s3://data/{key}", key.encode())
    assert [o.key for o in store.list("s3://data/")] == [
        "a.csv",
        "b/1.csv",
        "b/2.csv",
        "b/sub/3.csv",
        "bb.csv",
    ]
    assert [o.key for o in store.list("s3://data/b/")] == ["b/1.csv", "b/2.csv", "b/sub/3.csv"]
    assert [o.key for o in store.list("s3://data/b")] == [
        "b/1.csv",
        "b/2.csv",
        "b/sub/3.csv",
        "bb.csv",
    ]
    assert [o.key for o in store.list("s3://data/b/sub/3")] == ["b/sub/3.csv"]
    assert store.list("s3://data/zzz/") == []
    listed = store.list("s3://data/a")[0]
    assert listed == store.head("s3://data/a.csv")


def test_locate_one_object_or_a_folder(store):
    store.put("s3://data/f/2.csv", b"2")
    store.put("s3://data/f/1.csv", b"1")
    store.put("s3://data/f.csv", b"f")
    assert [o.key for o in store.locate("s3://data/f.csv")] == ["f.csv"]
    assert [o.key for o in store.locate("s3://data/f/")] == ["f/1.csv", "f/2.csv"]


def test_locate_a_missing_object(store):
    with pytest.raises(NoSuchKeyError) as e:
        store.locate("s3://data/missing.csv")
    assert str(e.value) == "No object at s3://data/missing.csv"


def test_locate_an_empty_folder(store):
    with pytest.raises(NoSuchKeyError) as e:
        store.locate("s3://data/nothing/")
    assert str(e.value) == "No objects under s3://data/nothing/"


@pytest.mark.parametrize("op", ["head", "get", "open", "locate"])
def test_missing_bucket(store, op):
    with pytest.raises(NoSuchBucketError) as e:
        getattr(store, op)("s3://other-bucket/x.csv")
    assert str(e.value) == "Bucket other-bucket does not exist (s3://other-bucket/x.csv)"


def test_list_of_a_missing_bucket(store):
    with pytest.raises(NoSuchBucketError) as e:
        store.list("s3://other-bucket/")
    assert str(e.value) == "Bucket other-bucket does not exist (s3://other-bucket/)"


@pytest.mark.parametrize("op", ["head", "get", "open"])
def test_missing_key(store, op):
    with pytest.raises(NoSuchKeyError) as e:
        getattr(store, op)("s3://data/none.csv")
    assert str(e.value) == "No object at s3://data/none.csv"


@pytest.mark.parametrize("op", ["put", "head", "get", "open"])
def test_object_operations_refuse_a_folder(store, op):
    args = ("s3://data/folder/", b"x") if op == "put" else ("s3://data/folder/",)
    with pytest.raises(InvalidLocationError) as e:
        getattr(store, op)(*args)
    assert str(e.value) == (
        "Invalid S3 key in s3://data/folder/: it names a folder; name one object (no trailing /)"
    )


# --- URI, bucket and key rules --------------------------------------------------------------


def test_parse_s3_uri():
    assert parse_s3_uri("s3://data/a/b.csv") == S3Location("data", "a/b.csv")
    assert parse_s3_uri("s3://data") == S3Location("data", "")
    assert parse_s3_uri("s3://data/").is_prefix
    assert parse_s3_uri("s3://data/a/").is_prefix
    assert not parse_s3_uri("s3://data/a").is_prefix
    assert parse_s3_uri("s3://data/a").uri == "s3://data/a"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            "s3://data/a/../b",
            'Invalid S3 key in s3://data/a/../b: the segment ".." is not allowed '
            "(keys may not climb out of their bucket)",
        ),
        (
            "s3://data/..",
            'Invalid S3 key in s3://data/..: the segment ".." is not allowed '
            "(keys may not climb out of their bucket)",
        ),
        (
            "s3://data/../other/x",
            'Invalid S3 key in s3://data/../other/x: the segment ".." is not '
            "allowed (keys may not climb out of their bucket)",
        ),
        (
            "s3://data/./x",
            'Invalid S3 key in s3://data/./x: the segment "." is not allowed '
            "(keys may not climb out of their bucket)",
        ),
        (
            "s3://data//etc/passwd",
            "Invalid S3 key in s3://data//etc/passwd: it starts with / (an "
            "absolute path); write s3://bucket/key",
        ),
        ("s3://data/a//b", "Invalid S3 key in s3://data/a//b: it has an empty segment (//)"),
        (
            "s3://data/a\\..\\b",
            "Invalid S3 key in s3://data/a\\..\\b: it contains a backslash; use "
            "/ to separate folders",
        ),
        ("s3://data/a\x00b", "Invalid S3 key in s3://data/a\x00b: it contains a NUL character"),
        (
            "s3://data/" + "k" * 1025,
            "Invalid S3 key in s3://data/" + "k" * 1025 + ": it is longer "
            "than S3's limit of 1024 UTF-8 bytes",
        ),
        (
            "https://data.example/x.csv",
            "Unsupported data location https://data.example/x.csv: the "
            "local target reads s3:// URIs only",
        ),
        ("/tmp/x.csv", "Invalid S3 URI '/tmp/x.csv': expected s3://bucket/key"),
        ("s3:/data/x", "Invalid S3 URI 's3:/data/x': expected s3://bucket/key"),
        (
            "s3://Data/x",
            "Invalid S3 bucket name 'Data' in s3://Data/x: bucket names use only "
            "lower-case letters, digits, dots and hyphens, and start and end with a "
            "letter or digit",
        ),
        (
            "s3://../x",
            "Invalid S3 bucket name '..' in s3://../x: it is 2 characters long; bucket "
            "names have 3 to 63 characters",
        ),
    ],
)
def test_bad_uris_are_rejected(uri, message):
    with pytest.raises(InvalidLocationError) as e:
        parse_s3_uri(uri)
    assert str(e.value) == message


@pytest.mark.parametrize(
    ("bucket", "problem"),
    [
        ("ab", "it is 2 characters long; bucket names have 3 to 63 characters"),
        ("a" * 64, "it is 64 characters long; bucket names have 3 to 63 characters"),
        (
            "my_bucket",
            "bucket names use only lower-case letters, digits, dots and hyphens, and "
            "start and end with a letter or digit",
        ),
        (
            "-abc",
            "bucket names use only lower-case letters, digits, dots and hyphens, and start "
            "and end with a letter or digit",
        ),
        (
            "abc.",
            "bucket names use only lower-case letters, digits, dots and hyphens, and start "
            "and end with a letter or digit",
        ),
        ("a..b", "bucket names may not contain two adjacent dots"),
        ("192.168.5.4", "bucket names may not be formatted as an IP address"),
        ("xn--abc", "bucket names may not start with the reserved prefix xn--"),
        ("sthree-abc", "bucket names may not start with the reserved prefix sthree-"),
        ("amzn-s3-demo-abc", "bucket names may not start with the reserved prefix amzn-s3-demo-"),
        ("abc-s3alias", "bucket names may not end with the reserved suffix -s3alias"),
        ("abc--ol-s3", "bucket names may not end with the reserved suffix --ol-s3"),
        ("abc.mrap", "bucket names may not end with the reserved suffix .mrap"),
        ("abc--x-s3", "bucket names may not end with the reserved suffix --x-s3"),
        ("abc--table-s3", "bucket names may not end with the reserved suffix --table-s3"),
    ],
)
def test_bucket_naming_rules(bucket, problem):
    assert bucket_name_problem(bucket) == problem


@pytest.mark.parametrize("bucket", ["abc", "personalize-data-000000000000", "a.b-c.1", "1" * 63])
def test_good_bucket_names(bucket):
    assert bucket_name_problem(bucket) is None


# --- local implementation specifics -----------------------------------------------------


@pytest.fixture
def local(tmp_path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "state")


def test_objects_are_files_inside_the_state_dir(local, tmp_path):
    local.put("s3://data/a/b.csv", b"x")
    assert (tmp_path / "state" / "s3" / "data" / "a" / "b.csv").read_bytes() == b"x"
    assert local.path_of("s3://data/a/b.csv") == tmp_path / "state" / "s3" / "data" / "a" / "b.csv"


def test_put_creates_the_bucket_and_leaves_no_temporary_files(local, tmp_path):
    local.put("s3://new-bucket/k", b"x")
    assert local.get("s3://new-bucket/k") == b"x"
    assert list((tmp_path / "state" / "s3" / ".tmp").iterdir()) == []


def test_a_file_dropped_by_hand_is_an_object(local, tmp_path):
    path = tmp_path / "state" / "s3" / "data" / "hand" / "made.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"hello")
    assert local.head("s3://data/hand/made.csv").etag == _etag(b"hello")
    assert [o.key for o in local.list("s3://data/")] == ["hand/made.csv"]


def test_etag_follows_a_file_edited_in_place(local, tmp_path):
    local.put("s3://data/k", b"aaaa")
    path = tmp_path / "state" / "s3" / "data" / "k"
    path.write_bytes(b"bbbb")  # same size, new content
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert local.head("s3://data/k").etag == _etag(b"bbbb")


def test_a_corrupt_etag_cache_is_recomputed(local, tmp_path):
    local.put("s3://data/k", b"abc")
    meta = tmp_path / "state" / "s3" / ".meta" / "data" / "k.etag.json"
    meta.write_text("{not json")
    assert local.head("s3://data/k").etag == _etag(b"abc")


def test_hidden_store_folders_are_not_buckets_or_keys(local):
    local.put("s3://data/k", b"abc")
    local.head("s3://data/k")
    assert [o.key for o in local.list("s3://data/")] == ["k"]
    with pytest.raises(InvalidLocationError):
        local.list("s3://.meta/")


def test_a_key_under_an_existing_object_is_refused(local):
    local.put("s3://data/a", b"x")
    with pytest.raises(ObjectStoreError) as e:
        local.put("s3://data/a/b", b"y")
    assert str(e.value) == (
        "Cannot store s3://data/a/b: a parent folder of this key is "
        "already an object in the local object store"
    )


def test_a_key_used_as_a_folder_is_refused(local):
    local.put("s3://data/a/b", b"x")
    with pytest.raises(ObjectStoreError) as e:
        local.put("s3://data/a", b"y")
    assert str(e.value) == (
        "Cannot store s3://data/a: other keys use it as a folder in the local object store"
    )
    assert local.get("s3://data/a/b") == b"x"


def test_a_segment_too_long_for_the_file_system_is_refused(local):
    uri = "s3://data/" + "x" * 256
    with pytest.raises(InvalidLocationError) as e:
        local.put(uri, b"y")
    assert str(e.value) == (
        f"Invalid S3 key in {uri}: a segment is longer than 255 bytes, "
        "which the local object store cannot hold"
    )


def test_escaping_keys_never_touch_the_file_system(local, tmp_path):
    for uri in ["s3://data/../escape", "s3://data//abs", "s3://data/a\\b"]:
        with pytest.raises(InvalidLocationError):
            local.put(uri, b"x")
    assert not (tmp_path / "state" / "s3" / "escape").exists()
    assert sorted(p.name for p in (tmp_path / "state").rglob("*") if p.is_file()) == []


def test_unicode_keys(local):
    info = local.put("s3://data/données/été.csv", b"x")
    assert info.key == "données/été.csv"
    assert [o.key for o in local.list("s3://data/donn")] == ["données/été.csv"]


def test_a_symbolic_link_out_of_the_store_is_refused(local, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    bucket = tmp_path / "state" / "s3" / "data"
    bucket.mkdir(parents=True)
    (bucket / "link.csv").symlink_to(outside)
    (bucket / "dir").symlink_to(tmp_path, target_is_directory=True)
    for op in ("head", "get", "open"):
        with pytest.raises(InvalidLocationError) as e:
            getattr(local, op)("s3://data/link.csv")
        assert str(e.value) == (
            "Invalid S3 key in s3://data/link.csv: it resolves outside the "
            "local object store (through a symbolic link)"
        )
    with pytest.raises(InvalidLocationError) as e:
        local.put("s3://data/dir/planted.txt", b"x")
    assert str(e.value) == (
        "Invalid S3 key in s3://data/dir/planted.txt: it resolves outside "
        "the local object store (through a symbolic link)"
    )
    assert not (tmp_path / "planted.txt").exists()
    assert outside.read_text() == "secret"


def test_a_symbolic_link_inside_the_store_is_not_followed(local, tmp_path):
    local.put("s3://data/real.csv", b"a,b\n")
    bucket = tmp_path / "state" / "s3" / "data"
    (bucket / "link.csv").symlink_to(bucket / "real.csv")
    message = (
        f"s3://data/link.csv: {bucket / 'link.csv'} in the local object store is a symbolic "
        "link, which the store never follows; replace it with the file itself"
    )
    for call in (
        lambda: local.head("s3://data/link.csv"),
        lambda: local.get("s3://data/link.csv"),
        lambda: local.list("s3://data/"),
    ):
        with pytest.raises(ObjectStoreError) as e:
            call()
        assert str(e.value) == message


def test_a_symbolic_link_to_a_folder_under_a_prefix_is_refused_not_skipped(local, tmp_path):
    """Left out silently, the linked folder's files would be missing from the import."""
    local.put("s3://data/in/a.csv", b"a,b\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "b.csv").write_text("a,b\n")
    bucket = tmp_path / "state" / "s3" / "data"
    (bucket / "in" / "more").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ObjectStoreError) as e:
        local.list("s3://data/in/")
    assert str(e.value) == (
        f"s3://data/in/more: {bucket / 'in' / 'more'} in the local object store is a symbolic "
        "link, which the store never follows; replace it with the file itself"
    )
    assert [o.key for o in local.list("s3://data/in/a")] == ["in/a.csv"]


def test_a_file_where_the_store_belongs_is_named(local, tmp_path):
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state" / "s3").write_text("not a folder")
    with pytest.raises(ObjectStoreError) as e:
        local.put("s3://data/a.csv", b"a,b\n")
    assert str(e.value) == (
        f"Cannot store s3://data/a.csv: the local object store {tmp_path / 'state' / 's3'} is "
        "not a folder (a file is in its place); move that file aside"
    )


def _raised(call, outcome: list) -> None:
    """Append to ``outcome`` the exception ``call()`` raised, or ``None``."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001
        outcome.append(exc)
        return
    outcome.append(None)


def test_a_fifo_under_a_prefix_is_refused_not_read(local, tmp_path):
    import os

    local.put("s3://data/in/part-1.csv", b"a,b\n")
    fifo = tmp_path / "state" / "s3" / "data" / "in" / "part-2.csv"
    os.mkfifo(fifo)
    message = (
        f"s3://data/in/part-2.csv: {fifo} in the local object store is a FIFO (named pipe), "
        "not a file; remove it"
    )
    for call in (
        lambda: local.locate("s3://data/in/"),
        lambda: local.head("s3://data/in/part-2.csv"),
    ):
        # on a daemon thread, bounded: reading a FIFO would wait for a writer for ever
        outcome: list = []
        worker = threading.Thread(target=_raised, args=(call, outcome), daemon=True)
        worker.start()
        worker.join(60)
        assert outcome, "the store blocked on the FIFO"
        assert isinstance(outcome[0], ObjectStoreError) and str(outcome[0]) == message


def test_s3_listing_follows_continuation_tokens(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="data")
        store = S3ObjectStore(client, page_size=2)
        for i in (4, 0, 3, 1, 2):
            store.put(f"s3://data/p/{i}.csv", b"x" * i)
        assert [(o.key, o.size) for o in store.list("s3://data/p/")] == [
            (f"p/{i}.csv", i) for i in range(5)
        ]
        assert [o.key for o in store.locate("s3://data/p/")] == [f"p/{i}.csv" for i in range(5)]


def test_s3_locate_skips_folder_markers(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="data")
        client.put_object(Bucket="data", Key="p/", Body=b"")
        store = S3ObjectStore(client)
        with pytest.raises(NoSuchKeyError) as e:
            store.locate("s3://data/p/")
        assert str(e.value) == "No objects under s3://data/p/"
        store.put("s3://data/p/a.csv", b"a")
        assert [o.key for o in store.locate("s3://data/p/")] == ["p/a.csv"]


def test_open_object_store(tmp_path, monkeypatch):
    assert isinstance(open_object_store(tmp_path), LocalObjectStore)
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    s3 = open_object_store(tmp_path, "http://127.0.0.1:9", region_name="us-east-1")
    assert isinstance(s3, S3ObjectStore)
    assert s3.client.meta.endpoint_url == "http://127.0.0.1:9"


def test_concurrent_writers_and_a_reader_never_see_half_an_object(local):
    import threading

    contents = {bytes([65 + i]) * (100_000 + i) for i in range(4)}
    local.put("s3://data/hot", next(iter(contents)))
    seen: list[bytes] = []
    stop = threading.Event()

    def write(data: bytes) -> None:
        for _ in range(25):
            local.put("s3://data/hot", data)

    def read() -> None:
        while not stop.is_set():
            seen.append(local.get("s3://data/hot"))

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(c,)) for c in contents]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    reader.join()
    assert seen and all(s in contents for s in seen)
    final = local.get("s3://data/hot")
    assert local.head("s3://data/hot").etag == _etag(final)


def test_etag_helpers_match_what_a_put_gets(store, tmp_path):
    src = tmp_path / "f.csv"
    src.write_bytes(b"x" * (3 << 20))  # several read chunks
    info = store.put("s3://data/f.csv", src)
    assert file_etag(src) == s3_etag(src.read_bytes()) == info.etag
    with pytest.raises(FileNotFoundError):
        file_etag(tmp_path / "missing")
