"""The rows of the table ``preconcile recommend`` prints: ``(rank, itemId, score)``, as
text, for comparing a run with another run or with the documentation."""

from __future__ import annotations

import re

ROW = re.compile(r"│ (\d) │ (\S+)\s+│ (\d\.\d{6}) │")


def rows(text: str) -> list[tuple[str, str, str]]:
    """Every ``(rank, itemId, score)`` row of the recommendation tables in ``text``."""
    return ROW.findall(text)
