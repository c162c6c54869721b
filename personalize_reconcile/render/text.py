"""Text from the data or the service made safe to print on a terminal.

One job: :func:`visible` writes control characters as escapes, so an item id from a CSV
file or a failure reason quoting one cannot move the cursor, recolour or retitle the
terminal. Callers: the CLI's ``recommend`` table and ``render/progress.py``.
"""

from __future__ import annotations


def visible(text: str) -> str:
    """``text`` with each C0 or C1 control character (U+0000-U+001F, U+007F-U+009F) but tab
    and line feed written as ``\\xNN``.

    Args:
        text: any string (an id, a name, a message).

    Returns:
        The same string with those characters replaced; unchanged when it has none.
    """
    return "".join(
        f"\\x{ord(c):02x}" if (ord(c) < 0x20 and c not in "\t\n") or 0x7F <= ord(c) < 0xA0 else c
        for c in text
    )
