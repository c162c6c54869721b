"""S3 naming rules for ``s3://`` data locations, shared by the manifest validator and the
local target's object store.

Sources: Amazon S3 User Guide, "General purpose bucket naming rules" and "Naming Amazon S3
objects" (keys at most 1024 UTF-8 bytes); the refusal of ``.``/``..`` and empty segments,
a leading ``/``, backslashes and NUL keeps keys from escaping a local directory.

Callers: ``manifest/checks.py`` and the local object store.
"""

from __future__ import annotations

import ipaddress
import re

MAX_KEY_BYTES = 1024
"""S3's object key limit, in UTF-8 bytes."""

_BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_BUCKET_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_BAD_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(bucket: str) -> str | None:
    """Return why ``bucket`` breaks S3's general-purpose bucket naming rules, or ``None``.

    Rules (Amazon S3 User Guide, "General purpose bucket naming rules"): 3-63 characters;
    only lower-case letters, digits, dots and hyphens; starts and ends with a letter or
    digit; no two adjacent dots; not an IPv4 address; none of the reserved prefixes
    ``xn--``, ``sthree-``, ``amzn-s3-demo-`` or suffixes ``-s3alias``, ``--ol-s3``,
    ``.mrap``, ``--x-s3``, ``--table-s3``.
    """
    if not 3 <= len(bucket) <= 63:
        return f"it is {len(bucket)} characters long; bucket names have 3 to 63 characters"
    if not _BUCKET_CHARS.fullmatch(bucket):
        return (
            "bucket names use only lower-case letters, digits, dots and hyphens, and "
            "start and end with a letter or digit"
        )
    if ".." in bucket:
        return "bucket names may not contain two adjacent dots"
    try:
        ipaddress.IPv4Address(bucket)
    except ValueError:
        pass
    else:
        return "bucket names may not be formatted as an IP address"
    for p in _BUCKET_BAD_PREFIXES:
        if bucket.startswith(p):
            return f"bucket names may not start with the reserved prefix {p}"
    for s in _BUCKET_BAD_SUFFIXES:
        if bucket.endswith(s):
            return f"bucket names may not end with the reserved suffix {s}"
    return None


def key_problem(key: str, *, allow_prefix: bool) -> str | None:
    """Return why ``key`` is not an acceptable object key (or prefix, with
    ``allow_prefix``), or ``None``."""
    if "\x00" in key:
        return "it contains a NUL character"
    if "\\" in key:
        return "it contains a backslash; use / to separate folders"
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        return f"it is longer than S3's limit of {MAX_KEY_BYTES} UTF-8 bytes"
    if key.startswith("/"):
        return "it starts with / (an absolute path); write s3://bucket/key"
    parts = key.split("/")
    if allow_prefix and parts and parts[-1] == "":
        parts = parts[:-1]  # the trailing "/" of a prefix
    for part in parts:
        if part == "":
            return "it has an empty segment (//)"
        if part in (".", ".."):
            return f'the segment "{part}" is not allowed (keys may not climb out of their bucket)'
    return None
