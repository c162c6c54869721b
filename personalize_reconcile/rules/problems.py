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
