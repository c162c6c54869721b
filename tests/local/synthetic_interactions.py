"""Deterministic synthetic interactions for training, metrics and runtime tests.

Users belong to one of a few taste groups; each group prefers a slice of the catalogue, and
item popularity follows a power law inside it, so ALS and co-occurrence have structure to
find and the holdout metrics are clearly above zero. Same arguments, same rows.
"""

from __future__ import annotations

import numpy as np

START = 1_700_000_000
"""Epoch seconds of the first event."""


def generate(
    n_users: int = 600, n_items: int = 80, events_per_user: int = 12, groups: int = 4, seed: int = 7
) -> dict[str, np.ndarray]:
    """Return Interactions columns (USER_ID, ITEM_ID, EVENT_TYPE, EVENT_VALUE, TIMESTAMP)
    like the dataset store loads them: object arrays of str, float64 and int64."""
    rng = np.random.default_rng(seed)
    group_of = rng.integers(0, groups, n_users)
    per_group = n_items // groups
    weights = 1.0 / np.arange(1, per_group + 1) ** 1.1
    weights /= weights.sum()
    users, items, stamps = [], [], []
    for u in range(n_users):
        n = int(rng.integers(events_per_user // 2, events_per_user * 3 // 2 + 1))
        own = rng.random(n) < 0.85
        local = rng.choice(per_group, size=n, p=weights)
        other = rng.integers(0, n_items, n)
        chosen = np.where(own, group_of[u] * per_group + local, other)
        t0 = START + int(rng.integers(0, 30 * 86400))
        times = t0 + np.cumsum(rng.integers(60, 86400, n))
        users += [f"u{u:05d}"] * n
        items += [f"i{i:04d}" for i in chosen]
        stamps += times.tolist()
    m = len(users)
    kinds = np.array(["click", "purchase"], dtype=object)[(rng.random(m) < 0.2).astype(int)]
    return {
        "USER_ID": np.array(users, dtype=object),
        "ITEM_ID": np.array(items, dtype=object),
        "EVENT_TYPE": kinds,
        "EVENT_VALUE": np.round(rng.random(m) * 5, 2),
        "TIMESTAMP": np.array(stamps, dtype=np.int64),
    }
