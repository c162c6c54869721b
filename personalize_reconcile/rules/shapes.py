"""Validate a value against a botocore service-model shape, fully.

botocore's client-side validator checks types, required members and minimums but skips
``pattern``, ``enum`` and ``max``; the service checks all of them. This module checks every
constraint the model declares, plus the range of its ``integer`` (32-bit) and ``long``
(64-bit) types and that a ``float``/``double`` is finite (which the wire format implies),
so the manifest validator (pass-through blocks such as ``solutionConfig``) and the local
target (every request) reject what the service rejects.

Constraint texts follow the service's own validation wording ("Member must have length less
than or equal to 63"), so the local target can send them unchanged in an
InvalidInputException.

Callers: ``manifest/checks.py`` and the local target (request validation in
``local/responses.py``, pagination).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import math
import re
import threading
from typing import Any

import botocore.session
from botocore.model import ServiceModel, Shape

from personalize_reconcile.rules.problems import Problem, shown

SESSION_LOCK = threading.Lock()
"""Held while the shared session (:func:`botocore_session`) loads a model or makes a
client: botocore sessions are not safe to share while they create things."""


@functools.lru_cache(maxsize=1)
def botocore_session() -> botocore.session.Session:
    """The one botocore session this process reads service models from.

    Making a session costs tens of milliseconds (its handlers, its model loader), and its
    loader caches every JSON model it reads; the local target's clients are made from this
    session too (``backends/local.py``), so a command reads each model file once. Nothing
    is configured on it: clients get their region and credentials as arguments, and it
    does not take a profile from AWS_PROFILE or AWS_DEFAULT_PROFILE (one that the config
    files lack would stop it reading any model, and offline commands need none; the aws
    target's own session takes the profile).
    """
    return botocore.session.Session(session_vars={"profile": (None, None, None, None)})


@functools.lru_cache(maxsize=8)
def service_model(service: str) -> ServiceModel:
    """Return botocore's model for ``service`` (``personalize``, ``personalize-runtime``)."""
    with SESSION_LOCK:
        return botocore_session().get_service_model(service)


def shape(service: str, name: str) -> Shape:
    """Return the named shape of ``service``'s model (``SolutionConfig``, ``CampaignConfig``).

    Raises:
        botocore.model.NoShapeFoundError: the model has no such shape.
    """
    return service_model(service).shape_for(name)


def member(op: str, name: str, service: str = "personalize") -> Shape:
    """Return the shape of input member ``name`` of operation ``op`` (``CreateSchema``,
    ``schema``: the shape a manifest value is sent as).

    Raises:
        KeyError: the operation has no such member.
    """
    return service_model(service).operation_model(op).input_shape.members[name]


# The model writes some patterns with Java's Unicode classes (TagKey and TagValue use
# ``\p{L}\p{Z}\p{N}``; NextToken ``\p{ASCII}``), which Python's ``re`` does not know.
_JAVA_CLASSES = {r"\p{L}": r"^\W\d_", r"\p{N}": r"\d", r"\p{Z}": r"\s", r"\p{ASCII}": r"\x00-\x7f"}


def python_pattern(pattern: str) -> str:
    r"""Translate a model pattern's Java Unicode classes (``\p{L}``, ``\p{N}``, ``\p{Z}``,
    ``\p{ASCII}``) into Python ``re`` syntax; everything else is kept as written. Inside a
    character class ``\p{L}`` becomes ``\w`` (a class cannot subtract digits and ``_``; the
    model's classes that use it admit both anyway)."""
    out, i, depth = [], 0, 0
    while i < len(pattern):
        for java, py in _JAVA_CLASSES.items():
            if pattern.startswith(java, i):
                if depth:
                    out.append(r"\w" if java == r"\p{L}" else py)
                else:
                    out.append(f"[{py}]")
                i += len(java)
                break
        else:
            ch = pattern[i]
            if ch == "\\":
                out.append(pattern[i : i + 2])
                i += 2
                continue
            depth += ch == "["
            depth -= ch == "]" and depth > 0
            out.append(ch)
            i += 1
    return "".join(out)


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(python_pattern(pattern))


def _type_name(value: Any) -> str:
    return {
        dict: "a map",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def validate(shape_: Shape, value: Any, path: tuple = ()) -> list[Problem]:
    """Check ``value`` against ``shape_`` and everything nested in it.

    Args:
        shape_: a botocore shape (structure, list, map, string, integer, long, float,
            double, boolean, timestamp or blob).
        value: plain Python data as it would be sent (dicts, lists, str, int, float, bool).
        path: prefix for the paths of the returned problems.

    Returns:
        Every problem found, in document order; an empty list means valid. Each problem's
        message is the service's constraint text; unknown structure members carry a hint
        with the closest valid member name.
    """
    out: list[Problem] = []
    _check(shape_, value, path, out)
    return out


def _check(shape_: Shape, value: Any, path: tuple, out: list[Problem]) -> None:
    t = shape_.type_name
    meta = shape_.metadata
    if t == "structure":
        if not isinstance(value, dict):
            out.append(Problem(path, f"Member must be a map, not {_type_name(value)}"))
            return
        members = shape_.members
        for req in shape_.required_members:
            if value.get(req) is None:
                out.append(
                    Problem(
                        path + (req,), "Member must not be null", f"add the required field {req!r}"
                    )
                )
        for key, item in value.items():
            if key not in members:
                close = difflib.get_close_matches(str(key), list(members), n=1, cutoff=0.6)
                hint = (
                    f"did you mean {shown(close[0])}?"
                    if close
                    else ("valid fields: " + ", ".join(members))
                )
                out.append(Problem(path + (key,), f"Unknown field {shown(key)}", hint))
                continue
            if item is None:
                continue
            _check(members[key], item, path + (key,), out)
        return
    if t == "list":
        if not isinstance(value, list):
            out.append(Problem(path, f"Member must be a list, not {_type_name(value)}"))
            return
        _length(meta, len(value), path, out, what="length")
        for i, item in enumerate(value):
            _check(shape_.member, item, path + (i,), out)
        return
    if t == "map":
        if not isinstance(value, dict):
            out.append(Problem(path, f"Member must be a map, not {_type_name(value)}"))
            return
        _length(meta, len(value), path, out, what="length")
        for key, item in value.items():
            _check(shape_.key, key, path + (key,), out)
            _check(shape_.value, item, path + (key,), out)
        return
    if t == "string":
        if not isinstance(value, str):
            out.append(Problem(path, f"Member must be a string, not {_type_name(value)}"))
            return
        _length(meta, len(value), path, out, what="length")
        enum = shape_.enum
        if enum and value not in enum:
            out.append(Problem(path, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
        pattern = meta.get("pattern")
        # A string already over its length limit is not matched: the limit is reported,
        # and patterns such as ``arn:aws.*:kms:.*`` cost more than linear time on it.
        too_long = "max" in meta and len(value) > meta["max"]
        if pattern and not too_long and not _compiled(pattern).fullmatch(value):
            out.append(Problem(path, f"Member must satisfy regular expression pattern: {pattern}"))
        return
    if t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(Problem(path, f"Member must be an integer, not {_type_name(value)}"))
            return
        low, high = INTEGER_RANGES[t]
        _range({"min": low, "max": high, **meta}, value, path, out)
        return
    if t in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(Problem(path, f"Member must be a number, not {_type_name(value)}"))
            return
        if isinstance(value, float) and not math.isfinite(value):
            out.append(Problem(path, f"Member must be a finite number, not {value}"))
            return
        _range(meta, value, path, out)
        return
    if t == "boolean":
        if not isinstance(value, bool):
            out.append(Problem(path, f"Member must be a boolean, not {_type_name(value)}"))
        return
    if t == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float, _dt.datetime, str)):
            out.append(Problem(path, f"Member must be a timestamp, not {_type_name(value)}"))
        return
    if t == "blob":
        if not isinstance(value, (bytes, bytearray, str)):
            out.append(Problem(path, f"Member must be binary data, not {_type_name(value)}"))


INTEGER_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
"""The values the model's ``integer`` (32-bit) and ``long`` (64-bit) types can carry; a
shape's own ``min``/``max`` narrows them."""


def _length(meta: dict, n: int, path: tuple, out: list[Problem], what: str) -> None:
    if "min" in meta and n < meta["min"]:
        out.append(Problem(path, f"Member must have {what} greater than or equal to {meta['min']}"))
    if "max" in meta and n > meta["max"]:
        out.append(Problem(path, f"Member must have {what} less than or equal to {meta['max']}"))


def _range(meta: dict, n: float, path: tuple, out: list[Problem]) -> None:
    if "min" in meta and n < meta["min"]:
        out.append(Problem(path, f"Member must have value greater than or equal to {meta['min']}"))
    if "max" in meta and n > meta["max"]:
        out.append(Problem(path, f"Member must have value less than or equal to {meta['max']}"))
