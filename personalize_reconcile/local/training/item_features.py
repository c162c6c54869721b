"""Items (or Users) metadata as vectors: one-hot categorical values per record, for the
recipes that use metadata (aws-similar-items, aws-user-personalization-v2,
aws-personalized-ranking-v2).

One job: turn a dataset's categorical columns (the schema's categorical fields, less what
``solutionConfig.trainingDataConfig`` leaves out: ``attributes.column_filter``) into a
sparse ``(records, values)`` matrix whose rows are L2-normalised, so that the dot product
of two rows is the cosine similarity of their metadata. Multi-value cells count each
value (``|``-separated, reference §5). Callers: ``similar_items``, ``cold_factors`` and
``trainer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from personalize_reconcile.local.training.attributes import (
    categorical_fields,
    column_filter,
    split_cells,
)


@dataclass(frozen=True)
class ItemFeatures:
    """Metadata vectors of the records of an Items (or Users) dataset.

    Attributes:
        ids: the records' ids, sorted (``str`` array, length ``n``).
        matrix: ``(n, values)`` float32 CSR, rows L2-normalised (all-zero for a record
            without any value).
        columns: the columns used, as the schema spells them.
    """

    ids: np.ndarray
    matrix: sparse.csr_matrix
    columns: tuple[str, ...]

    def rows_for(self, ids: np.ndarray) -> sparse.csr_matrix:
        """The vectors of ``ids`` (``str`` array) in that order; zero rows for ids the
        dataset does not have."""
        if self.ids.shape[0] == 0:
            return sparse.csr_matrix((ids.shape[0], self.matrix.shape[1]), dtype=np.float32)
        pos = np.minimum(np.searchsorted(self.ids, ids), self.ids.shape[0] - 1)
        found = self.ids[pos] == ids
        pick = sparse.csr_matrix(
            (np.ones(int(found.sum()), dtype=np.float32), (np.flatnonzero(found), pos[found])),
            shape=(ids.shape[0], self.ids.shape[0]),
        )
        return (pick @ self.matrix).tocsr()


def item_features(
    items: Mapping[str, np.ndarray] | None,
    *,
    schema: str | None = None,
    solution_config: Mapping[str, Any] | None = None,
    dataset: str = "ITEMS",
) -> ItemFeatures | None:
    """The metadata vectors of the Items rows (``dataset="USERS"``: of the Users rows),
    or ``None`` when there is no such dataset or no categorical column to use (the
    recipes then train on interactions alone)."""
    if not items:
        return None
    key = "USER_ID" if dataset == "USERS" else "ITEM_ID"
    id_col = next((k for k in items if k.upper() == key), None)
    if id_col is None:
        return None
    categorical = categorical_fields(schema)
    excluded, included = column_filter(solution_config, dataset)
    raw_ids = np.asarray(items[id_col]).astype(str)
    ids, first = np.unique(raw_ids[::-1], return_index=True)  # a later record wins
    rows = raw_ids.shape[0] - 1 - first
    vocab: dict[tuple[str, str], int] = {}
    r_idx: list[int] = []
    c_idx: list[int] = []
    used = []
    for name in sorted(items, key=str.upper):
        upper = name.upper()
        column = np.asarray(items[name])
        if upper in (key, "CREATION_TIMESTAMP") or upper in excluded:
            continue
        if included is not None and upper not in included:
            continue
        if categorical is not None and upper not in categorical:
            continue
        if categorical is None and column.dtype.kind not in "OUS":
            continue
        used.append(name)
        for r, values in enumerate(split_cells(column[rows])):
            for v in values:
                r_idx.append(r)
                c_idx.append(vocab.setdefault((upper, v), len(vocab)))
    if not vocab:
        return None
    matrix = sparse.csr_matrix(
        (np.ones(len(r_idx), dtype=np.float32), (r_idx, c_idx)), shape=(ids.shape[0], len(vocab))
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    inv = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
    return ItemFeatures(ids=ids, matrix=(sparse.diags(inv) @ matrix).tocsr(), columns=tuple(used))
