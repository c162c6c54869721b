"""The golden holdout metrics of every recipe on the fixed synthetic dataset.

``test_metrics.py`` compares a fresh training run with ``golden/metrics_synthetic.json``.
After a deliberate change to an algorithm or to the metrics, regenerate that file with a
separate command, then review the diff and commit it:

    python tests/local/golden_metrics.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from synthetic_interactions import generate

from personalize_reconcile.local.training import train_version

GOLDEN = Path(__file__).parent / "golden" / "metrics_synthetic.json"
RECIPES = (
    "aws-user-personalization-v2",
    "aws-personalized-ranking",
    "aws-sims",
    "aws-popularity-count",
    "aws-trending-now",
)


def compute(state_dir: Path) -> dict[str, dict[str, float]]:
    """recipe -> metric name -> value, training each recipe once in ``state_dir``."""
    return {
        recipe: train_version(
            state_dir=state_dir,
            solution_version_arn="arn:aws:personalize:us-east-1:000000000000:solution/g/v1",
            recipe_arn=recipe,
            interactions=generate(),
        ).metrics
        for recipe in RECIPES
    }


def main() -> int:
    """Write :data:`GOLDEN` afresh; print where."""
    with tempfile.TemporaryDirectory() as tmp:
        got = compute(Path(tmp))
    GOLDEN.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
