"""Data with a planted pattern for the segmentation and Next-Best-Action tests.

Users ``c000``-``c149`` interact only with comedies (items ``i00``-``i19``, GENRES
``Comedy``) and ``d000``-``d149`` only with dramas (``i20``-``i39``, ``Drama``); 8 events per
user, popularity falling with the item number. Same rows on every call.

For Next-Best-Action: comedy fans ``c000``-``c099`` took ``comedy-club``, drama fans
``d000``-``d099`` took ``drama-newsletter`` (and each turned the other down); ``c000``-``c009``
also took ``app-download`` (too few TAKEN events to score); ``expired-offer`` has expired.
"""

from __future__ import annotations

import csv
import io

import numpy as np
from schemas import record

COMEDIES = [f"i{i:02d}" for i in range(20)]
DRAMAS = [f"i{i:02d}" for i in range(20, 40)]
COMEDY_FANS = {f"c{u:03d}" for u in range(150)}
DRAMA_FANS = {f"d{u:03d}" for u in range(150)}


def as_csv(header, rows) -> bytes:
    """``header`` and ``rows`` as CSV bytes, the way an import reads them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def interactions_csv() -> bytes:
    """8 events per user, all on their own genre; popularity falls with the item number."""
    rng = np.random.default_rng(12)
    weights = 1.0 / np.arange(1, 21)
    weights /= weights.sum()
    rows = []
    for fans, items in ((sorted(COMEDY_FANS), COMEDIES), (sorted(DRAMA_FANS), DRAMAS)):
        for n, user in enumerate(fans):
            for k, pick in enumerate(rng.choice(20, size=8, p=weights)):
                rows.append([user, items[pick], 1_700_000_000 + n * 1000 + k * 60])
    return as_csv(["USER_ID", "ITEM_ID", "TIMESTAMP"], rows)


def items_csv() -> bytes:
    """GENRES carries the pattern; COLOR is 'red' everywhere; TITLE differs per item."""
    rows = [
        [item, "Comedy" if item in COMEDIES else "Drama", "red", f"Title {item}", "text"]
        for item in COMEDIES + DRAMAS
    ]
    return as_csv(["ITEM_ID", "GENRES", "COLOR", "TITLE", "DESCRIPTION"], rows)


ACTIONS_SCHEMA = record(
    "Actions",
    [
        {"name": "ACTION_ID", "type": "string"},
        {"name": "VALUE", "type": ["null", "long"]},
        {"name": "EXPIRATION_TIMESTAMP", "type": ["null", "long"]},
        {"name": "CHANNEL", "type": "string", "categorical": True},
    ],
)
ACTION_INTERACTIONS_SCHEMA = record(
    "ActionInteractions",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "ACTION_ID", "type": "string"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
)


def actions_csv() -> bytes:
    return as_csv(
        ["ACTION_ID", "VALUE", "EXPIRATION_TIMESTAMP", "CHANNEL"],
        [
            ["comedy-club", 10, "", "web"],
            ["drama-newsletter", 5, "", "email"],
            ["app-download", 20, "", "app"],
            ["expired-offer", 99, 1, "web"],
        ],
    )


def action_interactions_csv() -> bytes:
    rows = []
    for n in range(100):
        rows.append([f"c{n:03d}", "comedy-club", "TAKEN", 1_700_500_000 + n])
        rows.append([f"c{n:03d}", "drama-newsletter", "NOT_TAKEN", 1_700_500_000 + n])
        rows.append([f"d{n:03d}", "drama-newsletter", "TAKEN", 1_700_500_000 + n])
        rows.append([f"d{n:03d}", "comedy-club", "NOT_TAKEN", 1_700_500_000 + n])
    for n in range(10):
        rows.append([f"c{n:03d}", "app-download", "TAKEN", 1_700_600_000 + n])
    return as_csv(["USER_ID", "ACTION_ID", "EVENT_TYPE", "TIMESTAMP"], rows)
