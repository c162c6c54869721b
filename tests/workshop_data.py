"""Where the suite finds the Segment workshop data: ``tests/data/segment-workshop/``.

The public workshop's interactions CSV and Avro schema (MIT-0, LICENSE beside them) are
kept inside the project, so a fresh clone tests with nothing beside it. Every test and
benchmark reads them through these constants.
"""

from __future__ import annotations

from pathlib import Path

WORKSHOP = Path(__file__).resolve().parent / "data" / "segment-workshop"
WORKSHOP_CSV = WORKSHOP / "interactions.csv"
WORKSHOP_AVSC = WORKSHOP / "interactions.avsc"
