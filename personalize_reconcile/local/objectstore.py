"""Object store for ``s3://`` URIs: where the local target's import jobs read data from.

One job: map ``s3://bucket/key`` and ``s3://bucket/prefix/`` to objects, with a small
interface that the local target (import jobs) and the reconciler's ``uploadFrom`` share.
Nothing here knows about Personalize resources.

API (everything takes full ``s3://`` URIs as ``str``):

* :class:`ObjectStore` (a ``typing.Protocol``) — the interface:

  - ``put(uri, data) -> ObjectInfo``: store ``data`` (``bytes``-like = the content;
    ``str`` or ``os.PathLike`` = a local file to copy; the local store also takes a binary
    file object, read to its end) atomically: a reader sees the old object or the new one,
    never a half-written one.
  - ``head(uri) -> ObjectInfo``: size in bytes, ETag as S3 computes it for a single-part
    upload (the quoted lower-case MD5 hex of the content, e.g. ``'"9e10…"'``) and the
    last-modified time in whole epoch seconds.
  - ``open(uri) -> BinaryIO`` (a binary file object; close it) and ``get(uri) -> bytes``.
  - ``list(prefix_uri) -> list[ObjectInfo]``: every object whose key starts with the
    prefix (``s3://bucket/`` or ``s3://bucket/some/prefix/``; a prefix need not end in
    ``/``), sorted by key.
  - ``locate(data_location) -> list[ObjectInfo]``: what a Personalize ``dataLocation``
    names: one object, or, for a URI ending in ``/``, every object under that prefix
    except zero-byte folder markers (keys ending in ``/``), sorted by key. Raises
    :class:`NoSuchKeyError` when that is nothing.

* :class:`LocalObjectStore` — the offline implementation: objects are plain files at
  ``<state_dir>/s3/<bucket>/<key>``, so a user can also drop files there by hand.
  ETags are cached beside them under ``<state_dir>/s3/.meta/`` (bucket names never start
  with a dot, so these folders never clash with a bucket) and recomputed when the file
  changed. Temporary files live in ``<state_dir>/s3/.tmp/``. For the S3 that ``local
  serve`` answers (``local/s3protocol.py``) it also has ``delete(uri)``, ``buckets()``,
  ``bucket_exists``, ``create_bucket`` and ``delete_bucket`` (empty buckets only), and
  ``put(..., etag=...)`` to record a multipart upload's ETag.
* :class:`S3ObjectStore` — the same interface over a boto3 ``s3`` client (real S3, or an
  S3-compatible endpoint such as moto's server).
* :func:`open_object_store` ``(state_dir, s3_endpoint_url=None, **client_kwargs)`` — the
  local store, or the S3 one when an endpoint is given.
* :func:`parse_s3_uri` / :class:`S3Location` — split and check a URI.
* :func:`s3_etag` ``(bytes) -> str`` and :func:`file_etag` ``(path) -> str`` — the ETag a
  single-part upload of that content would get, to compare with ``head`` before uploading.

Errors (all subclasses of :class:`ObjectStoreError`, whose ``str()`` is a one-sentence
message naming the URI):

* :class:`InvalidLocationError` (also a ``ValueError``): not an ``s3://`` URI, a bucket name
  that breaks S3's naming rules, or a key that could escape the store's directory
  (``..`` or ``.`` segments, a leading ``/``, empty segments ``a//b``, backslashes, NUL), or
  a key longer than S3's 1024 UTF-8 bytes. Example:
  ``Invalid S3 key in s3://data/a/../b: the segment ".." is not allowed (keys may not
  climb out of their bucket)``.
* :class:`NoSuchKeyError`: the object (or, for ``locate`` of a prefix, any object) does
  not exist. Example: ``No object at s3://data/missing.csv``.
* :class:`NoSuchBucketError` (a :class:`NoSuchKeyError`): the bucket does not exist.
  Example: ``Bucket data does not exist (s3://data/x.csv)``.

Local-store limitation: because objects are files, a key cannot be both an object and a
"folder" of other keys (``a`` and ``a/b``); such a put raises :class:`ObjectStoreError`.

Callers: import jobs (``local/seams.py``, ``local/csvimport.py``), the S3 protocol of
``local serve`` (``local/s3protocol.py``, ``local/multipart.py``) and, for both targets,
``backends/target.py``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

from personalize_reconcile.rules.s3 import bucket_name_problem, key_problem

__all__ = [
    "InvalidLocationError",
    "LocalObjectStore",
    "NoSuchBucketError",
    "NoSuchKeyError",
    "ObjectInfo",
    "ObjectStore",
    "ObjectStoreError",
    "S3Location",
    "S3ObjectStore",
    "bucket_name_problem",
    "file_etag",
    "open_object_store",
    "parse_s3_uri",
    "s3_etag",
]

_CHUNK = 1 << 20


def _file_kind(mode: int) -> str:
    """What a non-regular file is, in words (``a FIFO (named pipe)``, ``a socket``...)."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


