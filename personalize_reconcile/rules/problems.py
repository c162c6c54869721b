"""The one value type every rule returns: a problem found at a path inside a document.

Callers: every checker that reports several problems at once: the manifest loader and
checks, the Avro and shape rules, and the local target's validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PathPart = str | int


@dataclass(frozen=True)
class Problem:
    """One rule violation.

    Attributes:
        path: where inside the checked document, as keys and list indexes from its root
            (``("fields", 2, "type")``). Empty for the document itself.
        message: what is wrong, one sentence without a trailing full stop.
        hint: how to fix it, or ``None`` when the message already says so.
    """

    path: tuple[PathPart, ...]
    message: str
    hint: str | None = field(default=None)

    def at(self, *prefix: PathPart) -> Problem:
        """Return the same problem with ``prefix`` put in front of its path."""
        return Problem(tuple(prefix) + self.path, self.message, self.hint)


def dotted(path: tuple[PathPart, ...]) -> str:
    """Render a path as ``a.b[2].c`` (empty string for the root)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def a_or_an(word: str) -> str:
    """Return ``word`` with its indefinite article: ``an Items``, ``a Users``."""
    return ("an " if word[:1].upper() in "AEIOU" else "a ") + word


SHOWN_MAX = 80
"""Quoted values in messages are cut to this many characters (see :func:`shown`)."""


def shown(value: object, limit: int = SHOWN_MAX, *, length: bool = True) -> str:
    """Return ``repr(value)`` for a message, cut to about ``limit`` characters.

    A longer string keeps its first ``limit`` characters, then an ellipsis inside the
    quotes and, unless ``length`` is false (for messages that state the length
    themselves), its full length: ``'aaaa…' (300000 characters)``. Other values are cut
    the same way on their ``repr``. So an error never prints megabytes of the input.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        head = repr(value[:limit])
        return f"{head[:-1]}…{head[-1]}" + (f" ({len(value)} characters)" if length else "")
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…" + (f" ({len(text)} characters)" if length else "")


def clipped(text: object, limit: int = SHOWN_MAX) -> str:
    """``str(text)``, or its first ``limit`` characters, an ellipsis and its length
    (``'abc… (60,000 characters)'``): for echoing a client's operation name, path or key
    in an error without sending its megabytes back. Unlike :func:`shown`, no quotes."""
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def listed(items: list[str], limit: int = 10) -> str:
    """Join ``items`` with commas, at most ``limit`` of them, then ``and N more``."""
    head = ", ".join(items[:limit])
    return head + (f" and {len(items) - limit} more" if len(items) > limit else "")
