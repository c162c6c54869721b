"""The project against the libraries underneath it, measured interleaved in one run.

    .venv/bin/python benchmarks/bench_anchors.py [--rounds N] [--only NAME[,NAME...]]

Each measure runs its project side and its anchor alternately (anchor, project, anchor,
project, ...) ``--rounds`` times, so that load on a shared machine hits both alike, and
prints ``measure | project median | anchor median | ratio | target``. Measures (names for
``--only``):

- ``help``: ``preconcile --help`` in a fresh process, against a fresh ``python -c`` that
  creates a botocore Personalize client (the least any boto3-based CLI pays). The
  package's bytecode is written first (``compileall``), as an installed package has it.
- ``plan``: a no-op ``preconcile plan examples/workshop.yaml`` on the local target after an
  apply, in a fresh process, against the same botocore-client anchor; with a second row,
  the floor: the anchor plus importing pydantic, typer, rich and ruamel.yaml, which a plan
  loads before it reads the manifest (measured in the same rounds).
- ``popularity``, ``sims``: training aws-popularity-count and aws-sims on 1,000,000
  generated interactions (``bench_training.generated_columns``), against ``np.unique`` on
  the string ids plus ``np.bincount``, and scipy ``X.T @ X`` with the same cut-offs plus
  top-k per item.
- ``user-personalization``: training aws-user-personalization-v2 on the same data, against
  one raw ``implicit`` ALS fit with the same factors, iterations and regularization.
- ``import``: an import job's parse, validate and store (``csvimport.read_import`` then
  ``DatasetStore.store_import``, FULL) of a 1,000,000-row interactions CSV
  (``bench_import.generate``), and its parse and validate alone, against
  ``pyarrow.csv.read_csv`` of the same file.
- ``serving``: GetRecommendations p50 through the in-process transport (a botocore client
  answered by the local target) on a campaign trained on the workshop data, against the
  same botocore call answered at ``before-send`` with a fixed response of the same body:
  request building, signing and response parsing are in both; the local target's work
  is the difference. Blocks of 200 calls alternate.

The anchors' extra packages are in the ``bench`` extra (``pip install -e '.[bench]'``).
Run from the repository root.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

ANCHOR_CLIENT = (
    "import botocore.session; botocore.session.get_session().create_client("
    "'personalize', region_name='us-east-1', aws_access_key_id='x', "
    "aws_secret_access_key='y')"
)


FLOOR_CLIENT = "import pydantic, typer, rich.console, ruamel.yaml; " + ANCHOR_CLIENT
"""The anchor, plus importing the libraries every plan needs before it does any work."""


def run_process(argv: list[str]) -> float:
    """Seconds of wall time to run ``argv`` to completion (output discarded)."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def interleaved(
    project: Callable[[], float], anchor: Callable[[], float], rounds: int
) -> tuple[float, float]:
    """Run ``anchor`` then ``project``, ``rounds`` times; return both medians (seconds)."""
    project_s: list[float] = []
    anchor_s: list[float] = []
    for _ in range(rounds):
        anchor_s.append(anchor())
        project_s.append(project())
    return statistics.median(project_s), statistics.median(anchor_s)


def report(name: str, project_s: float, anchor_s: float, target: str) -> None:
    """Print one row of the table."""
    unit, scale = ("ms", 1000.0) if max(project_s, anchor_s) < 1 else ("s", 1.0)
    print(
        f"{name:34s} | {project_s * scale:9.3f} {unit:2s} | {anchor_s * scale:9.3f} {unit:2s} "
        f"| {project_s / anchor_s:5.2f} | target <= {target}",
        flush=True,
    )


def compile_package() -> None:
    """Write the package's bytecode, as installing it does: with PYTHONDONTWRITEBYTECODE
    set and an editable install, every start would otherwise compile the package from
    source while botocore's bytecode is on disk."""
    import compileall

    compileall.compile_dir(str(ROOT / "personalize_reconcile"), quiet=1)


def bench_help(rounds: int) -> None:
    """``preconcile --help`` against creating a botocore Personalize client."""
    python = sys.executable
    project, anchor = interleaved(
        lambda: run_process([python, "-m", "personalize_reconcile", "--help"]),
        lambda: run_process([python, "-c", ANCHOR_CLIENT]),
        rounds,
    )
    report("preconcile --help", project, anchor, "0.6")