_MAX_SEGMENT_BYTES = 255  # file-name limit of common file systems (local store only)


class ObjectStoreError(Exception):
    """Base class of every object-store error; ``str()`` is the full message."""


class InvalidLocationError(ObjectStoreError, ValueError):
    """A URI, bucket name or key that is malformed or could escape the store."""


class ContentChangedError(ObjectStoreError):
    """A put's bytes did not have the MD5 the caller expected (the file changed since it
    was read); nothing was stored."""


class NoSuchKeyError(ObjectStoreError, LookupError):
    """The named object does not exist (or a prefix names no object).

    Also a ``LookupError``, so callers that only need "is it there?" can tell "not there"
    from every other failure without importing this module."""


class NoSuchBucketError(NoSuchKeyError):
    """The named bucket does not exist."""


@dataclass(frozen=True)
class S3Location:
    """A parsed ``s3://bucket/key`` URI.

    Attributes:
        bucket: the bucket name (checked against S3's naming rules).
        key: the object key or prefix; ``""`` for the whole bucket.
    """

    bucket: str
    key: str

    @property
    def is_prefix(self) -> bool:
        """True when the key is empty or ends in ``/`` (a folder, for ``dataLocation``)."""
        return self.key == "" or self.key.endswith("/")

    @property
    def uri(self) -> str:
        """The canonical ``s3://bucket/key`` form."""
        return f"s3://{self.bucket}/{self.key}"

    def child(self, key: str) -> S3Location:
        """The location of ``key`` in the same bucket."""
        return S3Location(self.bucket, key)


@dataclass(frozen=True)
class ObjectInfo:
    """What HeadObject returns, in the units this project uses.

    Attributes:
        uri: ``s3://bucket/key`` of the object.
        bucket, key: its parts.
        size: content length in bytes.
        etag: the S3 ETag of a single-part upload: the lower-case MD5 hex of the content
            in double quotes (``'"d41d8cd98f00b204e9800998ecf8427e"'`` for empty content).
            Objects uploaded to real S3 in several parts have ``"<hex>-<parts>"`` ETags.
        last_modified: whole epoch seconds (UTC), as S3's ``Last-Modified``.
    """

    uri: str
    bucket: str
    key: str
    size: int
    etag: str
    last_modified: int


# ---------------------------------------------------------------------------------------------
# URI, bucket and key rules


def parse_s3_uri(uri: str, *, allow_prefix: bool = True) -> S3Location:
    """Split ``s3://bucket/key`` into an :class:`S3Location`, checking bucket and key.

    ``s3://bucket`` and ``s3://bucket/`` name the whole bucket (key ``""``). With
    ``allow_prefix=False`` the URI must name one object (non-empty key not ending in ``/``).

    Raises:
        InvalidLocationError: not an ``s3://`` URI, a bad bucket name, or a key with
            ``..``/``.`` or empty segments, a leading ``/``, a backslash, a NUL or more than
            1024 UTF-8 bytes.
    """
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        scheme = uri.split("://", 1)[0] if isinstance(uri, str) and "://" in uri else None
        if scheme in ("http", "https"):
            raise InvalidLocationError(
                f"Unsupported data location {uri}: the local target reads s3:// URIs only"
            )
        raise InvalidLocationError(f"Invalid S3 URI {uri!r}: expected s3://bucket/key")
    rest = uri[len("s3://") :]
    bucket, _, key = rest.partition("/")
    problem = bucket_name_problem(bucket)
    if problem:
        raise InvalidLocationError(f"Invalid S3 bucket name {bucket!r} in {uri}: {problem}")
    problem = key_problem(key, allow_prefix=True)
    if problem:
        raise InvalidLocationError(f"Invalid S3 key in {uri}: {problem}")
    loc = S3Location(bucket, key)
    if not allow_prefix and loc.is_prefix:
        raise InvalidLocationError(
            f"Invalid S3 key in {uri}: it names a folder; name one object (no trailing /)"
        )
    return loc


