"""S3's REST protocol over the local object store, for ``preconcile local serve``.

One job: turn one S3 request (method, path and query, headers, a body reader) into one
S3 answer (status, headers, XML or object bytes), reading and writing the state dir's
:class:`~personalize_reconcile.local.objectstore.LocalObjectStore`, the store that import
jobs read and batch inference jobs write. So data put through S3 is importable at once.

Operations (Amazon S3 API Reference): ListBuckets, CreateBucket (a bucket one owns
already: 200 in us-east-1, BucketAlreadyOwnedByYou elsewhere, as S3), HeadBucket,
DeleteBucket (empty buckets only), GetBucketLocation, PutObject, GetObject (one ``Range``
of bytes; ``If-Match`` / ``If-None-Match``), HeadObject, CopyObject, DeleteObject,
DeleteObjects, ListObjectsV2 (``prefix``, ``delimiter``, ``continuation-token``,
``start-after``, ``max-keys``, ``encoding-type=url``), ListObjects (v1, ``marker``), and
multipart uploads (CreateMultipartUpload, UploadPart, UploadPartCopy,
CompleteMultipartUpload, AbortMultipartUpload, through ``local/multipart.py``). Buckets
are named by the path (``/bucket/key``) or by the host (``bucket.localhost:4566``,
virtual-hosted style, for the hosts in ``S3Request.hosts``). Signatures are not checked,
but a body's ``Content-MD5``, ``x-amz-checksum-crc32``, ``-sha1``, ``-sha256`` and hex
``x-amz-content-sha256`` are, once it is read: a mismatch is BadDigest (or
XAmzContentSHA256Mismatch) and nothing is stored. Errors are S3's XML documents with its
codes (NoSuchBucket, NoSuchKey, BucketNotEmpty, InvalidBucketName, ...); HEAD answers
carry no body, as S3's. Anything else gets NotImplemented (501) or MethodNotAllowed (405)
naming what was asked.

Callers: ``local/server.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import time
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, BinaryIO
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from personalize_reconcile.local.multipart import MultipartError, Part, Uploads
from personalize_reconcile.local.objectstore import (
    InvalidLocationError,
    LocalObjectStore,
    NoSuchBucketError,
    NoSuchKeyError,
    ObjectInfo,
    ObjectStoreError,
)
from personalize_reconcile.rules.problems import clipped
from personalize_reconcile.rules.s3 import bucket_name_problem

log = logging.getLogger(__name__)

XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
# A bucket name or key is at most 1024 bytes on S3: longer echoes in an error are cut.
_KEY_MAX = 1024
MAX_OBJECT_BYTES = 5 * 1024**3
"""The largest single PutObject or UploadPart body (5 GiB, S3's limit)."""
MAX_XML_BYTES = 4 * 1024 * 1024
"""The largest XML request body read (DeleteObjects of 1,000 long keys fits)."""
DEFAULT_MAX_KEYS = 1000
"""Keys per listing page when ``max-keys`` is absent, and the most it may ask (S3's)."""
OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
"""The canonical user id listed as every bucket's owner (a fixed, made-up value)."""

# Query parameters that do not select an operation.
_IGNORED = {"x-id"}
_LIST_PARAMS = {
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "continuation-token",
    "start-after",
    "encoding-type",
    "fetch-owner",
    "marker",
}
_LIST_BUCKETS_PARAMS = {"max-buckets", "prefix", "continuation-token", "bucket-region"}
"""ListBuckets' parameters; all buckets come in one page, whatever they say."""
_GET_PARAMS = {
    "partNumber",
    "versionId",
    "response-content-type",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-cache-control",
    "response-expires",
}


class S3Error(Exception):
    """An S3 error answer: ``code`` (``NoSuchBucket``...), HTTP ``status``, ``message``
    and extra XML members (``BucketName``, ``Key``...)."""

    def __init__(self, code: str, status: int, message: str, **extra: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.extra = extra


def no_such_bucket(bucket: str) -> S3Error:
    """NoSuchBucket (404) for ``bucket``."""
    return S3Error("NoSuchBucket", 404, "The specified bucket does not exist", BucketName=bucket)


def not_implemented(what: str) -> S3Error:
    """NotImplemented (501): ``what`` is not served by the local target."""
    return S3Error(
        "NotImplemented",
        501,
        f"The local target's S3 does not implement {what}. It serves buckets, PutObject, "
        "GetObject, HeadObject, CopyObject, DeleteObject(s), ListObjects(V2) and multipart "
        "uploads.",
    )


def method_not_allowed(method: str, resource: str) -> S3Error:
    """MethodNotAllowed (405) for ``method`` on ``resource``."""
    return S3Error(
        "MethodNotAllowed",
        405,
        f"The specified method is not allowed against this resource: {method} {resource}",
        Method=method,
        ResourceType="SERVICE" if resource == "/" else "OBJECT",
    )


@dataclass
class S3Request:
    """One S3 request.

    Attributes:
        method: ``GET``, ``PUT``, ``POST``, ``DELETE`` or ``HEAD``.
        target: the request target as sent (path and query, percent-encoded).
        headers: the request headers (case-insensitive lookups, as ``http.client`` gives).
        body: a reader of the body; reads return ``b""`` at its end.
        content_length: the body's length in bytes (``Content-Length``).
        region: the caller's region (from the SigV4 credential scope).
        hosts: host names (without port) that stand for the endpoint itself; a ``Host``
            header ``<bucket>.<one of these>`` names a bucket (virtual-hosted style).
    """

    method: str
    target: str
    headers: Mapping[str, str]
    body: BinaryIO
    content_length: int
    region: str = "us-east-1"
    hosts: tuple[str, ...] = ("localhost", "127.0.0.1")


@dataclass
class S3Answer:
    """An answer: ``status``, ``headers``, and either ``body`` bytes or ``stream``, a
    ``(file, length)`` pair whose ``length`` bytes the server copies from ``file`` (then
    closes it). A HEAD answer may set ``Content-Length`` (the object's size) with no
    body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: tuple[BinaryIO, int] | None = None


def error_answer(exc: S3Error, *, head: bool = False) -> S3Answer:
    """The XML document (or, for HEAD, the bare status) of an :class:`S3Error`."""
    headers = {"x-amz-request-id": _request_id()}
    if head:
        return S3Answer(exc.status, headers)
    extra = "".join(f"<{k}>{escape(clipped(v, _KEY_MAX))}</{k}>" for k, v in exc.extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{exc.code}</Code><Message>{escape(clipped(exc.message, 2000))}</Message>"
        f"{extra}"
        f"<RequestId>{headers['x-amz-request-id']}</RequestId></Error>"
    ).encode()
    headers["Content-Type"] = "application/xml"
    return S3Answer(exc.status, headers, body)


def _request_id() -> str:
    return uuid.uuid4().hex[:16].upper()


def _xml(root: str, inner: str, status: int = 200, **headers: str) -> S3Answer:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{XMLNS}">{inner}</{root}>'
    return S3Answer(
        status,
        {"Content-Type": "application/xml", "x-amz-request-id": _request_id(), **headers},
        body.encode(),
    )


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def _el(name: str, value: Any) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


# ---------------------------------------------------------------------------------------------
# Request parsing


def _bucket_and_key(req: S3Request) -> tuple[str, str]:
    path = urlsplit(req.target).path or "/"
    host = (req.headers.get("Host") or "").rsplit(":", 1)[0].lower()
    if host.startswith("[") or host.endswith("]"):
        host = ""
    for base in req.hosts:
        if base and host.endswith("." + base):
            return host[: -len(base) - 1], unquote(path[1:])
    bucket, _, key = path[1:].partition("/")
    return unquote(bucket), unquote(key)


def _query(req: S3Request) -> dict[str, str]:
    query = urlsplit(req.target).query
    parsed = parse_qs(query, keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def _check_bucket(bucket: str) -> None:
    problem = bucket_name_problem(bucket)
    if problem:
        raise S3Error(
            "InvalidBucketName",
            400,
            f"The specified bucket is not valid: {problem}.",
            BucketName=bucket,
        )


def _read_xml(req: S3Request, root: str) -> ElementTree.Element:
    if req.content_length > MAX_XML_BYTES:
        raise S3Error(
            "MalformedXML",
            400,
            f"The XML body is {req.content_length:,} bytes; at most {MAX_XML_BYTES:,} are read.",
        )
    data = req.body.read(req.content_length) if req.content_length else b""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise S3Error("MalformedXML", 400, "The XML you provided may not declare a DOCTYPE.")
    try:
        element = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise S3Error(
            "MalformedXML",
            400,
            "The XML you provided was not well-formed or did not validate against our "
            f"published schema ({exc})",
        ) from None
    if _local(element.tag) != root:
        raise S3Error(
            "MalformedXML",
            400,
            f"The XML you provided was not well-formed or did not validate against our "
            f"published schema (expected <{root}>, got <{_local(element.tag)}>)",
        )
    return element


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [c for c in element if _local(c.tag) == name]


def _text(element: ElementTree.Element, name: str) -> str | None:
    found = _children(element, name)
    return (found[0].text or "") if found else None


class _Checked:
    """A reader of a request body that checks the checksums the client sent once the
    whole body is read (raising :class:`S3Error` BadDigest before the last ``b""``, so
    the object store keeps nothing)."""

    def __init__(self, req: S3Request) -> None:
        self._body = req.body
        self._left = req.content_length
        h = req.headers
        want = {
            "Content-MD5": lambda: hashlib.md5(usedforsecurity=False),
            "x-amz-checksum-sha256": hashlib.sha256,
            "x-amz-checksum-sha1": lambda: hashlib.sha1(usedforsecurity=False),
        }
        self._hashes: list[tuple[str, Any, str]] = []
        for header, make in want.items():
            value = h.get(header)
            if value:
                self._hashes.append((header, make(), value))
        sha_hex = h.get("x-amz-content-sha256") or ""
        if re.fullmatch(r"[0-9a-f]{64}", sha_hex):
            self._hashes.append(("x-amz-content-sha256", hashlib.sha256(), sha_hex))
        self._crc_header = h.get("x-amz-checksum-crc32")
        self._crc = 0

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            self._verify()
            return b""
        n = self._left if size is None or size < 0 else min(size, self._left)
        try:
            chunk = self._body.read(n)
        except OSError:  # the client stalled past the server's read timeout, or left
            raise S3Error(
                "RequestTimeout",
                400,
                "Your socket connection to the server was not read from or written to within "
                "the timeout period.",
            ) from None
        if not chunk:
            raise S3Error(
                "IncompleteBody",
                400,
                "You did not provide the number of bytes specified by the Content-Length "
                "HTTP header.",
            )
        self._left -= len(chunk)
        for _, hasher, _ in self._hashes:
            hasher.update(chunk)
        if self._crc_header:
            self._crc = zlib.crc32(chunk, self._crc)
        return chunk

    def _verify(self) -> None:
        for header, hasher, sent in self._hashes:
            ok = (
                hasher.hexdigest() == sent
                if header == "x-amz-content-sha256"
                else base64.b64encode(hasher.digest()).decode() == sent
            )
            if not ok:
                raise S3Error(
                    "BadDigest"
                    if header != "x-amz-content-sha256"
                    else "XAmzContentSHA256Mismatch",
                    400,
                    f"The {header} you specified did not match what was received.",
                )
        if self._crc_header:
            mine = base64.b64encode(self._crc.to_bytes(4, "big")).decode()
            if mine != self._crc_header:
                raise S3Error(
                    "BadDigest",
                    400,
                    "The CRC32 you specified did not match the calculated checksum.",
                )
        self._hashes = []
        self._crc_header = None


# ---------------------------------------------------------------------------------------------
# Dispatch


def handle(store: LocalObjectStore, req: S3Request) -> S3Answer:
    """Answer one S3 request from ``store``.

    Returns:
        The answer; never raises for a bad request (S3Error answers), and an
        ``InternalError`` (500) only for an unexpected failure (the caller logs it).
    """
    head = req.method == "HEAD"
    try:
        return _dispatch(store, req)
    except S3Error as exc:
        return error_answer(exc, head=head)
    except ObjectStoreError as exc:
        bucket, key = _bucket_and_key(req)
        return error_answer(_store_error(exc, bucket, key), head=head)
    except Exception:  # noqa: BLE001 - a bug: log it, answer as S3 does
        log.exception("internal error answering S3 %s %s", req.method, req.target)
        error = S3Error("InternalError", 500, "We encountered an internal error. Please try again.")
        return error_answer(error, head=head)


def _dispatch(store: LocalObjectStore, req: S3Request) -> S3Answer:
    bucket, key = _bucket_and_key(req)
    query = _query(req)
    method = req.method
    if "STREAMING-" in (req.headers.get("x-amz-content-sha256") or ""):
        raise not_implemented("aws-chunked (streaming SigV4) uploads; send the body plainly")
    if not bucket:
        if method == "GET" and not (set(query) - _IGNORED - _LIST_BUCKETS_PARAMS):
            return _list_buckets(store, query)
        raise method_not_allowed(method, "/")
    _check_bucket(bucket)
    if not key:
        return _bucket_operation(store, req, bucket, query)
    return _object_operation(store, req, bucket, key, query)


def _unknown(query: Mapping[str, str], allowed: set[str]) -> str | None:
    extra = sorted(set(query) - _IGNORED - allowed)
    return extra[0] if extra else None


def _bucket_operation(
    store: LocalObjectStore, req: S3Request, bucket: str, query: dict[str, str]
) -> S3Answer:
    method = req.method
    if method == "GET":
        if "location" in query:
            _require_bucket(store, bucket)
            region = "" if req.region == "us-east-1" else escape(req.region)
            return _xml("LocationConstraint", region)
        other = _unknown(query, _LIST_PARAMS)
        if other:
            raise not_implemented(f"GET /{bucket}?{other}")
        if query.get("list-type") == "2":
            return _list_objects(store, bucket, query, v2=True)
        return _list_objects(store, bucket, query, v2=False)
    if method == "POST" and "delete" in query:
        return _delete_objects(store, req, bucket)
    other = _unknown(query, set())
    if other:
        raise not_implemented(f"{method} /{bucket}?{other}")
    if method == "PUT":
        if req.content_length:
            _read_xml(req, "CreateBucketConfiguration")
        # S3 answers 200 to creating a bucket one owns again in us-east-1 only
        if not store.create_bucket(bucket) and req.region != "us-east-1":
            raise S3Error(
                "BucketAlreadyOwnedByYou",
                409,
                "Your previous request to create the named bucket succeeded and you already "
                "own it.",
                BucketName=bucket,
            )
        return S3Answer(200, {"Location": f"/{bucket}", "x-amz-request-id": _request_id()})
    if method == "HEAD":
        _require_bucket(store, bucket)
        return S3Answer(200, {"x-amz-bucket-region": req.region, "x-amz-request-id": _request_id()})
    if method == "DELETE":
        try:
            store.delete_bucket(bucket)
        except NoSuchBucketError:
            raise no_such_bucket(bucket) from None
        except ObjectStoreError:
            raise S3Error(
                "BucketNotEmpty",
                409,
                "The bucket you tried to delete is not empty",
                BucketName=bucket,
            ) from None
        return S3Answer(204, {"x-amz-request-id": _request_id()})
    raise method_not_allowed(method, f"/{bucket}")


def _require_bucket(store: LocalObjectStore, bucket: str) -> None:
    if not store.bucket_exists(bucket):
        raise no_such_bucket(bucket)


def _uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def _store_error(exc: ObjectStoreError, bucket: str, key: str) -> S3Error:
    if isinstance(exc, NoSuchBucketError):
        return no_such_bucket(bucket)
    if isinstance(exc, NoSuchKeyError):
        return S3Error("NoSuchKey", 404, "The specified key does not exist.", Key=key)
    # a key the store refuses (InvalidLocationError) or cannot hold as a file
    return S3Error("InvalidArgument", 400, str(exc), ArgumentName="key", ArgumentValue=key)


def _object_operation(
    store: LocalObjectStore, req: S3Request, bucket: str, key: str, query: dict[str, str]
) -> S3Answer:
    method = req.method
    try:
        if method == "PUT":
            copy = bool(req.headers.get("x-amz-copy-source"))
            if "partNumber" in query and "uploadId" in query:
                if copy:
                    return _upload_part_copy(store, req, bucket, key, query)
                return _upload_part(store, req, bucket, key, query)
            other = _unknown(query, set())
            if other:
                raise not_implemented(f"PUT /{bucket}/{key}?{other}")
            if copy:
                return _copy_object(store, req, bucket, key)
            return _put_object(store, req, bucket, key)
        if method in ("GET", "HEAD"):
            if "uploadId" in query:
                raise not_implemented("ListParts")
            other = _unknown(query, _GET_PARAMS)
            if other:
                raise not_implemented(f"{method} /{bucket}/{key}?{other}")
            return _get_object(store, req, bucket, key, head=method == "HEAD")
        if method == "DELETE":
            if "uploadId" in query:
                _require_bucket(store, bucket)
                Uploads(store).abort(query["uploadId"], bucket, key)
                return S3Answer(204, {"x-amz-request-id": _request_id()})
            other = _unknown(query, {"versionId"})
            if other:
                raise not_implemented(f"DELETE /{bucket}/{key}?{other}")
            _require_bucket(store, bucket)
            try:
                store.delete(_uri(bucket, key))
            except InvalidLocationError:
                pass  # a key the store cannot hold names no object: nothing to delete
            return S3Answer(204, {"x-amz-request-id": _request_id()})
        if method == "POST":
            if "uploads" in query:
                _require_bucket(store, bucket)
                upload_id = Uploads(store).create(bucket, key)
                inner = _el("Bucket", bucket) + _el("Key", key) + _el("UploadId", upload_id)
                return _xml("InitiateMultipartUploadResult", inner)
            if "uploadId" in query:
                return _complete(store, req, bucket, key, query["uploadId"])
            raise not_implemented(f"POST /{bucket}/{key} (browser-form uploads)")
    except MultipartError as exc:
        status = 404 if exc.code == "NoSuchUpload" else 400
        raise S3Error(exc.code, status, exc.message) from None
    except ObjectStoreError as exc:
        raise _store_error(exc, bucket, key) from None
    raise method_not_allowed(method, f"/{bucket}/{key}")


def _body_length(req: S3Request) -> None:
    if req.content_length > MAX_OBJECT_BYTES:
        raise S3Error(
            "EntityTooLarge",
            400,
            f"Your proposed upload exceeds the maximum allowed size: {req.content_length:,} "
            f"bytes; a single PutObject or UploadPart takes at most {MAX_OBJECT_BYTES:,}.",
        )


def _put_object(store: LocalObjectStore, req: S3Request, bucket: str, key: str) -> S3Answer:
    _body_length(req)
    _require_bucket(store, bucket)
    info = store.put(_uri(bucket, key), _Checked(req))
    return S3Answer(200, {"ETag": info.etag, "x-amz-request-id": _request_id()})


def _part_number(query: dict[str, str]) -> int:
    try:
        return int(query["partNumber"])
    except ValueError:
        raise S3Error(
            "InvalidArgument",
            400,
            "Part number must be an integer between 1 and 10,000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=query["partNumber"],
        ) from None


def _upload_part(
    store: LocalObjectStore, req: S3Request, bucket: str, key: str, query: dict[str, str]
) -> S3Answer:
    _body_length(req)
    _require_bucket(store, bucket)
    number = _part_number(query)
    etag = Uploads(store).put_part(query["uploadId"], bucket, key, number, _Checked(req))
    return S3Answer(200, {"ETag": etag, "x-amz-request-id": _request_id()})


def _copy_source(store: LocalObjectStore, req: S3Request) -> ObjectInfo:
    """The object ``x-amz-copy-source`` (``bucket/key``, ``/bucket/key``, percent-encoded)
    names.

    Raises:
        S3Error: InvalidArgument (no key), InvalidBucketName, NoSuchBucket, NoSuchKey.
    """
    raw = req.headers.get("x-amz-copy-source") or ""
    text = unquote(raw.split("?", 1)[0]).lstrip("/")
    src_bucket, _, src_key = text.partition("/")
    if not src_bucket or not src_key:
        raise S3Error(
            "InvalidArgument",
            400,
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            ArgumentName="x-amz-copy-source",
            ArgumentValue=raw,
        )
    _check_bucket(src_bucket)
    _require_bucket(store, src_bucket)
    try:
        return store.head(_uri(src_bucket, src_key))
    except (InvalidLocationError, NoSuchKeyError):
        raise S3Error("NoSuchKey", 404, "The specified key does not exist.", Key=src_key) from None


def _copy_object(store: LocalObjectStore, req: S3Request, bucket: str, key: str) -> S3Answer:
    """CopyObject: the source's bytes into ``bucket``/``key`` (a single-part object, so its
    ETag is the content's MD5, as S3 gives a copy)."""
    _require_bucket(store, bucket)
    source = _copy_source(store, req)
    directive = (req.headers.get("x-amz-metadata-directive") or "COPY").upper()
    if (source.bucket, source.key) == (bucket, key) and directive != "REPLACE":
        raise S3Error(
            "InvalidRequest",
            400,
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect "
            "location or encryption attributes.",
        )
    with store.open(source.uri) as f:
        info = store.put(_uri(bucket, key), f)
    inner = _el("LastModified", _iso(info.last_modified)) + _el("ETag", info.etag)
    return _xml("CopyObjectResult", inner)


_COPY_RANGE_RE = re.compile(r"bytes=(\d+)-(\d+)")


def _upload_part_copy(
    store: LocalObjectStore, req: S3Request, bucket: str, key: str, query: dict[str, str]
) -> S3Answer:
    """UploadPartCopy: a part from the source's bytes (``x-amz-copy-source-range``
    ``bytes=first-last``, inclusive; the whole source when absent)."""
    _require_bucket(store, bucket)
    number = _part_number(query)
    source = _copy_source(store, req)
    first, last = 0, source.size - 1
    wanted = req.headers.get("x-amz-copy-source-range")
    if wanted:
        m = _COPY_RANGE_RE.fullmatch(wanted.strip())
        if m is None or int(m.group(1)) > int(m.group(2)) or int(m.group(2)) >= source.size:
            raise S3Error(
                "InvalidArgument",
                400,
                f"Range specified is not valid for source object of size: {source.size}",
                ArgumentName="x-amz-copy-source-range",
                ArgumentValue=wanted,
            )
        first, last = int(m.group(1)), int(m.group(2))
    with store.open(source.uri) as f:
        f.seek(first)
        etag = Uploads(store).put_part(
            query["uploadId"], bucket, key, number, _Span(f, last - first + 1)
        )
    inner = _el("LastModified", _iso(int(time.time()))) + _el("ETag", etag)
    return _xml("CopyPartResult", inner)


class _Span:
    """A reader of the next ``length`` bytes of a binary file."""

    def __init__(self, f: BinaryIO, length: int) -> None:
        self._f = f
        self._left = length

    def read(self, size: int = -1) -> bytes:
        n = self._left if size is None or size < 0 else min(size, self._left)
        chunk = self._f.read(n) if n > 0 else b""
        self._left -= len(chunk)
        return chunk


def _complete(
    store: LocalObjectStore, req: S3Request, bucket: str, key: str, upload_id: str
) -> S3Answer:
    _require_bucket(store, bucket)
    root = _read_xml(req, "CompleteMultipartUpload")
    parts = []
    for p in _children(root, "Part"):
        number, etag = _text(p, "PartNumber"), _text(p, "ETag")
        if number is None or etag is None or not number.strip().isdigit():
            raise S3Error(
                "MalformedXML",
                400,
                "The XML you provided was not well-formed or did not validate against our "
                "published schema: every <Part> needs a numeric <PartNumber> and an <ETag>",
            )
        parts.append(Part(int(number), etag.strip()))
    info = Uploads(store).complete(upload_id, bucket, key, parts)
    inner = (
        _el("Location", f"/{bucket}/{quote(key)}")
        + _el("Bucket", bucket)
        + _el("Key", key)
        + _el("ETag", info.etag)
    )
    return _xml("CompleteMultipartUploadResult", inner)


_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)")


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` inclusive of a ``Range: bytes=...`` header, ``None`` for the whole
    object (no header, or one S3 ignores: several ranges, another unit).

    Raises:
        S3Error: InvalidRange (416) when the range starts past the end.
    """
    if not header:
        return None
    m = _RANGE_RE.fullmatch(header.strip())
    if m is None or (m.group(1) == "" and m.group(2) == ""):
        return None
    first_s, last_s = m.groups()
    if first_s == "":
        n = int(last_s)
        if n == 0:
            raise _invalid_range(size)
        return max(0, size - n), size - 1
    first = int(first_s)
    if first >= size:
        raise _invalid_range(size)
    last = int(last_s) if last_s else size - 1
    if last < first:
        return None
    return first, min(last, size - 1)


def _invalid_range(size: int) -> S3Error:
    return S3Error(
        "InvalidRange",
        416,
        "The requested range is not satisfiable",
        ActualObjectSize=str(size),
    )


def _get_object(
    store: LocalObjectStore, req: S3Request, bucket: str, key: str, *, head: bool
) -> S3Answer:
    uri = _uri(bucket, key)
    try:
        info = store.head(uri)
    except InvalidLocationError:  # a folder key (a/), or one the store cannot hold: no object
        _require_bucket(store, bucket)
        raise S3Error("NoSuchKey", 404, "The specified key does not exist.", Key=key) from None
    headers = {
        "ETag": info.etag,
        "Last-Modified": formatdate(info.last_modified, usegmt=True),
        "Content-Type": "binary/octet-stream",
        "Accept-Ranges": "bytes",
        "x-amz-request-id": _request_id(),
    }
    if_match = req.headers.get("If-Match")
    if (
        if_match
        and if_match.strip() not in ("*", info.etag)
        and if_match.strip('"') != (info.etag.strip('"'))
    ):
        raise S3Error(
            "PreconditionFailed",
            412,
            "At least one of the pre-conditions you specified did not hold",
            Condition="If-Match",
        )
    if_none = req.headers.get("If-None-Match")
    if if_none and (if_none.strip() == "*" or if_none.strip('" ') == info.etag.strip('"')):
        return S3Answer(304, {k: v for k, v in headers.items() if k != "Content-Type"})
    span = _byte_range(req.headers.get("Range"), info.size)
    status = 200
    first, length = 0, info.size
    if span is not None:
        first, last = span
        length = last - first + 1
        status = 206
        headers["Content-Range"] = f"bytes {first}-{last}/{info.size}"
    headers["Content-Length"] = str(length)
    if head:
        return S3Answer(status, headers)
    f = store.open(uri)
    f.seek(first)
    return S3Answer(status, headers, stream=(f, length))


# ---------------------------------------------------------------------------------------------
# Listing


def _list_buckets(store: LocalObjectStore, query: dict[str, str]) -> S3Answer:
    prefix = query.get("prefix", "")
    items = "".join(
        f"<Bucket>{_el('Name', name)}{_el('CreationDate', _iso(created))}</Bucket>"
        for name, created in store.buckets()
        if name.startswith(prefix)
    )
    owner = f"<Owner>{_el('ID', OWNER_ID)}{_el('DisplayName', 'preconcile-local')}</Owner>"
    return _xml("ListAllMyBucketsResult", f"{owner}<Buckets>{items}</Buckets>")


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode()


def _untoken(token: str) -> str:
    try:
        text = base64.b64decode(token.encode(), altchars=b"-_", validate=True)
        return text.decode("utf-8", "surrogatepass")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise S3Error(
            "InvalidArgument",
            400,
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
        ) from None


def _list_objects(
    store: LocalObjectStore, bucket: str, query: dict[str, str], *, v2: bool
) -> S3Answer:
    _require_bucket(store, bucket)
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    raw_max = query.get("max-keys", str(DEFAULT_MAX_KEYS))
    if not raw_max.isdigit():
        raise S3Error(
            "InvalidArgument",
            400,
            "Provided max-keys not an integer or within integer range",
            ArgumentName="max-keys",
            ArgumentValue=raw_max,
        )
    max_keys = min(int(raw_max), DEFAULT_MAX_KEYS)
    url = query.get("encoding-type") == "url"
    if "encoding-type" in query and not url:
        raise S3Error(
            "InvalidArgument",
            400,
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=query["encoding-type"],
        )
    if v2:
        token = query.get("continuation-token")
        after = _untoken(token) if token is not None else query.get("start-after", "")
    else:
        after = query.get("marker", "")
    try:
        objects = store.list(_uri(bucket, prefix))
    except InvalidLocationError:
        objects = []  # no stored key can have such a prefix
    contents: list[ObjectInfo] = []
    prefixes: list[str] = []
    truncated = False
    last = ""
    for obj in objects:
        if obj.key <= after:
            continue
        rolled = None
        if delimiter:
            cut = obj.key.find(delimiter, len(prefix))
            if cut >= 0:
                rolled = obj.key[: cut + len(delimiter)]
        if rolled is not None and prefixes and prefixes[-1] == rolled:
            continue
        if rolled is not None and after.startswith(rolled):
            continue  # the page before ended inside this common prefix
        if len(contents) + len(prefixes) >= max_keys:
            truncated = True
            break
        if rolled is not None:
            prefixes.append(rolled)
            last = rolled
        else:
            contents.append(obj)
            last = obj.key

    def enc(text: str) -> str:
        return escape(quote(text, safe="/") if url else text)

    parts = [_el("Name", bucket), f"<Prefix>{enc(prefix)}</Prefix>"]
    if delimiter:
        parts.append(f"<Delimiter>{enc(delimiter)}</Delimiter>")
    parts.append(_el("MaxKeys", max_keys))
    if url:
        parts.append(_el("EncodingType", "url"))
    parts.append(_el("IsTruncated", "true" if truncated else "false"))
    if v2:
        parts.append(_el("KeyCount", len(contents) + len(prefixes)))
        if "continuation-token" in query:
            parts.append(_el("ContinuationToken", query["continuation-token"]))
        if "start-after" in query:
            parts.append(f"<StartAfter>{enc(query['start-after'])}</StartAfter>")
        if truncated:
            parts.append(_el("NextContinuationToken", _token(last)))
    else:
        parts.append(f"<Marker>{enc(after)}</Marker>")
        if truncated and delimiter:
            parts.append(f"<NextMarker>{enc(last)}</NextMarker>")
    for obj in contents:
        parts.append(
            f"<Contents><Key>{enc(obj.key)}</Key>"
            f"{_el('LastModified', _iso(obj.last_modified))}{_el('ETag', obj.etag)}"
            f"{_el('Size', obj.size)}{_el('StorageClass', 'STANDARD')}</Contents>"
        )
    for p in prefixes:
        parts.append(f"<CommonPrefixes><Prefix>{enc(p)}</Prefix></CommonPrefixes>")
    return _xml("ListBucketResult", "".join(parts))


def _delete_objects(store: LocalObjectStore, req: S3Request, bucket: str) -> S3Answer:
    _require_bucket(store, bucket)
    root = _read_xml(req, "Delete")
    quiet = (_text(root, "Quiet") or "").strip().lower() == "true"
    objects = _children(root, "Object")
    if len(objects) > 1000:
        raise S3Error(
            "MalformedXML",
            400,
            f"DeleteObjects takes at most 1,000 keys; this request has {len(objects):,}.",
        )
    out = []
    for obj in objects:
        key = _text(obj, "Key") or ""
        try:
            store.delete(_uri(bucket, key))
        except InvalidLocationError:
            pass  # names no object the store could hold: deleted, as S3 says of missing keys
        except ObjectStoreError as exc:
            out.append(
                f"<Error>{_el('Key', key)}{_el('Code', 'InvalidArgument')}"
                f"{_el('Message', str(exc))}</Error>"
            )
            continue
        if not quiet:
            out.append(f"<Deleted>{_el('Key', key)}</Deleted>")
    return _xml("DeleteResult", "".join(out))
