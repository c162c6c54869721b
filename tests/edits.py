"""Edits of manifest text in tests that cannot silently do nothing."""

from __future__ import annotations


def replaced(text: str, old: str, new: str) -> str:
    """``text`` with its one occurrence of ``old`` replaced by ``new``.

    Raises:
        AssertionError: ``old`` does not occur exactly once (the example changed, and the
            edit would otherwise do nothing or too much while the test still passed).
    """
    count = text.count(old)
    assert count == 1, f"expected {old!r} once in the text, found it {count} times"
    return text.replace(old, new)