def s3_etag(data: bytes) -> str:
    """The single-part S3 ETag of ``data``: its quoted lower-case MD5 hex."""
    return f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'


def file_etag(path: str | os.PathLike) -> str:
    """The ETag a single-part upload of the local file ``path`` gets (quoted MD5 hex).

    Lets ``uploadFrom`` compare a local file with :meth:`ObjectStore.head` before uploading.

    Raises:
        FileNotFoundError: no such file.
    """
    md5 = hashlib.md5(usedforsecurity=False)
    with open(os.fspath(path), "rb") as f:
        while chunk := f.read(_CHUNK):
            md5.update(chunk)
    return f'"{md5.hexdigest()}"'


# ---------------------------------------------------------------------------------------------
# The interface


@runtime_checkable
class ObjectStore(Protocol):
    """The object-store interface (see the module docstring for each method's contract)."""

    def put(
        self,
        uri: str,
        data: bytes | bytearray | memoryview | str | os.PathLike,
        *,
        content_md5: str | None = None,
    ) -> ObjectInfo:
        """Store ``data`` (content, or a local file path) at ``uri`` atomically; with
        ``content_md5`` (hex), only when the bytes read have that MD5
        (:class:`ContentChangedError` otherwise, and nothing stored)."""
        ...

    def head(self, uri: str) -> ObjectInfo:
        """Size, ETag and last-modified time of the object at ``uri``."""
        ...

    def open(self, uri: str) -> BinaryIO:
        """A binary file object reading the object at ``uri``."""
        ...

    def get(self, uri: str) -> bytes:
        """The whole content of the object at ``uri``."""
        ...

    def list(self, uri: str) -> list[ObjectInfo]:
        """Every object whose key starts with the URI's key, sorted by key."""
        ...

    def locate(self, data_location: str) -> list[ObjectInfo]:
        """The objects a Personalize ``dataLocation`` names (one, or a folder's)."""
        ...


def _locate(store: ObjectStore, data_location: str) -> list[ObjectInfo]:
    loc = parse_s3_uri(data_location)
    if not loc.is_prefix:
        return [store.head(data_location)]
    found = [o for o in store.list(data_location) if not o.key.endswith("/")]
    if not found:
        raise NoSuchKeyError(f"No objects under {loc.uri}")
    return found


# ---------------------------------------------------------------------------------------------
# Local implementation


