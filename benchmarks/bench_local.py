"""Round-trip latency of the local target's control plane (issue 3).

Prints the mean DescribeDatasetGroup round trip, in milliseconds:

* boto3 alone: a client whose ``before-send`` hook returns a canned answer (the floor:
  serialisation, signing, parsing);
* in-process: ``personalize_reconcile.backends.local.local_client`` (target <= 2 ms);
* over HTTP: plain boto3 with ``endpoint_url`` against ``preconcile local serve`` running
  in another process (target <= 6 ms).

Usage: ``python benchmarks/bench_local.py [--n 2000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.awsrequest import AWSResponse

from personalize_reconcile.backends.local import local_client


def mean_ms(call, n: int) -> float:
    for _ in range(min(200, n)):
        call()
    t0 = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - t0) / n * 1000


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_):
        yield self.data


def boto3_alone(arn: str, n: int) -> float:
    body = json.dumps(
        {
            "datasetGroup": {
                "name": "bench",
                "datasetGroupArn": arn,
                "status": "ACTIVE",
                "creationDateTime": 1.7e9,
                "lastUpdatedDateTime": 1.7e9,
            }
        }
    ).encode()
    c = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1"
    ).client("personalize")
    c.meta.events.register(
        "before-send",
        lambda request, **_: AWSResponse(
            request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body)
        ),
    )
    return mean_ms(lambda: c.describe_dataset_group(datasetGroupArn=arn), n)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def over_http(state_dir: str, n: int) -> float:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "personalize_reconcile",
            "local",
            "serve",
            "--port",
            str(port),
            "--state-dir",
            state_dir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=1).read()  # S3 ListBuckets
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.05)
        c = boto3.session.Session(
            aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1"
        ).client("personalize", endpoint_url=url)
        arn = c.create_dataset_group(name="bench-http")["datasetGroupArn"]
        return mean_ms(lambda: c.describe_dataset_group(datasetGroupArn=arn), n)
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="calls per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state")
        c = local_client("personalize", state_dir=state)
        arn = c.create_dataset_group(name="bench")["datasetGroupArn"]
        alone = boto3_alone(arn, args.n)
        inproc = mean_ms(lambda: c.describe_dataset_group(datasetGroupArn=arn), args.n)
        http = over_http(os.path.join(tmp, "http-state"), args.n)
    print(f"DescribeDatasetGroup mean round trip over {args.n} calls:")
    print(f"  boto3 alone (canned answer): {alone:6.3f} ms")
    print(f"  in-process local target:     {inproc:6.3f} ms   (target <= 2 ms)")
    print(f"  over HTTP (local serve):     {http:6.3f} ms   (target <= 6 ms)")


if __name__ == "__main__":
    main()
