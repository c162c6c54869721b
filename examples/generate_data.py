"""Regenerate examples/data/interactions.csv (deterministic: same output every run).

python examples/generate_data.py
"""

from pathlib import Path

from personalize_reconcile.sampledata import interactions, write_csv

if __name__ == "__main__":
    target = Path(__file__).parent / "data" / "interactions.csv"
    count = write_csv(target, interactions())
    print(f"wrote {count} interactions to {target}")
