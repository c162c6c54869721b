"""Random identifiers the local target hands out with its answers.

One job: the text of a random (version 4) UUID, made quickly, for the ``x-amzn-RequestId``
of every answer and the ``recommendationId`` (``RID-<uuid>``) of runtime answers
(reference §8). Callers: ``responses`` and ``runtime``, once or twice per request, where
``str(uuid.uuid4())`` cost about as much as the rest of an answer's bookkeeping.
"""

from __future__ import annotations

import os

__all__ = ["uuid4_text"]

_VARIANT = "89ab"


def uuid4_text() -> str:
    """A random RFC 4122 version-4 UUID as 36 lower-case characters with hyphens, e.g.
    ``"9f1c7a52-3b0e-4d7a-a1f2-6c3e8d9b0a41"`` (what ``str(uuid.uuid4())`` gives, from the
    same 122 random bits of ``os.urandom``)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"
