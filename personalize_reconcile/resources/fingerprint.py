"""Content fingerprints that make imports and training idempotent (design §4).

One job: short, stable hashes. An import job's name is ``<import name>-<8 hex>`` where the
hash covers the data (S3 ETag and size of every object, or the MD5 and size of the local
file that will be uploaded, which equal the ETag and size of a single-part upload), the
import mode and the dataset's incarnation (its creationDateTime), so unchanged data is
never imported twice and changed data exactly once. A solution version's name is
``d<8 hex>-c<8 hex>``: the data it trains on and the solution's configuration, with
``-<attempt>`` when the same training is retried after a failure.

Callers: ``engine/desired.py`` and the import and solution-version kinds, which name what
they create with it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def short(*parts: Any) -> str:
    """An 8-hex-character SHA-256 of ``parts`` (JSON-encoded, keys sorted)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:8]


def file_etag(path: Path) -> tuple[str, int]:
    """``(etag, size in bytes)`` of a local file as S3 would report it after a
    single-part upload: the quoted MD5 hex of the content."""
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            md5.update(chunk)
            size += len(chunk)
    return f'"{md5.hexdigest()}"', size


def version_name(data_fp: str, config_fp: str, attempt: int = 1) -> str:
    """The solution version name recording why it exists: ``d<data>-c<config>``, and
    ``-<attempt>`` from the second attempt on (a failed version keeps its name within the
    solution, so a retry of the same training needs another)."""
    base = f"d{data_fp}-c{config_fp}"
    return base if attempt == 1 else f"{base}-{attempt}"


def parse_version_name(name: str | None) -> tuple[str, str] | None:
    """``(data fingerprint, config fingerprint)`` of a name from :func:`version_name`
    (whatever the attempt), or ``None`` for any other name."""
    if not name or len(name) < 19 or name[0] != "d" or name[9:11] != "-c":
        return None
    if len(name) > 19 and not (name[19] == "-" and name[20:].isdigit()):
        return None
    return name[1:9], name[11:19]


def version_attempt(name: str) -> int:
    """The attempt number of a name from :func:`version_name` (1 without a suffix)."""
    return int(name[20:]) if len(name) > 19 else 1
