"""Regenerate the data of examples/retail.yaml (deterministic: same output every run).

python examples/generate_retail_data.py

Writes, under data/retail/:

- users.csv (USER_ID, MEMBERSHIP, AGE_GROUP): 300 shoppers, a third of them "gold";
- items.csv (ITEM_ID, CATEGORY, PRICE, CREATION_TIMESTAMP): 60 products in three
  categories (shoes s00-s19, bags b00-b19, hats h00-h19);
- interactions.csv (USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP): each shopper mostly views
  and buys in one favourite category (users 0, 3, 6... shoes; 1, 4, 7... bags; 2, 5, 8...
  hats), about 3600 events over 30 days;
- batch-users.jsonl: the users a nightly batch inference job recommends for.

The patterns are planted so a trained model has something to find: a shopper's
recommendations should be mostly from the favourite category.
"""

import csv
import json
import random
from pathlib import Path

START = 1_700_000_000  # epoch seconds
DAY = 86_400
CATEGORIES = {"s": "shoes", "b": "bags", "h": "hats"}
OUT = Path(__file__).resolve().parent / "data" / "retail"


def items() -> list[tuple[str, str, float, int]]:
    """(ITEM_ID, CATEGORY, PRICE, CREATION_TIMESTAMP) of the 60 products."""
    rng = random.Random(3)
    return [
        (
            f"{p}{i:02d}",
            CATEGORIES[p],
            round(rng.uniform(10, 300), 2),
            START - rng.randint(1, 90) * DAY,
        )
        for p in "sbh"
        for i in range(20)
    ]


def users() -> list[tuple[str, str, str]]:
    """(USER_ID, MEMBERSHIP, AGE_GROUP) of the 300 shoppers."""
    return [
        (f"user{u:03d}", "gold" if u % 3 == 0 else "standard", ("18-29", "30-49", "50+")[u % 3])
        for u in range(300)
    ]


def interactions() -> list[tuple[str, str, str, int]]:
    """Rows sorted by time: 9 views and 3 purchases per shopper, 80% in the favourite
    category."""
    rng = random.Random(7)
    rows = []
    prefixes = "sbh"
    for u in range(300):
        favourite = prefixes[u % 3]
        t = START + u * 7_000
        for k in range(12):
            prefix = favourite if rng.random() < 0.8 else rng.choice(prefixes)
            item = f"{prefix}{rng.randrange(20):02d}"
            event = "Purchase" if k % 4 == 3 else "View"
            t += rng.randint(60, 3_600)
            rows.append((f"user{u:03d}", item, event, t))
    rows.sort(key=lambda r: (r[3], r[0], r[1]))
    return rows


def write(name: str, header: list[str], rows: list[tuple]) -> None:
    with (OUT / name).open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write("items.csv", ["ITEM_ID", "CATEGORY", "PRICE", "CREATION_TIMESTAMP"], items())
    write("users.csv", ["USER_ID", "MEMBERSHIP", "AGE_GROUP"], users())
    write("interactions.csv", ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"], interactions())
    lines = [json.dumps({"userId": f"user{u:03d}"}) for u in range(0, 300, 30)]
    (OUT / "batch-users.jsonl").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
