"""Training and serving figures of the local target (issue 4 targets in brackets).

    /tmp/v0/bin/python benchmarks/bench_training.py [--skip-large] [--skip-http]

Prints:

1. training time per recipe on ../shared/data/segment-workshop/interactions.csv
   [<= 1 s];
2. training time and peak RSS (``resource.getrusage``, ru_maxrss) per recipe on
   1,000,000 generated interactions: 50,000 users, 10,000 items, power-law item
   popularity and user activity [<= 20 s, <= 2 GB, on 2 cores]; each recipe trains in a
   fresh child process so each peak is its own;
3. GetRecommendations latency p50/p99 through an unmodified boto3 client and the
   in-process transport [<= 3 ms / 10 ms], and over HTTP when the local server is
   available.

Run from the repository root; the workshop data is read from ../shared (never copied).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORKSHOP = ROOT.parent / "shared" / "data" / "segment-workshop" / "interactions.csv"
RECIPES = ("aws-user-personalization-v2", "aws-sims", "aws-popularity-count",
           "aws-trending-now")
ARN = "arn:aws:personalize:us-east-1:000000000000:solution/bench-{}/00000001"


def workshop_columns() -> dict[str, np.ndarray]:
    """The workshop CSV as the dataset store loads it (object str arrays, int64 stamps)."""
    with WORKSHOP.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    cols = {k: np.array([r[k] for r in rows], dtype=object) for k in rows[0]}
    cols["TIMESTAMP"] = cols["TIMESTAMP"].astype(np.int64)
    return cols


def generated_columns(n: int = 1_000_000, users: int = 50_000, items: int = 10_000,
                      seed: int = 1) -> dict[str, np.ndarray]:
    """``n`` interactions with Zipf-like (exponent 1) item popularity and (0.7) user
    activity, timestamps over 90 days."""
    rng = np.random.default_rng(seed)
    item_p = 1.0 / np.arange(1, items + 1)
    item_p /= item_p.sum()
    user_p = 1.0 / np.arange(1, users + 1) ** 0.7
    user_p /= user_p.sum()
    u = rng.choice(users, size=n, p=user_p)
    i = rng.choice(items, size=n, p=item_p)
    # every user and item appears at least once
    u[:users] = np.arange(users)
    i[users:users + items] = np.arange(items)
    user_names = np.array([f"user-{k:06d}" for k in range(users)], dtype=object)
    item_names = np.array([f"item-{k:05d}" for k in range(items)], dtype=object)
    return {
        "USER_ID": user_names[u],
        "ITEM_ID": item_names[i],
        "EVENT_TYPE": np.full(n, "click", dtype=object),
        "TIMESTAMP": 1_700_000_000 + rng.integers(0, 90 * 86400, n).astype(np.int64),
    }


def train_once(recipe: str, columns: dict[str, np.ndarray], state_dir: Path) -> float:
    """Train one version and return the wall-clock seconds."""
    from personalize_reconcile.local.training import train_version

    start = time.perf_counter()
    train_version(state_dir=state_dir, solution_version_arn=ARN.format(recipe),
                  recipe_arn=recipe, interactions=columns)
    return time.perf_counter() - start


def child_large(recipe: str) -> None:
    """Child-process mode: train ``recipe`` on the generated data, print JSON."""
    cols = generated_columns()
    with tempfile.TemporaryDirectory() as tmp:
        seconds = train_once(recipe, cols, Path(tmp))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"recipe": recipe, "seconds": seconds, "peak_mb": peak_kb / 1024}))


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 of ``samples`` (seconds) in milliseconds."""
    arr = np.array(samples) * 1000
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def bench_runtime(http: bool) -> None:
    """Train the workshop data through the local target and time GetRecommendations."""
    try:
        from personalize_reconcile.backends import local as local_backend  # noqa: F401
    except ImportError:
        print("runtime: the local transport is not available in this tree; skipped")
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from runtime_setup import campaign_for_workshop  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory() as tmp:
        runtime, campaign_arn, users, endpoint_runtime = campaign_for_workshop(
            Path(tmp), WORKSHOP, http=http)
        for label, client in (("in-process", runtime), ("HTTP", endpoint_runtime)):
            if client is None:
                continue
            for _ in range(50):
                client.get_recommendations(campaignArn=campaign_arn, userId=users[0])
            samples = []
            for k in range(2000):
                start = time.perf_counter()
                client.get_recommendations(campaignArn=campaign_arn,
                                           userId=users[k % len(users)])
                samples.append(time.perf_counter() - start)
            p50, p99 = percentiles(samples)
            print(f"GetRecommendations {label:10s}: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
                  f"(2000 calls, aws-user-personalization-v2, workshop model)")


def main() -> None:
    """Parse arguments and print every figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-runtime", action="store_true")
    parser.add_argument("--child-large", metavar="RECIPE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_large:
        child_large(args.child_large)
        return

    print(f"cores: {os.cpu_count()}, training threads: "
          f"{os.environ.get('PRECONCILE_TRAINING_THREADS', 'default')}")
    cols = workshop_columns()
    with tempfile.TemporaryDirectory() as tmp:
        train_once("aws-popularity-count", cols, Path(tmp))  # warm imports
        for recipe in RECIPES:
            seconds = train_once(recipe, cols, Path(tmp))
            print(f"workshop ({len(cols['USER_ID'])} interactions) {recipe:28s}: "
                  f"{seconds:.3f} s  [target <= 1 s]")

    if not args.skip_large:
        for recipe in RECIPES:
            out = subprocess.run(
                [sys.executable, __file__, "--child-large", recipe], check=True,
                capture_output=True, text=True, cwd=ROOT).stdout
            res = json.loads(out.strip().splitlines()[-1])
            print(f"1,000,000 generated {recipe:28s}: {res['seconds']:.2f} s, peak RSS "
                  f"{res['peak_mb']:.0f} MB  [target <= 20 s, <= 2048 MB]")

    if not args.skip_runtime:
        bench_runtime(http=not args.skip_http)


if __name__ == "__main__":
    main()
