"""Multipart uploads into the local object store, as S3 runs them.

One job: keep the parts of unfinished uploads (CreateMultipartUpload, UploadPart) under
``<state_dir>/s3/.uploads/<upload id>/`` and join them into one object of the
:class:`~personalize_reconcile.local.objectstore.LocalObjectStore` on
CompleteMultipartUpload (or drop them on AbortMultipartUpload). The joined object gets
S3's multipart ETag: the MD5 of the parts' binary MD5 digests, then ``-<number of parts>``.
Folders starting with a dot never clash with a bucket (bucket names start with a letter
or digit).

Rules (Amazon S3 API Reference, UploadPart and CompleteMultipartUpload): part numbers 1 to
10,000; every part but the last at least 5 MiB; the completion lists parts in ascending
order with the ETags UploadPart returned.

Callers: ``local/s3protocol.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from personalize_reconcile.local.objectstore import LocalObjectStore, ObjectInfo, parse_s3_uri

MIN_PART_BYTES = 5 * 1024 * 1024
"""Every part but the last must have at least this many bytes (5 MiB)."""
MAX_PART_NUMBER = 10_000
"""Part numbers run from 1 to this."""

_ID_RE = re.compile(r"[0-9a-f]{32}")
_CHUNK = 1 << 20


class MultipartError(Exception):
    """A refused multipart step; ``code`` is S3's error code, ``str()`` its message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _no_such_upload() -> MultipartError:
    return MultipartError(
        "NoSuchUpload",
        "The specified multipart upload does not exist. The upload ID may be invalid, or "
        "the upload may have been aborted or completed.",
    )


@dataclass(frozen=True)
class Part:
    """One part named in CompleteMultipartUpload: ``number`` (1-10,000) and the ``etag``
    UploadPart returned (quoted MD5 hex; quotes optional)."""

    number: int
    etag: str


class Uploads:
    """The unfinished uploads of one :class:`LocalObjectStore`."""

    def __init__(self, store: LocalObjectStore) -> None:
        """``store``: the object store the completed uploads go into."""
        self.store = store
        self.root = store.root / ".uploads"

    def _dir(self, upload_id: str, bucket: str, key: str) -> Path:
        """The folder of an upload of ``bucket``/``key``.

        Raises:
            MultipartError: NoSuchUpload (unknown id, or one for another object).
        """
        if not _ID_RE.fullmatch(upload_id):
            raise _no_such_upload()
        folder = self.root / upload_id
        try:
            meta = json.loads((folder / "upload.json").read_text())
        except (OSError, ValueError):
            raise _no_such_upload() from None
        if (meta.get("bucket"), meta.get("key")) != (bucket, key):
            raise _no_such_upload()
        return folder

    def create(self, bucket: str, key: str) -> str:
        """Start an upload of ``s3://bucket/key``; return its upload id (32 hex digits).

        Raises:
            InvalidLocationError: a bad bucket name or key (``objectstore.parse_s3_uri``).
        """
        parse_s3_uri(f"s3://{bucket}/{key}", allow_prefix=False)
        upload_id = uuid.uuid4().hex
        folder = self.root / upload_id
        folder.mkdir(parents=True)
        (folder / "upload.json").write_text(
            json.dumps({"bucket": bucket, "key": key, "initiated": int(time.time())})
        )
        return upload_id

    def put_part(self, upload_id: str, bucket: str, key: str, number: int, data: BinaryIO) -> str:
        """Store part ``number`` of an upload from ``data`` (read to its end); a part sent
        again replaces the earlier one. Returns its ETag (quoted MD5 hex).

        Raises:
            MultipartError: NoSuchUpload; InvalidArgument for a part number outside
                1-10,000.
            Exception: whatever ``data.read`` raises (the part is then not kept).
        """
        if not 1 <= number <= MAX_PART_NUMBER:
            raise MultipartError(
                "InvalidArgument",
                f"Part number must be an integer between 1 and {MAX_PART_NUMBER:,}, inclusive",
            )
        folder = self._dir(upload_id, bucket, key)
        md5 = hashlib.md5(usedforsecurity=False)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix="tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := data.read(_CHUNK):
                    out.write(chunk)
                    md5.update(chunk)
            etag = f'"{md5.hexdigest()}"'
            os.replace(tmp, folder / f"{number:05d}.part")
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        (folder / f"{number:05d}.etag").write_text(etag)
        return etag

    def complete(self, upload_id: str, bucket: str, key: str, parts: list[Part]) -> ObjectInfo:
        """Join ``parts`` into ``s3://bucket/key`` (atomically) and end the upload.

        Raises:
            MultipartError: NoSuchUpload; MalformedXML (no parts); InvalidPartOrder (not
                ascending); InvalidPart (a part not uploaded, or another ETag);
                EntityTooSmall (a part but the last under 5 MiB).
            ObjectStoreError: as ``LocalObjectStore.put``.
        """
        folder = self._dir(upload_id, bucket, key)
        if not parts:
            raise MultipartError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our "
                "published schema: CompleteMultipartUpload names no part",
            )
        numbers = [p.number for p in parts]
        if numbers != sorted(set(numbers)):
            raise MultipartError(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part "
                "number.",
            )
        files = []
        digests = b""
        for i, p in enumerate(parts):
            path = folder / f"{p.number:05d}.part"
            try:
                etag = (folder / f"{p.number:05d}.etag").read_text()
            except OSError:
                etag = None
            if etag is None or etag.strip('"') != p.etag.strip('"') or not path.is_file():
                raise MultipartError(
                    "InvalidPart",
                    "One or more of the specified parts could not be found. The part may not "
                    "have been uploaded, or the specified entity tag may not match the part's "
                    f"entity tag. (part {p.number})",
                )
            if i < len(parts) - 1 and path.stat().st_size < MIN_PART_BYTES:
                raise MultipartError(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size: part "
                    f"{p.number} has {path.stat().st_size:,} bytes; every part but the last "
                    f"needs at least {MIN_PART_BYTES:,}.",
                )
            files.append(path)
            digests += bytes.fromhex(etag.strip('"'))
        etag = f'"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(parts)}"'
        with _Joined(files) as joined:
            info = self.store.put(f"s3://{bucket}/{key}", joined, etag=etag)
        shutil.rmtree(folder, ignore_errors=True)
        return info

    def abort(self, upload_id: str, bucket: str, key: str) -> None:
        """Drop an upload and its parts.

        Raises:
            MultipartError: NoSuchUpload.
        """
        shutil.rmtree(self._dir(upload_id, bucket, key), ignore_errors=True)


class _Joined:
    """A binary reader over several files, one after the other."""

    def __init__(self, files: list[Path]) -> None:
        self._files = list(files)
        self._current: BinaryIO | None = None

    def __enter__(self) -> _Joined:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._current is not None:
            self._current.close()

    def read(self, size: int = -1) -> bytes:
        while True:
            if self._current is None:
                if not self._files:
                    return b""
                self._current = open(self._files.pop(0), "rb")  # noqa: SIM115
            chunk = self._current.read(size)
            if chunk:
                return chunk
            self._current.close()
            self._current = None