def bench_plan(rounds: int) -> None:
    """A no-op plan of the workshop (after an apply) against creating a botocore client.

    A third process, run in the same rounds, shows the floor any plan with this stack
    pays: the anchor plus importing the libraries a plan cannot start without (pydantic
    for the manifest's models, typer for the command line, rich for the output,
    ruamel.yaml for the manifest's lines), before any manifest is read or any call made.
    """
    python = sys.executable
    manifest = str(ROOT / "examples" / "workshop.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        state = ["--state-dir", str(Path(tmp) / "state")]
        cli = [python, "-m", "personalize_reconcile"]
        run_process([*cli, "apply", manifest, "--auto-approve", *state])
        times: dict[str, list[float]] = {"anchor": [], "floor": [], "plan": []}
        for _ in range(rounds):
            times["anchor"].append(run_process([python, "-c", ANCHOR_CLIENT]))
            times["floor"].append(run_process([python, "-c", FLOOR_CLIENT]))
            times["plan"].append(run_process([*cli, "plan", manifest, *state]))
    anchor = statistics.median(times["anchor"])
    report("no-op plan of the workshop", statistics.median(times["plan"]), anchor, "1.5")
    report("  floor: anchor + libraries", statistics.median(times["floor"]), anchor, "-")


def _train(recipe: str, columns: dict[str, np.ndarray]) -> Callable[[], float]:
    from bench_training import train_once

    def run() -> float:
        with tempfile.TemporaryDirectory() as tmp:
            return train_once(recipe, columns, Path(tmp))

    return run


def _timed(fn: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    return run


def anchor_popularity(columns: dict[str, np.ndarray]) -> None:
    """``np.unique`` on the string ids, then ``np.bincount`` of the item codes."""
    np.unique(columns["USER_ID"].astype(str), return_inverse=True)
    ids, items = np.unique(columns["ITEM_ID"].astype(str), return_inverse=True)
    np.bincount(items.reshape(-1), minlength=ids.shape[0])


def _matrix(columns: dict[str, np.ndarray], percentiles: tuple[float, float] = (0.0, 1.0)):
    from scipy import sparse

    _, users = np.unique(columns["USER_ID"].astype(str), return_inverse=True)
    _, items = np.unique(columns["ITEM_ID"].astype(str), return_inverse=True)
    if percentiles != (0.0, 1.0):
        lengths = np.bincount(users)
        lo, hi = np.quantile(lengths, percentiles)
        keep = ((lengths >= lo) & (lengths <= hi))[users]
        users, items = users[keep], items[keep]
    m = sparse.csr_matrix(
        (np.ones(users.shape[0], dtype=np.float32), (users, items)),
        shape=(int(users.max()) + 1, int(items.max()) + 1),
    )
    m.sum_duplicates()
    return m


def anchor_sims(columns: dict[str, np.ndarray]) -> None:
    """Binary user-item matrix of the users within the default history percentiles
    (0.5%-99.5%), ``X.T @ X`` with the default cut-off (at least 3 co-interactions),
    popularity discount 0.5, and the 500 best per item by ``argpartition``."""
    binary = _matrix(columns, (0.005, 0.995))
    binary.data[:] = 1.0
    counts = (binary.T @ binary).tocsr()
    counts.setdiag(0)
    counts.data[counts.data < 3] = 0
    counts.eliminate_zeros()
    pop = np.asarray(binary.sum(axis=0)).ravel()
    from scipy import sparse

    discount = np.power(np.maximum(pop, 1.0), -0.5).astype(np.float32)
    scores = (counts @ sparse.diags(discount)).tocsr()
    for r in range(scores.shape[0]):
        vals = scores.data[scores.indptr[r] : scores.indptr[r + 1]]
        if vals.shape[0] > 500:
            np.argpartition(-vals, 500)[:500]


def anchor_als(columns: dict[str, np.ndarray]) -> None:
    """One ``implicit`` ALS fit with the recipe's default settings (factors 32, 15
    iterations, regularization 0.01, alpha 2), BLAS on one thread as implicit advises."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    from personalize_reconcile.local.training.als import training_threads

    matrix = _matrix(columns)
    with threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(
            factors=32,
            regularization=0.01,
            alpha=2.0,
            iterations=15,
            num_threads=training_threads(matrix.nnz),
            random_state=42,
        )
        als.fit(matrix, show_progress=False)


def bench_training(names: set[str], rounds: int) -> None:
    """The training rows on 1,000,000 generated interactions."""
    from bench_training import generated_columns

    columns = generated_columns()
    rows = [
        ("popularity", "aws-popularity-count", anchor_popularity, "2"),
        ("sims", "aws-sims", anchor_sims, "1.3"),
        ("user-personalization", "aws-user-personalization-v2", anchor_als, "2.2"),
    ]
    for name, recipe, anchor, target in rows:
        if name not in names:
            continue
        project, anchor_s = interleaved(
            _train(recipe, columns), _timed(lambda a=anchor: a(columns)), rounds
        )
        report(f"train {name}, 1M", project, anchor_s, target)


class _Body:
    """The raw-response object botocore reads, over fixed bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: object):
        yield self._data


def _call_times(call: Callable[[int], object], start: int, count: int) -> list[float]:
    out = []
    for k in range(start, start + count):
        t0 = time.perf_counter()
        call(k)
        out.append(time.perf_counter() - t0)
    return out


def bench_serving(rounds: int) -> None:
    """GetRecommendations in-process against a botocore call with a fixed response."""
    import json

    import botocore.session
    from bench_training import WORKSHOP, campaign_for, workshop_columns
    from botocore.awsrequest import AWSResponse

    from personalize_reconcile.backends.local import local_client

    users = sorted(set(workshop_columns()["USER_ID"].tolist()))
    with tempfile.TemporaryDirectory() as tmp:
        campaign = campaign_for(Path(tmp), WORKSHOP)
        local = local_client("personalize-runtime", state_dir=Path(tmp))
        answer = local.get_recommendations(campaignArn=campaign, userId=users[0])
        answer.pop("ResponseMetadata", None)
        body = json.dumps(answer).encode()
        stub = botocore.session.get_session().create_client(
            "personalize-runtime",
            region_name="us-east-1",
            aws_access_key_id="AKIALOCALPRECONCILE0",
            aws_secret_access_key="local",
        )
        stub.meta.events.register(
            "before-send",
            lambda request, **_: AWSResponse(
                request.url, 200, {"Content-Type": "application/json"}, _Body(body)
            ),
        )

        def project(k: int) -> object:
            return local.get_recommendations(campaignArn=campaign, userId=users[k % len(users)])

        def anchor(k: int) -> object:
            return stub.get_recommendations(campaignArn=campaign, userId=users[k % len(users)])

        _call_times(anchor, 0, 100)
        _call_times(project, 0, 100)
        project_s: list[float] = []
        anchor_s: list[float] = []
        for r in range(rounds * 4):
            anchor_s += _call_times(anchor, r * 200, 200)
            project_s += _call_times(project, r * 200, 200)
    report(
        "GetRecommendations in-process p50",
        statistics.median(project_s),
        statistics.median(anchor_s),
        "1.3",
    )


def bench_import(rounds: int) -> None:
    """Import of 1,000,000 rows against pyarrow's CSV reader."""
    import json

    from bench_import import ARN, SCHEMA, URI, generate
    from pyarrow import csv as pacsv

    from personalize_reconcile.local.csvimport import read_import
    from personalize_reconcile.local.datastore import DatasetStore
    from personalize_reconcile.local.objectstore import LocalObjectStore

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "interactions.csv"
        generate(path, 1_000_000, 0)
        objects = LocalObjectStore(Path(tmp) / "state")
        objects.put(URI, path)
        datasets = DatasetStore(Path(tmp) / "state")
        schema = json.dumps(SCHEMA)

        def parse() -> object:
            return read_import(objects, URI, schema)

        def anchor() -> object:
            return pacsv.read_csv(path)

        project, anchor_s = interleaved(
            _timed(lambda: datasets.store_import(ARN, parse(), "FULL")), _timed(anchor), rounds
        )
        report("import parse+validate+store, 1M", project, anchor_s, "3")
        project, anchor_s = interleaved(_timed(parse), _timed(anchor), rounds)
        report("import parse+validate, 1M", project, anchor_s, "-")


MEASURES = ("help", "plan", "import", "serving", "popularity", "sims", "user-personalization")


def main() -> None:
    """Parse arguments and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default=",".join(MEASURES))
    args = parser.parse_args()
    names = set(args.only.split(","))
    unknown = names - set(MEASURES)
    if unknown:
        parser.error(f"unknown measure(s) {sorted(unknown)}; choose from {MEASURES}")
    print(f"{'measure':34s} | {'project':>12s} | {'anchor':>12s} | ratio")
    if names & {"help", "plan"}:
        compile_package()
    if "help" in names:
        bench_help(max(args.rounds, 7))
    if "plan" in names:
        bench_plan(max(args.rounds, 5))
    if "import" in names:
        bench_import(args.rounds)
    if "serving" in names:
        bench_serving(args.rounds)
    bench_training(names, args.rounds)


if __name__ == "__main__":
    main()
