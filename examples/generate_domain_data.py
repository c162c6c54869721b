"""Regenerate the data of examples/domain.yaml (deterministic: same output every run).

python examples/generate_domain_data.py

Writes data/domain/interactions.csv (USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP: 200
shoppers in two taste groups, each viewing 9 products and buying 3, about 2400 events) and
data/domain/items.csv (ITEM_ID, PRICE, CATEGORY_L1: the fields an ECOMMERCE dataset group
requires, reference §4; and COLOR: an Items schema needs a metadata field of its own). The
use cases of domain.yaml need at least 1000 View events (reference §6).
"""

import csv
import random
from pathlib import Path

START = 1_700_000_000  # epoch seconds
CATEGORIES = {"a": "outdoor", "b": "kitchen"}


COLORS = ("black", "white", "red", "blue", "green")


def products() -> list[tuple[str, float, str, str]]:
    """(ITEM_ID, PRICE, CATEGORY_L1, COLOR) of the 40 products: a00-a19 outdoor, b00-b19
    kitchen."""
    rng = random.Random(11)
    return [
        (f"{group}{i:02d}", round(rng.uniform(5, 200), 2), CATEGORIES[group], COLORS[i % 5])
        for group in "ab"
        for i in range(20)
    ]


def interactions() -> list[tuple[str, str, str, int]]:
    """Rows sorted by time: even users favour the a* products, odd users the b* ones."""
    rng = random.Random(5)
    rows = []
    for u in range(200):
        group = "a" if u % 2 == 0 else "b"
        t = START + u * 600
        viewed = rng.sample(range(20), 9)
        for i in viewed:
            t += rng.randrange(60, 3600)
            rows.append((f"user{u:03d}", f"{group}{i:02d}", "View", t))
        for i in viewed[:3]:
            t += rng.randrange(60, 3600)
            rows.append((f"user{u:03d}", f"{group}{i:02d}", "Purchase", t))
    rows.sort(key=lambda r: (r[3], r[0], r[1]))
    return rows


def write(path: Path, header: tuple[str, ...], rows: list[tuple]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    folder = Path(__file__).parent / "data" / "domain"
    n = write(
        folder / "interactions.csv",
        ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"),
        interactions(),
    )
    m = write(folder / "items.csv", ("ITEM_ID", "PRICE", "CATEGORY_L1", "COLOR"), products())
    print(f"wrote {n} interactions and {m} items to {folder}")
