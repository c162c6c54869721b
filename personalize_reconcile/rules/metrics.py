"""The metrics GetSolutionMetrics reports for a solution version, by name.

One job: the service's metric names (reference §6, "GetSolutionMetrics"), so that a
manifest's rollout gates can be checked against them before any API call. Trending-Now
and segmentation recipes report further keys whose names are unconfirmed (reference §6
[?]); they are not listed. Callers: ``manifest/checks.py`` (rollout gates).
"""

from __future__ import annotations

SOLUTION_METRICS = (
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
)
"""Reference §6: the keys of GetSolutionMetrics' ``metrics``, each a number from 0 to 1."""
