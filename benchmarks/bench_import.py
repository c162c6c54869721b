"""Import throughput of the local target: parse+validate, and parse+validate+store.

Generates a deterministic interactions CSV (default 1,000,000 rows, seed 0) in a temporary
directory, puts it in a local object store and prints rows per second for:

1. ``csvimport.read_import`` (read, parse, validate, typed columns);
2. the same plus ``datastore.DatasetStore.store_import`` (FULL: an Arrow file per import);
3. ``datastore.DatasetStore.load`` (columns back for the trainer), for reference.

Usage: ``python benchmarks/bench_import.py [--rows N] [--repeat K] [--seed S] [--quoted]``
(``--quoted`` writes ITEM_ID and EVENT_TYPE in double quotes, as the workshop CSV does).
Each figure is the best of K runs (default 3). Target (issue 3): >= 100,000 rows/s.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from personalize_reconcile.local.csvimport import read_import
from personalize_reconcile.local.datastore import DatasetStore
from personalize_reconcile.local.objectstore import LocalObjectStore

SCHEMA = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "version": "1.0",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
}
ARN = "arn:aws:personalize:us-east-1:000000000000:dataset/bench/INTERACTIONS"
URI = "s3://bench-data/interactions.csv"


def generate(path: Path, rows: int, seed: int, quoted: bool = False) -> None:
    """Write ``rows`` interactions (50k users, 5k items, 3 event types, epoch seconds)."""
    rng = np.random.default_rng(seed)
    users = rng.integers(1, 50_000, rows).tolist()
    items = rng.zipf(1.3, rows) % 5_000
    events = np.array(["View", "Click", "Purchase"])[rng.integers(0, 3, rows)].tolist()
    stamps = (1_549_846_801 + np.sort(rng.integers(0, 8_000_000, rows))).tolist()
    q = '"' if quoted else ""
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n")
        f.writelines(
            f"user-{u},{q}item-{i}{q},{q}{e}{q},{t}\n"
            for u, i, e, t in zip(users, items.tolist(), events, stamps, strict=True)
        )


def best(fn, repeat: int) -> float:
    """The shortest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quoted", action="store_true", help="quote ITEM_ID and EVENT_TYPE")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        csv_path = Path(tmp) / "interactions.csv"
        generate(csv_path, args.rows, args.seed, args.quoted)
        store = LocalObjectStore(Path(tmp) / "state")
        info = store.put(URI, csv_path)
        ds = DatasetStore(Path(tmp) / "state")
        n = args.rows
        print(
            f"CSV: {n:,} rows, {info.size / 1e6:.1f} MB, seed {args.seed}"
            f"{', quoted' if args.quoted else ''}; best of {args.repeat}"
        )

        def parse():
            table = read_import(store, URI, json.dumps(SCHEMA))
            assert table.num_rows == n
            return table

        def parse_store():
            ds.store_import(ARN, parse(), "FULL")

        t_parse = best(parse, args.repeat)
        print(f"parse+validate:        {t_parse:6.2f} s  {n / t_parse:>12,.0f} rows/s")
        t_store = best(parse_store, args.repeat)
        print(f"parse+validate+store:  {t_store:6.2f} s  {n / t_store:>12,.0f} rows/s")
        assert ds.count(ARN) == n
        t_load = best(lambda: ds.load(ARN), args.repeat)
        print(f"load columns:          {t_load:6.2f} s  {n / t_load:>12,.0f} rows/s")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
