"""The trained-model interface shared by every local algorithm, and its on-disk form.

One job: define what a model answers (recommendations for a user, for an item, for a
history; a ranking of a list) and how it is stored: ``model.npz`` (numpy arrays only,
loaded with ``allow_pickle=False``) plus ``model.json`` (kind, recipe, settings), written
atomically into the version's directory (:func:`model_dir`) so a restart finds either the
whole model or none. Callers: the algorithm modules (subclasses), ``trainer`` (saves),
``serving`` (loads).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

FORMAT_VERSION = 1

_VERSION_ARN = re.compile(
    r"^arn:[a-z\d-]+:personalize:[^:]*:[^:]*:solution/([A-Za-z0-9][A-Za-z0-9_-]{0,62})/"
    r"([A-Za-z0-9]{1,64})$"
)


def model_dir(state_dir: Path, solution_version_arn: str) -> Path:
    """Directory of a version's artefacts: ``<state_dir>/models/<solution>/<version id>``.

    Raises:
        ValueError: the ARN is not a solution-version ARN (so no path can escape the
            state directory).
    """
    match = _VERSION_ARN.match(solution_version_arn)
    if not match:
        raise ValueError(f"{solution_version_arn!r} is not a solution version ARN")
    return Path(state_dir) / "models" / match.group(1) / match.group(2)


_RECOMMENDER_ARN = re.compile(
    r"^arn:[a-z\d-]+:personalize:[^:]*:[^:]*:recommender/([A-Za-z0-9][A-Za-z0-9_-]{0,62})$"
)
_MODEL_ID = re.compile(r"^[0-9a-f]{1,32}$")


def recommender_model_dir(state_dir: Path, recommender_arn: str, model_id: str) -> Path:
    """Directory of a recommender's model: ``<state_dir>/recommenders/<name>/<model id>``
    (``model_id`` tells apart the incarnations of a name, which share the ARN).

    Raises:
        ValueError: not a recommender ARN, or a model id that is not hex (so no path can
            escape the state directory).
    """
    match = _RECOMMENDER_ARN.match(recommender_arn)
    if not match or not _MODEL_ID.match(model_id):
        raise ValueError(f"{recommender_arn!r} / {model_id!r} is not a recommender model")
    return Path(state_dir) / "recommenders" / match.group(1) / model_id


_SORT_WHOLE = 2048
"""Up to this many scores one sort costs less than a partition and the calls around it."""


def top_indices(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` largest entries of a 1-D ``scores``, best first.

    Ties are broken by the lower index, so the order is deterministic.
    """
    n = min(n, scores.shape[0])
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if scores.shape[0] <= _SORT_WHOLE:
        # one stable sort: equal scores keep index order, as below
        return np.argsort(-scores, kind="stable")[:n].astype(np.int64, copy=False)
    if n < scores.shape[0]:
        cut = scores[np.argpartition(-scores, n - 1)[n - 1]]  # the n-th largest value
        above = np.flatnonzero(scores > cut)
        tied = np.flatnonzero(scores == cut)[: n - above.shape[0]]
        part = np.concatenate([above, tied])
    else:
        part = np.arange(scores.shape[0])
    order = np.lexsort((part, -scores[part]))
    return part[order].astype(np.int64)


def top_indices_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """:func:`top_indices` of every row of a 2-D ``scores``, as an ``(m, min(n, columns))``
    ``int64`` array: one partition and one sort for the whole block; rows where values tied
    at the cut leave the choice open go through :func:`top_indices`."""
    m, width = scores.shape
    n = min(n, width)
    if n <= 0 or m == 0:
        return np.zeros((m, max(n, 0)), dtype=np.int64)
    if n < width:
        # the n largest at the end: no negated copy of the block
        part = np.argpartition(scores, width - n, axis=1)[:, width - n :]
    else:
        part = np.broadcast_to(np.arange(width), (m, width))
    values = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -values), axis=1)
    out = np.take_along_axis(part, order, axis=1).astype(np.int64)
    if n < width:
        cut = values.min(axis=1)
        ambiguous = np.count_nonzero(scores == cut[:, None], axis=1) != np.count_nonzero(
            values == cut[:, None], axis=1
        )
        ambiguous |= np.isnan(values).any(axis=1)  # NaN partitions last, top_indices drops it
        for row in np.flatnonzero(ambiguous).tolist():
            out[row] = top_indices(scores[row], n)
    return out


def softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax of a 1-D float array (sums to 1), computed stably in float64."""
    z = scores.astype(np.float64)  # a copy: the steps below work in place
    z -= z.max()
    np.exp(z, out=z)
    z /= z.sum()
    return z


class Model:
    """A trained model over a fixed item catalogue.

    Subclasses set ``kind`` and ``scored`` and implement :meth:`item_scores_for_user`,
    :meth:`top_for_histories` (and :meth:`related` where it has a meaning).

    Attributes:
        item_ids: the catalogue, sorted ``str`` array of length ``n_items``.
        user_ids: users seen in training, sorted ``str`` array.
        popularity: ``int64`` distinct users per item (length ``n_items``): the cold-start
            fallback of every recipe (reference §8 "Cold start").
        meta: JSON-able facts about the run (recipe, settings, counts).
    """

    kind: ClassVar[str] = ""
    scored: ClassVar[bool] = False
    _registry: ClassVar[dict[str, type[Model]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Model._registry[cls.kind] = cls

    def __init__(
        self,
        item_ids: np.ndarray,
        user_ids: np.ndarray,
        popularity: np.ndarray,
        meta: dict[str, Any],
    ) -> None:
        self.item_ids = item_ids
        self.user_ids = user_ids
        self.popularity = popularity
        self.meta = meta
        self._item_index: dict[str, int] | None = None
        self._user_index: dict[str, int] | None = None
        self._popular: np.ndarray | None = None

    # ------------------------------------------------------------------ lookups
    @property
    def n_items(self) -> int:
        """Size of the catalogue."""
        return int(self.item_ids.shape[0])

    def item_index(self, item_id: str) -> int | None:
        """Index of ``item_id`` in the catalogue, or ``None`` if the model never saw it."""
        if self._item_index is None:
            self._item_index = {s: i for i, s in enumerate(self.item_ids.tolist())}
        return self._item_index.get(item_id)

    def user_index(self, user_id: str) -> int | None:
        """Index of ``user_id`` among trained users, or ``None`` if unknown."""
        if self._user_index is None:
            self._user_index = {s: i for i, s in enumerate(self.user_ids.tolist())}
        return self._user_index.get(user_id)

    def popular(self) -> np.ndarray:
        """Every item index, most distinct users first (ties: lower index first)."""
        if self._popular is None:
            self._popular = np.lexsort((np.arange(self.n_items), -self.popularity))
        return self._popular

    def popular_scores(self) -> np.ndarray:
        """Popularity as a distribution over the catalogue (float64, sums to 1)."""
        total = float(self.popularity.sum())
        if total <= 0:
            return np.full(self.n_items, 1.0 / max(self.n_items, 1))
        return self.popularity / total

    # ------------------------------------------------------------------ serving
    def recommend_user(self, user_id: str | None, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Top ``n`` item indices for a user, best first, and their scores.

        Scores (length ``n``) are this item's share of a softmax over the whole catalogue
        when the recipe gives scores (reference §8), else ``None``. An unknown or missing
        user gets popular items.
        """
        scores = self.item_scores_for_user(user_id)
        if scores is None:
            return self.popular()[:n].copy(), None
        top = top_indices(scores, n)
        return top, scores[top]

    def item_scores_for_user(self, user_id: str | None) -> np.ndarray | None:
        """A distribution over the catalogue for this user (float64, sums to 1), or
        ``None`` when the recipe gives no scores."""
        return None

    def recommend_with_events(
        self, user_id: str | None, recent_items: list[str], n: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """As :meth:`recommend_user`, for a user who has recorded ``recent_items``
        (PutEvents, oldest first) since the model was trained. Models that cannot use
        recent events (every one but ALS) ignore them."""
        return self.recommend_user(user_id, n)

    def related(self, item_id: str, n: int) -> np.ndarray:
        """Top ``n`` item indices related to ``item_id`` (never the item itself), filled up
        with popular items; an unknown item gets popular items (reference §8)."""
        own = self.item_index(item_id)
        pop = self.popular()
        if own is not None:
            pop = pop[pop != own]
        return pop[:n].copy()

    def rank(self, user_id: str, item_ids: list[str]) -> list[tuple[str, float | None]]:
        """Order ``item_ids`` for a user (GetPersonalizedRanking, reference §8).

        Known items come first, by score, with scores that sum to 1 over them; items the
        model never saw follow in their input order, without a score. Duplicates keep
        their first position only.
        """
        seen: dict[str, None] = dict.fromkeys(item_ids)
        known = [(s, self.item_index(s)) for s in seen]
        unknown = [s for s, idx in known if idx is None]
        pairs = [(s, idx) for s, idx in known if idx is not None]
        out: list[tuple[str, float | None]] = []
        if pairs:
            idx = np.array([i for _, i in pairs], dtype=np.int64)
            full = self.item_scores_for_user(user_id)
            base = self.popular_scores() if full is None else full
            raw = base[idx]
            probs = raw / raw.sum() if raw.sum() > 0 else np.full(len(idx), 1 / len(idx))
            order = np.lexsort((np.arange(len(idx)), -probs))
            out = [(pairs[k][0], float(probs[k])) for k in order]
        return out + [(s, None) for s in unknown]

    def top_for_histories(
        self, histories: sparse.csr_matrix, last_items: np.ndarray, n: int
    ) -> np.ndarray:
        """Recommendations for users the model did not train on, from their histories.

        Args:
            histories: ``(m, n_items)`` CSR of event weights per (user, item).
            last_items: ``(m,)`` index of each user's most recent item, ``-1`` if none.
            n: how many per user.

        Returns:
            ``(m, n)`` int64 item indices, best first, padded with ``-1``.
        """
        row = self.popular()[:n]
        out = np.full((histories.shape[0], n), -1, dtype=np.int64)
        out[:, : row.shape[0]] = row
        return out

    # ------------------------------------------------------------------ storage
    def arrays(self) -> dict[str, np.ndarray]:
        """Arrays that, with ``meta``, rebuild this model (no object arrays)."""
        return {"item_ids": self.item_ids, "user_ids": self.user_ids, "popularity": self.popularity}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Model:
        """Rebuild a model saved by :meth:`arrays`."""
        return cls(arrays["item_ids"], arrays["user_ids"], arrays["popularity"], meta)

    def save(self, directory: Path, extra_files: dict[str, Any] | None = None) -> None:
        """Write the model (and ``extra_files``: name -> JSON-able) into ``directory``.

        The directory is built beside its final place and renamed into it, replacing any
        earlier (partial) copy, so readers never see half a model.

        Raises:
            OSError: the state directory cannot be written.
        """
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory.parent))
        try:
            np.savez(tmp / "model.npz", **self.arrays())
            doc = {"format": FORMAT_VERSION, "kind": self.kind, "meta": self.meta}
            (tmp / "model.json").write_text(json.dumps(doc, indent=1, sort_keys=True))
            for name, value in (extra_files or {}).items():
                (tmp / name).write_text(json.dumps(value, indent=1, sort_keys=True))
            if directory.exists():
                shutil.rmtree(directory)
            os.replace(tmp, directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def load(directory: Path) -> Model:
    """Load a model saved with :meth:`Model.save`.

    Raises:
        FileNotFoundError: no model in ``directory``.
        ValueError: the files are not a model this version understands, or are damaged
            (truncated, not JSON, not an npz archive); the message names the folder.
    """
    directory = Path(directory)
    try:
        doc = json.loads((directory / "model.json").read_text())
        if (
            not isinstance(doc, dict)
            or doc.get("format") != FORMAT_VERSION
            or doc.get("kind") not in Model._registry
        ):
            raise ValueError(f"{directory} does not hold a model this version can read")
        with np.load(directory / "model.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        return Model._registry[doc["kind"]].from_arrays(arrays, doc["meta"])
    except FileNotFoundError:
        raise
    except ValueError as e:
        if str(e).startswith(str(directory)):
            raise
        raise ValueError(f"the model files in {directory} are damaged ({e})") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, RecursionError) as e:
        raise ValueError(f"the model files in {directory} are damaged ({e})") from None
