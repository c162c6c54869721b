"""Deterministic Segment-style ecommerce interactions, for examples, tests and benchmarks.

One job: generate interaction rows (USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP) that look like
the Segment workshop's data — numeric user ids, product slugs, the events Product Clicked,
Product Added and Order Completed, epoch-second timestamps — from a seed alone. The same
seed and sizes give the same rows on every platform (it uses :class:`random.Random`).
Called by ``examples/generate_data.py``, tests and benchmarks.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

HEADER = ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP")
EVENT_TYPES = (("Product Clicked", 0.7), ("Product Added", 0.2), ("Order Completed", 0.1))
START = 1549843200  # 2019-02-11T00:00:00Z, when the workshop's own data begins

_COLOURS = ["black", "white", "red", "blue", "green", "yellow", "grey", "brown", "navy", "pink"]
_THINGS = [
    "leather-bag",
    "wool-jumper",
    "zipped-jacket",
    "running-shoes",
    "denim-jeans",
    "cotton-shirt",
    "silk-scarf",
    "canvas-sneakers",
    "rain-coat",
    "beanie-hat",
    "sports-socks",
    "chino-shorts",
    "linen-dress",
    "hoodie",
    "backpack",
    "sunglasses",
]


def product_ids(n: int) -> list[str]:
    """Return ``n`` distinct product slugs (``yellow-wool-jumper``), n <= 160."""
    if not 1 <= n <= len(_COLOURS) * len(_THINGS):
        raise ValueError(f"between 1 and {len(_COLOURS) * len(_THINGS)} products, not {n}")
    combos = [f"{c}-{t}" for t in _THINGS for c in _COLOURS]
    return random.Random(7).sample(combos, n)


def interactions(
    users: int = 2500, products: int = 40, seed: int = 1, days: int = 90, mean_events: float = 4.0
) -> Iterator[tuple[str, str, str, int]]:
    """Yield interaction rows sorted by timestamp.

    Args:
        users: number of distinct users.
        products: number of distinct products (at most 160).
        seed: the random seed; the same arguments always give the same rows.
        days: the time span of the events, from 2019-02-11 (epoch seconds 1549843200).
        mean_events: mean events per user (geometric distribution, at least 1).

    Yields:
        ``(USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP)``: a 10-digit user id, a product slug,
        an event type, epoch seconds.
    """
    rng = random.Random(seed)
    items = product_ids(products)
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(products)]  # power-law popularity
    names = [e for e, _ in EVENT_TYPES]
    event_weights = [w for _, w in EVENT_TYPES]
    span = days * 86400
    rows = []
    user_ids = rng.sample(range(1_000_000_000, 9_999_999_999), users)
    p_more = 1.0 - 1.0 / mean_events
    for uid in user_ids:
        count = 1
        while rng.random() < p_more:
            count += 1
        t = START + rng.randrange(span)
        favourites = rng.choices(items, weights=weights, k=3)
        for _ in range(count):
            item = (
                rng.choice(favourites)
                if rng.random() < 0.5
                else rng.choices(items, weights=weights)[0]
            )
            event = rng.choices(names, weights=event_weights)[0]
            rows.append((str(uid), item, event, t))
            t = min(START + span - 1, t + rng.randrange(30, 3 * 86400))
    rows.sort(key=lambda r: (r[3], r[0], r[1]))
    yield from rows


def write_csv(path: Path, rows: Iterator[tuple]) -> int:
    """Write ``rows`` under the interactions header to ``path``; return the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for row in rows:
            w.writerow(row)
            n += 1
    return n
