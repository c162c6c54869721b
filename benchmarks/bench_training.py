"""Training and serving figures of the local target (issue 4 targets in brackets).

    /tmp/v0/bin/python benchmarks/bench_training.py [--skip-large] [--skip-http] [--skip-runtime]

Prints:

1. training time per recipe on tests/data/segment-workshop/interactions.csv
   [<= 1 s];
2. training time and peak RSS (``resource.getrusage``, ru_maxrss) per recipe on
   1,000,000 generated interactions: 50,000 users, 10,000 items, power-law item
   popularity and user activity [<= 20 s, <= 2 GB, on 2 cores]; each recipe trains in a
   fresh child process so each peak is its own;
3. GetRecommendations latency p50/p99 through an unmodified boto3 client and the
   in-process transport [<= 3 ms / 10 ms] and over HTTP (``LocalServer`` on loopback), on
   a campaign trained on the workshop data; then in-process on a campaign trained on the
   1,000,000 generated interactions (imported as CSV through the control plane).

``--skip-large`` leaves out every 1M part, ``--skip-http`` the HTTP part,
``--skip-runtime`` all of 3.

Run from the repository root; the workshop data is the project's copy in tests/data/.
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
WORKSHOP = ROOT / "tests" / "data" / "segment-workshop" / "interactions.csv"
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


def _wait(describe, key: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        obj = describe()[key]
        if obj.get("status") in ("ACTIVE", "CREATE FAILED"):
            if obj["status"] != "ACTIVE":
                raise RuntimeError(f"{key} failed: {obj.get('failureReason')}")
            return obj
        if time.monotonic() > deadline:
            raise RuntimeError(f"{key} still {obj.get('status')}")
        time.sleep(0.02)


def write_csv(columns: dict[str, np.ndarray], path: Path) -> Path:
    """Write Interactions columns as a CSV the import job accepts."""
    with path.open("w") as fh:
        fh.write("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n")
        stamps = columns["TIMESTAMP"].astype(str)
        lines = [f"{u},{i},{e},{t}\n" for u, i, e, t in zip(
            columns["USER_ID"], columns["ITEM_ID"], columns["EVENT_TYPE"], stamps,
            strict=True)]
        fh.writelines(lines)
    return path


def campaign_for(state_dir: Path, csv_path: Path) -> str:
    """Import ``csv_path``, train aws-user-personalization-v2 and deploy a campaign, all
    through a boto3 client on the local target; return the campaign ARN."""
    from personalize_reconcile.backends.local import local_client
    from personalize_reconcile.local.objectstore import LocalObjectStore

    p = local_client("personalize", state_dir=state_dir)
    LocalObjectStore(state_dir).put("s3://bench-data/interactions.csv", csv_path)
    group = p.create_dataset_group(name="bench")["datasetGroupArn"]
    _wait(lambda: p.describe_dataset_group(datasetGroupArn=group), "datasetGroup")
    schema = p.create_schema(name="bench-interactions",
                             schema=(WORKSHOP.parent / "interactions.avsc").read_text())
    ds = p.create_dataset(name="bench-interactions", datasetGroupArn=group,
                          datasetType="Interactions", schemaArn=schema["schemaArn"])
    ds_arn = ds["datasetArn"]
    _wait(lambda: p.describe_dataset(datasetArn=ds_arn), "dataset")
    job = p.create_dataset_import_job(
        jobName="bench-import", datasetArn=ds_arn,
        roleArn="arn:aws:iam::000000000000:role/PersonalizeRole",
        dataSource={"dataLocation": "s3://bench-data/interactions.csv"})
    _wait(lambda: p.describe_dataset_import_job(
        datasetImportJobArn=job["datasetImportJobArn"]), "datasetImportJob")
    sol = p.create_solution(name="bench-up", datasetGroupArn=group, performAutoTraining=False,
                            recipeArn="arn:aws:personalize:::recipe/aws-user-personalization-v2")
    _wait(lambda: p.describe_solution(solutionArn=sol["solutionArn"]), "solution")
    ver = p.create_solution_version(solutionArn=sol["solutionArn"])["solutionVersionArn"]
    _wait(lambda: p.describe_solution_version(solutionVersionArn=ver), "solutionVersion")
    camp = p.create_campaign(name="bench-campaign", solutionVersionArn=ver)["campaignArn"]
    _wait(lambda: p.describe_campaign(campaignArn=camp), "campaign")
    return camp


def time_calls(client, campaign_arn: str, users: list[str], label: str, note: str) -> None:
    """Print p50/p99 of 2000 GetRecommendations calls (after 50 warm-up calls)."""
    for k in range(50):
        client.get_recommendations(campaignArn=campaign_arn, userId=users[k % len(users)])
    samples = []
    for k in range(2000):
        start = time.perf_counter()
        client.get_recommendations(campaignArn=campaign_arn, userId=users[k % len(users)])
        samples.append(time.perf_counter() - start)
    p50, p99 = percentiles(samples)
    target = "  [target p50 <= 3 ms, p99 <= 10 ms]" if label == "in-process" else ""
    print(f"GetRecommendations {label:10s}: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
          f"(2000 calls, {note}){target}")


def bench_runtime(http: bool, large: bool) -> None:
    """Time GetRecommendations in-process and (when ``http``) over the local HTTP server,
    on the workshop model and (when ``large``) on the 1M-interaction model."""
    try:
        from personalize_reconcile.backends.local import local_client
        from personalize_reconcile.local.server import LocalServer
        from personalize_reconcile.local.service import get_service
    except ImportError as exc:
        print(f"runtime: the local transport is not available ({exc}); skipped")
        return
    import boto3

    with tempfile.TemporaryDirectory() as tmp:
        state_dir = Path(tmp)
        campaign_arn = campaign_for(state_dir, WORKSHOP)
        users = sorted(set(workshop_columns()["USER_ID"].tolist()))
        note = "aws-user-personalization-v2, workshop data, 50 items"
        time_calls(local_client("personalize-runtime", state_dir=state_dir), campaign_arn,
                   users, "in-process", note)
        if http:
            server = LocalServer(get_service(state_dir), host="127.0.0.1", port=0)
            server.serve_in_thread()
            try:
                client = boto3.client(
                    "personalize-runtime", endpoint_url=server.url, region_name="us-east-1",
                    aws_access_key_id="AKIALOCALPRECONCILE0", aws_secret_access_key="local")
                time_calls(client, campaign_arn, users, "HTTP", note)
            finally:
                server.shutdown()
                server.server_close()
    if large:
        with tempfile.TemporaryDirectory() as tmp:
            state_dir = Path(tmp)
            cols = generated_columns()
            start = time.perf_counter()
            campaign_arn = campaign_for(state_dir, write_csv(cols, state_dir / "gen.csv"))
            print(f"1,000,000 generated: CSV import + training + campaign through boto3 "
                  f"{time.perf_counter() - start:.1f} s")
            users = sorted(set(cols["USER_ID"].tolist()))[:5000]
            time_calls(local_client("personalize-runtime", state_dir=state_dir), campaign_arn,
                       users, "in-process",
                       "aws-user-personalization-v2, 1M generated, 10,000 items")


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
        bench_runtime(http=not args.skip_http, large=not args.skip_large)


if __name__ == "__main__":
    main()
