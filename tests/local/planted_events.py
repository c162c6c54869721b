"""A planted pattern for the personalize-events tests: two taste groups of users, each
interacting only with its own half of the catalogue (items ``a00``-``a19`` and
``b00``-``b19``), so a user's recommendations say which half the model believes in."""

from __future__ import annotations

import csv
from pathlib import Path

from schemas import ITEM_ID, TIMESTAMP, USER_ID, record

SCHEMA = record(
    "Interactions", [USER_ID, ITEM_ID, {"name": "EVENT_TYPE", "type": "string"}, TIMESTAMP]
)
"""USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP."""
START = 1_700_000_000
USERS_PER_GROUP = 60
EVENTS_PER_USER = 10


def write(path: Path) -> Path:
    """Write the planted interactions CSV (1200 rows) to ``path``; return ``path``."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"])
        for group in ("a", "b"):
            for u in range(USERS_PER_GROUP):
                for k in range(EVENTS_PER_USER):
                    item = f"{group}{(u * 3 + k * 7) % 20:02d}"
                    out.writerow([f"u{group}{u:03d}", item, "click", START + u * 100 + k])
    return path
