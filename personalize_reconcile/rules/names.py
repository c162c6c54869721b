"""Resource-name rules (reference §1: 1-63 characters, ``^[a-zA-Z0-9][a-zA-Z0-9\\-_]*``).

The botocore model's pattern has no end anchor; the service applies it to the whole name,
so this module does too.

Callers: ``manifest/checks.py``.
"""

from __future__ import annotations

import re

from personalize_reconcile.rules.problems import listed, shown

NAME_MAX = 63
_NAME_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*")


def name_problem(name: object) -> str | None:
    """Return why ``name`` is not a valid Personalize resource name, or ``None`` if it is.

    Applies to dataset groups, schemas, datasets, solutions, campaigns, filters, event
    trackers and job names alike (botocore shape ``Name``).
    """
    if not isinstance(name, str):
        return f"a name must be a string, not {type(name).__name__}"
    if not name:
        return "a name must not be empty"
    if len(name) > NAME_MAX:
        return (
            f"name {shown(name, length=False)} is {len(name)} characters long; "
            f"the limit is {NAME_MAX}"
        )
    if not _NAME_RE.fullmatch(name):
        bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "-_"))})
        if bad:
            chars = listed([repr(c) for c in bad])
            return (
                f"name {shown(name)} contains {chars}; only letters, digits, '-' and '_' "
                "are allowed"
            )
        return f"name {shown(name)} must start with a letter or a digit"
    return None
