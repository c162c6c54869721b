"""Manifest loading figures (CPU time): linear in size; hostile input refused at once.

Prints:

1. ``load_manifest`` time for generated manifests of N imports, N solutions and N
   campaigns (N = 100 to 2500, up to the 1 MiB file limit): milliseconds per N and
   microseconds per KiB of YAML, which stay flat when the time is linear in the size;
2. the time to refuse a "billion laughs" manifest (9 levels of 9 aliases: about 4 * 10**8
   strings once expanded) and a chain of variables that each repeat the one before 10
   times (10 * 10**9 characters once expanded); both must be milliseconds.

Usage: ``python benchmarks/bench_manifest.py`` (about half a minute). The generated
manifest is the test suite's (``tests/manifest/shop_files.py``).
"""

from __future__ import annotations

import sys
import tempfile
import time
import timeit
from pathlib import Path

from personalize_reconcile.manifest import ManifestError, load_manifest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "manifest"))
from shop_files import write_large, write_shop  # noqa: E402


def best_of(runs: int, fn) -> float:
    """The least CPU time of ``runs`` calls of ``fn``, in seconds."""
    return min(timeit.repeat(fn, number=1, repeat=runs, timer=time.process_time))


def refused(path: Path) -> str:
    try:
        load_manifest(path)
    except ManifestError as e:
        return e.diagnostics[0].message
    raise AssertionError(f"{path} was accepted")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{'N':>6} {'KiB':>7} {'seconds':>8} {'ms per N':>9} {'us per KiB':>11}")
        for n in (100, 300, 1000, 2500):
            path = write_large(folder, n)
            kib = path.stat().st_size / 1024
            seconds = best_of(3, lambda p=path: load_manifest(p))
            print(
                f"{n:>6} {kib:>7.0f} {seconds:>8.3f} {seconds / n * 1000:>9.2f} "
                f"{seconds / kib * 1e6:>11.0f}"
            )

        levels = ["  a0: &a0 [" + ",".join(['"lol"'] * 9) + "]"]
        levels += [f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
        laughs = write_shop(
            folder, [("datasetGroup:\n", "laughs:\n" + "\n".join(levels) + "\ndatasetGroup:\n")]
        )
        seconds = best_of(3, lambda: refused(laughs))
        print(
            f"billion laughs ({laughs.stat().st_size} bytes): refused in {seconds * 1000:.1f} ms:"
            f" {refused(laughs)}"
        )

        chain = "".join(f"  v{i}: " + f"${{v{i - 1}}}" * 10 + "\n" for i in range(1, 10))
        chained = write_shop(
            folder, [("  bucket: my-bucket\n", "  bucket: my-bucket\n  v0: xxxxxxxxxx\n" + chain)]
        )
        seconds = best_of(3, lambda: refused(chained))
        print(f"chained variables: refused in {seconds * 1000:.1f} ms: {refused(chained)}")


if __name__ == "__main__":
    main()