class LocalObjectStore:
    """Objects as files under ``<state_dir>/s3/<bucket>/<key>`` (see the module docstring).

    Buckets exist when their folder exists; :meth:`put` creates it. Safe for several
    processes: writes go to a temporary file that is renamed into place.
    """

    def __init__(self, state_dir: str | os.PathLike) -> None:
        """``state_dir``: the local target's state directory (created on first write)."""
        self.root = Path(state_dir) / "s3"

    # -- paths -----------------------------------------------------------------------------

    def path_of(self, uri: str) -> Path:
        """The file (or, for a prefix, the folder) that ``uri`` maps to.

        Raises:
            InvalidLocationError: as :func:`parse_s3_uri`.
        """
        loc = parse_s3_uri(uri)
        return self._path(loc)

    def _path(self, loc: S3Location) -> Path:
        for part in loc.key.split("/"):
            if len(part.encode("utf-8", "surrogatepass")) > _MAX_SEGMENT_BYTES:
                raise InvalidLocationError(
                    f"Invalid S3 key in {loc.uri}: a segment is longer than "
                    f"{_MAX_SEGMENT_BYTES} bytes, which the local object store cannot hold"
                )
        path = self.root / loc.bucket / loc.key if loc.key else self.root / loc.bucket
        # Defence in depth: the checks above already exclude every escape.
        if not os.path.abspath(path).startswith(os.path.abspath(self.root / loc.bucket)):
            raise InvalidLocationError(f"Invalid S3 key in {loc.uri}: it escapes its bucket")
        return path

    def _meta_path(self, loc: S3Location) -> Path:
        return self.root / ".meta" / loc.bucket / (loc.key + ".etag.json")

    def _inside(self, loc: S3Location, path: Path) -> None:
        """Refuse a path that a symbolic link placed in the store leads outside it."""
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise InvalidLocationError(
                f"Invalid S3 key in {loc.uri}: it resolves outside the local object store "
                "(through a symbolic link)"
            )

    def _only_files(self, loc: S3Location, path: Path) -> None:
        """Refuse a key whose path in the store is, or passes through, a symbolic link, or
        ends at something other than a regular file (a FIFO would block a read for ever).

        Raises:
            ObjectStoreError: naming the URI, the path and what it is.
        """
        root = self.root
        try:
            rel = path.relative_to(root)
        except ValueError:
            return
        here, st = root, None
        for part in rel.parts:
            here = here / part
            try:
                st = os.lstat(here)
            except FileNotFoundError:
                return  # nothing there: the caller says so
            except NotADirectoryError:
                return
            if stat.S_ISLNK(st.st_mode):
                raise ObjectStoreError(
                    f"{loc.uri}: {here} in the local object store is a symbolic link, which "
                    "the store never follows; replace it with the file itself"
                )
        if st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
            raise ObjectStoreError(
                f"{loc.uri}: {here} in the local object store is {_file_kind(st.st_mode)}, "
                "not a file; remove it"
            )

    def _object(self, uri: str) -> tuple[S3Location, Path]:
        loc = parse_s3_uri(uri, allow_prefix=False)
        path = self._path(loc)
        self._inside(loc, path)
        self._only_files(loc, path)
        if not path.is_file():
            if not (self.root / loc.bucket).is_dir():
                raise NoSuchBucketError(f"Bucket {loc.bucket} does not exist ({loc.uri})")
            raise NoSuchKeyError(f"No object at {loc.uri}")
        return loc, path

    # -- writing -----------------------------------------------------------------------------

    def put(
        self,
        uri: str,
        data: bytes | bytearray | memoryview | str | os.PathLike | BinaryIO,
        *,
        etag: str | None = None,
        content_md5: str | None = None,
    ) -> ObjectInfo:
        """Store ``data`` at ``uri`` and return its :class:`ObjectInfo`.

        ``data`` is the content (``bytes``, ``bytearray``, ``memoryview``), the path of a
        local file to copy (``str`` or ``os.PathLike``), or a binary file object read to
        its end (S3 PutObject streams a request body this way). The write is atomic
        (temporary file in the same file system, fsync, rename): an exception from
        ``data.read`` leaves the old object, or none, in place. ``etag`` records another
        ETag than the content's MD5 (a multipart upload's ``"<hex>-<parts>"``).
        ``content_md5`` (lower-case hex): store only if the bytes read have this MD5, as S3
        does with a ``Content-MD5`` header.

        Raises:
            InvalidLocationError: a bad URI, or one naming a folder.
            ContentChangedError: the bytes read do not have the MD5 ``content_md5``.
            FileNotFoundError: ``data`` names a local file that does not exist.
            ObjectStoreError: the key collides with a folder of other keys, or a folder
                segment of the key is already an object.
        """
        loc = parse_s3_uri(uri, allow_prefix=False)
        path = self._path(loc)
        tmp_dir = self.root / ".tmp"
        try:
            tmp_dir.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise ObjectStoreError(
                f"Cannot store {loc.uri}: the local object store {self.root} is not a folder "
                "(a file is in its place); move that file aside"
            ) from None
        md5 = hashlib.md5(usedforsecurity=False)
        fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    out.write(data)
                    md5.update(data)
                elif hasattr(data, "read"):
                    while chunk := data.read(_CHUNK):  # type: ignore[union-attr]
                        out.write(chunk)
                        md5.update(chunk)
                else:
                    with open(os.fspath(data), "rb") as src:
                        while chunk := src.read(_CHUNK):
                            out.write(chunk)
                            md5.update(chunk)
                out.flush()
                if content_md5 is not None and md5.hexdigest() != content_md5:
                    raise ContentChangedError(
                        f"Cannot store {loc.uri}: the content read has MD5 {md5.hexdigest()}, "
                        f"not the expected {content_md5}"
                    )
                os.fsync(out.fileno())
                # Stat the file we wrote, not the path: another writer may replace the
                # object right after our rename (a rename keeps inode and mtime).
                st = os.fstat(out.fileno())
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise ObjectStoreError(
                    f"Cannot store {loc.uri}: a parent folder of this key is already an "
                    "object in the local object store"
                ) from None
            self._inside(loc, path)
            if path.is_dir():
                raise ObjectStoreError(
                    f"Cannot store {loc.uri}: other keys use it as a folder in the local "
                    "object store"
                )
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        etag = etag or f'"{md5.hexdigest()}"'
        self._write_meta(loc, st, etag)
        return ObjectInfo(loc.uri, loc.bucket, loc.key, st.st_size, etag, int(st.st_mtime))

    def _write_meta(self, loc: S3Location, st: os.stat_result, etag: str) -> None:
        meta = self._meta_path(loc)
        try:
            meta.parent.mkdir(parents=True, exist_ok=True)
            tmp_dir = self.root / ".tmp"
            tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="meta-")
            with os.fdopen(fd, "w") as out:
                json.dump(
                    {
                        "size": st.st_size,
                        "mtime_ns": st.st_mtime_ns,
                        "ino": st.st_ino,
                        "etag": etag,
                    },
                    out,
                )
            os.replace(tmp, meta)
        except OSError:
            pass  # the cache is an optimisation; head() recomputes without it

    # -- reading -----------------------------------------------------------------------------

    def head(self, uri: str) -> ObjectInfo:
        """Size (bytes), ETag (quoted MD5 hex) and last-modified (epoch seconds) of ``uri``.

        The MD5 is cached and recomputed when the file's size, mtime or inode changed
        (e.g. a file edited in place by hand).

        Raises:
            InvalidLocationError: a bad URI, or one naming a folder.
            NoSuchBucketError, NoSuchKeyError: nothing there.
        """
        loc, path = self._object(uri)
        return self._info(loc, path)

    def _info(self, loc: S3Location, path: Path) -> ObjectInfo:
        st = path.stat()
        etag = None
        try:
            meta = json.loads(self._meta_path(loc).read_text())
            if (meta["size"], meta["mtime_ns"], meta["ino"]) == (
                st.st_size,
                st.st_mtime_ns,
                st.st_ino,
            ):
                etag = meta["etag"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        if etag is None:
            md5 = hashlib.md5(usedforsecurity=False)
            with open(path, "rb") as f:
                while chunk := f.read(_CHUNK):
                    md5.update(chunk)
            etag = f'"{md5.hexdigest()}"'
            self._write_meta(loc, st, etag)
        return ObjectInfo(loc.uri, loc.bucket, loc.key, st.st_size, etag, int(st.st_mtime))

    def open(self, uri: str) -> BinaryIO:
        """Open the object at ``uri`` for binary reading (the caller closes it).

        Raises:
            InvalidLocationError, NoSuchBucketError, NoSuchKeyError: as :meth:`head`.
        """
        _, path = self._object(uri)
        return open(path, "rb")

    def get(self, uri: str) -> bytes:
        """The whole content of the object at ``uri``.

        Raises:
            InvalidLocationError, NoSuchBucketError, NoSuchKeyError: as :meth:`head`.
        """
        _, path = self._object(uri)
        return path.read_bytes()

    def list(self, uri: str) -> list[ObjectInfo]:
        """Every object whose key starts with the key of ``uri``, sorted by key.

        ``s3://bucket/`` lists the bucket; ``s3://bucket/a/`` the folder ``a``;
        ``s3://bucket/a`` also matches ``a.csv`` and ``a/b.csv``, as S3's ``Prefix`` does.

        Raises:
            InvalidLocationError: a bad URI.
            NoSuchBucketError: the bucket does not exist.
        """
        loc = parse_s3_uri(uri)
        bucket_dir = self._path(S3Location(loc.bucket, ""))
        if not bucket_dir.is_dir():
            raise NoSuchBucketError(f"Bucket {loc.bucket} does not exist ({loc.uri})")
        # Walk only the deepest folder the prefix fully names.
        folder = loc.key.rpartition("/")[0]
        start = bucket_dir / folder if folder else bucket_dir
        out = []
        for key, path in self._walk(bucket_dir, start):
            if key.startswith(loc.key):
                self._only_files(loc.child(key), path)
                out.append(self._info(loc.child(key), path))
        out.sort(key=lambda o: o.key)
        return out

    @staticmethod
    def _walk(bucket_dir: Path, start: Path) -> Iterator[tuple[str, Path]]:
        if not start.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            rel = os.path.relpath(dirpath, bucket_dir)
            # os.walk lists a symbolic link to a folder among the folders and does not
            # follow it; it is yielded like a file so that list() refuses it, instead of
            # leaving the folder's files out of an import without a word
            links = [name for name in dirnames if os.path.islink(os.path.join(dirpath, name))]
            for name in links + filenames:
                key = name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")
                yield key, Path(dirpath) / name

    def locate(self, data_location: str) -> list[ObjectInfo]:
        """The objects a ``dataLocation`` names: one object, or all under a ``/`` prefix.

        Raises:
            InvalidLocationError: a bad URI.
            NoSuchBucketError: the bucket does not exist.
            NoSuchKeyError: the object does not exist, or the prefix holds no object.
        """
        return _locate(self, data_location)

    # -- deleting ----------------------------------------------------------------------------

    def delete(self, uri: str) -> bool:
        """Remove the object at ``uri`` (and folders it leaves empty); ``True`` when there
        was one. Deleting a missing key is not an error, as in S3.

        Raises:
            InvalidLocationError: a bad URI, or one naming a folder.
            NoSuchBucketError: the bucket does not exist.
            ObjectStoreError: the key is, or passes through, a symbolic link.
        """
        loc = parse_s3_uri(uri, allow_prefix=False)
        path = self._path(loc)
        bucket_dir = self.root / loc.bucket
        if not bucket_dir.is_dir():
            raise NoSuchBucketError(f"Bucket {loc.bucket} does not exist ({loc.uri})")
        self._only_files(loc, path)
        existed = path.is_file()
        if existed:
            try:
                os.unlink(path)
            except FileNotFoundError:  # deleted by another writer meanwhile
                existed = False
        try:
            os.unlink(self._meta_path(loc))
        except OSError:
            pass
        for folder in (path.parent, self._meta_path(loc).parent):
            top = bucket_dir if folder.is_relative_to(bucket_dir) else self.root / ".meta"
            while folder != top and folder.is_relative_to(top):
                try:
                    folder.rmdir()  # only when empty
                except OSError:
                    break
                folder = folder.parent
        return existed

    # -- buckets -----------------------------------------------------------------------------

    def _bucket_record(self, bucket: str) -> Path:
        return self.root / ".meta" / ".buckets" / f"{bucket}.json"

    def buckets(self) -> list[tuple[str, int]]:
        """Every bucket as ``(name, creation time in whole epoch seconds)``, sorted by name.

        Folders under ``<state_dir>/s3/`` whose names break S3's bucket rules, and
        symbolic links, are not buckets. A folder made by hand has its modification time
        as creation time.
        """
        out = []
        if not self.root.is_dir():
            return out
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            if bucket_name_problem(entry.name) or not entry.is_dir(follow_symlinks=False):
                continue
            try:
                created = int(json.loads(self._bucket_record(entry.name).read_text())["created"])
            except (OSError, ValueError, KeyError, TypeError):
                created = int(entry.stat(follow_symlinks=False).st_mtime)
            out.append((entry.name, created))
        return out

    def bucket_exists(self, bucket: str) -> bool:
        """Whether ``bucket`` exists (a folder, not a symbolic link, under the store).

        Raises:
            InvalidLocationError: ``bucket`` breaks S3's naming rules.
        """
        loc = parse_s3_uri(f"s3://{bucket}/")
        path = self.root / loc.bucket
        return path.is_dir() and not path.is_symlink()

    def create_bucket(self, bucket: str) -> bool:
        """Create ``bucket``; ``False`` when it already existed.

        Raises:
            InvalidLocationError: ``bucket`` breaks S3's naming rules.
        """
        if self.bucket_exists(bucket):
            return False
        (self.root / bucket).mkdir(parents=True, exist_ok=True)
        record = self._bucket_record(bucket)
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(json.dumps({"created": int(time.time())}))
        except OSError:
            pass  # the folder's time stands in for it
        return True

    def delete_bucket(self, bucket: str) -> None:
        """Delete the empty bucket ``bucket`` (folders without files are removed with it).

        Raises:
            InvalidLocationError: ``bucket`` breaks S3's naming rules.
            NoSuchBucketError: no such bucket.
            ObjectStoreError: the bucket still holds objects (``str()`` says how many
                were seen, at least one).
        """
        if not self.bucket_exists(bucket):
            raise NoSuchBucketError(f"Bucket {bucket} does not exist (s3://{bucket}/)")
        bucket_dir = self.root / bucket
        for _ in self._walk(bucket_dir, bucket_dir):
            raise ObjectStoreError(f"Bucket {bucket} is not empty (s3://{bucket}/)")
        for dirpath, _dirs, _files in os.walk(bucket_dir, topdown=False):
            os.rmdir(dirpath)
        shutil.rmtree(self.root / ".meta" / bucket, ignore_errors=True)
        try:
            os.unlink(self._bucket_record(bucket))
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# S3 implementation


class S3ObjectStore:
    """The same interface over a boto3 ``s3`` client (AWS or an S3-compatible endpoint).

    ``last_modified`` is S3's ``LastModified`` in whole epoch seconds; ``etag`` is S3's
    own ETag (multi-part uploads have ``"<hex>-<parts>"`` ETags, not a plain MD5).
    """

    def __init__(self, client: Any, page_size: int | None = None) -> None:
        """``client``: a boto3 ``s3`` client (``boto3.client("s3", endpoint_url=...)``);
        ``page_size``: ListObjectsV2 ``MaxKeys`` (``None``: S3's default of 1000)."""
        self.client = client
        self.page_size = page_size

    def _error(self, exc: Exception, loc: S3Location) -> Exception:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code == "NoSuchBucket":
            return NoSuchBucketError(f"Bucket {loc.bucket} does not exist ({loc.uri})")
        if code in ("NoSuchKey", "404", "NotFound"):
            return NoSuchKeyError(f"No object at {loc.uri}")
        return exc

    def _call(self, loc: S3Location, op: str, **kwargs: Any) -> dict:
        from botocore.exceptions import ClientError, EndpointConnectionError

        try:
            return getattr(self.client, op)(**kwargs)
        except ClientError as exc:
            raise self._error(exc, loc) from exc
        except EndpointConnectionError as exc:
            raise ObjectStoreError(
                f"Cannot reach S3 at {exc.kwargs.get('endpoint_url')} to read or write {loc.uri}"
            ) from exc

    def put(
        self,
        uri: str,
        data: bytes | bytearray | memoryview | str | os.PathLike,
        *,
        content_md5: str | None = None,
    ) -> ObjectInfo:
        """PutObject (single part); see :meth:`LocalObjectStore.put` for the contract.
        ``content_md5`` is sent as ``Content-MD5``: S3 refuses a body with another MD5
        (BadDigest), raised as :class:`ContentChangedError`."""
        loc = parse_s3_uri(uri, allow_prefix=False)
        extra = {}
        if content_md5 is not None:
            extra["ContentMD5"] = base64.b64encode(bytes.fromhex(content_md5)).decode()
        try:
            if isinstance(data, (bytes, bytearray, memoryview)):
                self._call(
                    loc, "put_object", Bucket=loc.bucket, Key=loc.key, Body=bytes(data), **extra
                )
            else:
                with open(os.fspath(data), "rb") as body:
                    self._call(
                        loc, "put_object", Bucket=loc.bucket, Key=loc.key, Body=body, **extra
                    )
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in ("BadDigest", "InvalidDigest"):
                raise ContentChangedError(
                    f"Cannot store {loc.uri}: S3 found the content's MD5 is not the expected "
                    f"{content_md5} ({code})"
                ) from None
            raise
        return self.head(uri)

    def head(self, uri: str) -> ObjectInfo:
        """HeadObject; see :meth:`LocalObjectStore.head` for the contract."""
        loc = parse_s3_uri(uri, allow_prefix=False)
        r = self._call(loc, "head_object", Bucket=loc.bucket, Key=loc.key)
        return ObjectInfo(
            loc.uri,
            loc.bucket,
            loc.key,
            int(r["ContentLength"]),
            r["ETag"],
            int(r["LastModified"].timestamp()),
        )

    def open(self, uri: str) -> BinaryIO:
        """GetObject's streaming body; see :meth:`LocalObjectStore.open`."""
        loc = parse_s3_uri(uri, allow_prefix=False)
        body = self._call(loc, "get_object", Bucket=loc.bucket, Key=loc.key)["Body"]
        return io.BufferedReader(_StreamReader(body), buffer_size=_CHUNK)  # type: ignore[return-value]

    def get(self, uri: str) -> bytes:
        """GetObject's whole body; see :meth:`LocalObjectStore.get`."""
        with self.open(uri) as f:
            return f.read()

    def list(self, uri: str) -> list[ObjectInfo]:
        """ListObjectsV2 with ``Prefix``; see :meth:`LocalObjectStore.list`."""
        loc = parse_s3_uri(uri)
        out = []
        token = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": loc.bucket, "Prefix": loc.key}
            if self.page_size:
                kwargs["MaxKeys"] = self.page_size
            if token:
                kwargs["ContinuationToken"] = token
            r = self._call(loc, "list_objects_v2", **kwargs)
            for o in r.get("Contents", []):
                out.append(
                    ObjectInfo(
                        f"s3://{loc.bucket}/{o['Key']}",
                        loc.bucket,
                        o["Key"],
                        int(o["Size"]),
                        o["ETag"],
                        int(o["LastModified"].timestamp()),
                    )
                )
            token = r.get("NextContinuationToken")
            if not r.get("IsTruncated") or not token:
                break
        out.sort(key=lambda o: o.key)
        return out

    def locate(self, data_location: str) -> list[ObjectInfo]:
        """See :meth:`LocalObjectStore.locate`."""
        return _locate(self, data_location)


class _StreamReader(io.RawIOBase):
    """A ``BinaryIO`` over botocore's StreamingBody (buffered, closable)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        chunk = self._body.read(len(b))
        n = len(chunk)
        b[:n] = chunk
        return n

    def close(self) -> None:
        try:
            self._body.close()
        finally:
            super().close()


def open_object_store(
    state_dir: str | os.PathLike, s3_endpoint_url: str | None = None, **client_kwargs: Any
) -> LocalObjectStore | S3ObjectStore:
    """The store the local target reads ``s3://`` data from.

    Without ``s3_endpoint_url``: a :class:`LocalObjectStore` in ``state_dir``. With it: an
    :class:`S3ObjectStore` over ``boto3.client("s3", endpoint_url=s3_endpoint_url,
    **client_kwargs)`` (credentials and region from the usual boto3 chain unless given).
    """
    if not s3_endpoint_url:
        return LocalObjectStore(state_dir)
    import boto3

    return S3ObjectStore(boto3.client("s3", endpoint_url=s3_endpoint_url, **client_kwargs))
