"""Normalisation so that equal things compare equal (design §4: "a false diff is a bug").

One job: turn API values and manifest values into one canonical form — parsed JSON rather
than text, ``None`` and empty containers dropped, numeric strings compared as numbers,
recipe ARNs rather than short names. Used by the resource modules on both sides of a diff.
"""

from __future__ import annotations

import json
import re
from typing import Any

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def canonical(value: Any) -> Any:
    """Return ``value`` in canonical form.

    - dicts: keys sorted, ``None`` values and empty dicts/lists dropped, recursively;
    - lists: items canonicalised (order kept: order is meaningful in the API);
    - strings that are numbers (``"0.10"``, ``"1e-1"``): written the shortest way
      (``"0.1"``), so ``"10"`` and ``"10.0"`` compare equal; other strings unchanged;
    - floats that are whole numbers become ints.
    """
    if isinstance(value, dict):
        out = {}
        for k in sorted(value):
            v = canonical(value[k])
            if v is None or v == {} or v == []:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def parse_json(text: str | None) -> Any:
    """Parse a JSON string from the API (``schema`` bodies); ``None`` stays ``None``."""
    if text is None:
        return None
    return json.loads(text)
