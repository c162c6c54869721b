"""Batch inference: JSON Lines in from ``s3://``, the service's output format out.

One job: run one batch inference job over a trained model: read every input object the
job's ``jobInput`` path names (one object, or every object under a folder path ending in
``/``), answer each line the way GetRecommendations (or GetPersonalizedRanking) would, and
write ``<output path>/<input file name>.out`` with one line per input line:
``{"input": {...}, "output": {"recommendedItems": [...], "scores": [...]}, "error": null}``
(``scores`` only where the recipe scores). A line that is not a JSON object, or lacks the
id the recipe needs, gets ``"output": null`` and an ``"error"`` naming the line and the
problem, and the job goes on. Callers: ``seams.run_batch``; ``batch_segments`` reads and
writes through :func:`read_inputs` and :func:`write_output`.

Input per recipe type (developer guide, "Preparing input data for batch
recommendations"): ``{"userId": "..."}`` for USER_PERSONALIZATION (and Popularity-Count);
``{"itemId": "..."}`` for RELATED_ITEMS; ``{"userId": "...", "itemList": [...]}`` for
PERSONALIZED_RANKING. Unknown users and items get popular items, as at run time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from personalize_reconcile.local import filtering
from personalize_reconcile.local.exceptions import ServiceError
from personalize_reconcile.local.objectstore import (
    ObjectInfo,
    ObjectStore,
    ObjectStoreError,
    parse_s3_uri,
)
from personalize_reconcile.local.training.serving import (
    ExploringModel,
    ServedModel,
    request_seed,
)
from personalize_reconcile.rules import recipes

MAX_INPUT_BYTES = 1024 * 1024 * 1024
"""The largest input object read, in bytes (the service documents 1 GB per input file)."""


class BatchFailed(Exception):
    """The job cannot run at all (no input, unreadable input, output not writable);
    ``str()`` is its failureReason."""


@dataclass
class LineFilter:
    """A batch job's filter: the state dir (dataset records), the filter's ARN, its
    dataset group and its expression."""

    state_dir: Path
    filter_arn: str
    group_arn: str
    expression: str

    def keep(self, line: dict, ids: list[str]) -> np.ndarray:
        """Which of ``ids`` the filter keeps for this line.

        Raises:
            ValueError: bad or missing ``filterValues``; the message says which.
        """
        try:
            tree = filtering.parsed(self.filter_arn, self.expression)
            values = filtering.filter_values(line.get("filterValues"))
            return filtering.keep(
                Path(self.state_dir),
                self.group_arn,
                self.filter_arn,
                tree,
                values,
                ids,
                line.get("userId"),
                line.get("itemId"),
            )
        except ServiceError as e:
            raise ValueError(e.message) from None


def _answer(
    model: ServedModel,
    recipe: recipes.Recipe,
    line: dict,
    n: int,
    exploration: dict[str, str] | None = None,
    job_name: str = "",
    keep: LineFilter | None = None,
) -> dict:
    """The ``output`` object for one input line (with ``keep``, the job's filter: the
    whole catalogue is ranked, filtered, then cut to ``n``; exploration is not mixed in
    then).

    Raises:
        ValueError: the line lacks what the recipe needs; the message says what.
    """
    kind = recipe.recipe_type
    if kind == recipes.PERSONALIZED_RANKING:
        user, items = line.get("userId"), line.get("itemList")
        if not isinstance(user, str) or not isinstance(items, list):
            raise ValueError('a PERSONALIZED_RANKING line needs "userId" and "itemList"')
        if not all(isinstance(i, str) for i in items):
            raise ValueError('"itemList" must be a list of item ids (strings)')
        ranked = model.rank(user, items)
        if keep is not None:
            mask = keep.keep(line, [i for i, _ in ranked]).tolist()
            ranked = [r for r, k in zip(ranked, mask, strict=True) if k]
        out: dict[str, Any] = {"recommendedItems": [i for i, _ in ranked]}
        if any(s is not None for _, s in ranked):
            out["scores"] = [s for _, s in ranked]
        return out
    if kind == recipes.RELATED_ITEMS:
        item = line.get("itemId")
        if not isinstance(item, str):
            raise ValueError(f'a line for {recipe.name} needs "itemId" (a string)')
        if keep is None:
            return {"recommendedItems": model.item_ids[model.related(item, n)].tolist()}
        ids = model.item_ids[model.related(item, len(model.item_ids))].tolist()
        mask = keep.keep(line, ids).tolist()
        return {"recommendedItems": [i for i, k in zip(ids, mask, strict=True) if k][:n]}
    user = line.get("userId")
    if not isinstance(user, str):
        raise ValueError(f'a line for {recipe.name} needs "userId" (a string)')
    if exploration and recipe.name == "aws-user-personalization" and keep is None:
        exploring: ExploringModel = model  # type: ignore[assignment]
        seed = request_seed(job_name, user, n)
        ids, mixed = exploring.recommend_explored(user, n, exploration, seed)
        explored: dict[str, Any] = {"recommendedItems": ids}
        if mixed is not None:
            explored["scores"] = [round(float(s), 7) for s in mixed]
        return explored
    ranked_idx, scores = model.recommend_user(user, n if keep is None else len(model.item_ids))
    ids = model.item_ids[ranked_idx].tolist()
    values = None if scores is None else scores.tolist()
    if keep is not None:
        mask = keep.keep(line, ids).tolist()
        ids = [i for i, k in zip(ids, mask, strict=True) if k][:n]
        if values is not None:
            values = [v for v, k in zip(values, mask, strict=True) if k][:n]
    out = {"recommendedItems": ids}
    if values is not None:
        out["scores"] = [round(float(s), 7) for s in values]
    return out


def _lines(
    raw: bytes,
    model: ServedModel,
    recipe: recipes.Recipe,
    n: int,
    exploration: dict[str, str] | None = None,
    job_name: str = "",
    keep: LineFilter | None = None,
) -> list[str]:
    return answer_lines(
        raw, lambda line: _answer(model, recipe, line, n, exploration, job_name, keep)
    )


def answer_lines(
    raw: bytes, answer: Callable[[dict], dict], errors: tuple[type[Exception], ...] = ()
) -> list[str]:
    """The output lines of one input object: for each JSON Lines input line,
    ``{"input": line, "output": answer(line), "error": null}``, or ``"output": null`` and
    an ``"error"`` naming the line when it is not a JSON object or ``answer`` raises
    ValueError (or one of ``errors``). Blank lines are skipped. Callers: this module and
    ``batch_segments``."""
    out = []
    for number, text in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except ValueError:
            out.append(_error_line(text, f"line {number}: not valid JSON"))
            continue
        if not isinstance(line, dict):
            out.append(_error_line(line, f"line {number}: not a JSON object"))
            continue
        try:
            output = answer(line)
        except (ValueError, *errors) as e:
            out.append(_error_line(line, f"line {number}: {e}"))
            continue
        out.append(json.dumps({"input": line, "output": output, "error": None}))
    return out


def _error_line(given: Any, message: str) -> str:
    return json.dumps({"input": given, "output": None, "error": message})


def read_inputs(store: ObjectStore, input_path: str) -> Iterator[tuple[ObjectInfo, bytes]]:
    """Each input object under ``input_path`` (one object, or a folder ending in ``/``)
    with its bytes, in key order. Callers: this module and ``batch_segments``.

    Raises:
        BatchFailed: no input object, an object over :data:`MAX_INPUT_BYTES`, or a read
            the object store refuses; the message names the location.
    """
    try:
        found = store.locate(input_path)
    except ObjectStoreError as e:
        raise BatchFailed(f"Input data at {input_path} cannot be read: {e}") from None
    for obj in found:
        if obj.size > MAX_INPUT_BYTES:
            raise BatchFailed(
                f"Input file {obj.uri} is {obj.size:,} bytes, over the 1 GB limit of a batch "
                "input file; split it into several files under one folder."
            )
        try:
            raw = store.get(obj.uri)
        except ObjectStoreError as e:
            raise BatchFailed(f"Input file {obj.uri} cannot be read: {e}") from None
        yield obj, raw


def write_output(store: ObjectStore, output_path: str, obj: ObjectInfo, lines: list[str]) -> None:
    """Write ``lines`` to ``<output_path>/<input file name>.out`` (a missing trailing ``/``
    of ``output_path`` is added). Callers: this module and ``batch_segments``.

    Raises:
        BatchFailed: the object store refuses the write.
    """
    folder = output_path if output_path.endswith("/") else output_path + "/"
    parse_s3_uri(folder)
    name = obj.key.rsplit("/", 1)[-1]
    try:
        store.put(folder + name + ".out", ("\n".join(lines) + "\n").encode())
    except ObjectStoreError as e:
        raise BatchFailed(f"Output to {folder}{name}.out cannot be written: {e}") from None


def run_batch_inference(
    store: ObjectStore,
    model: ServedModel,
    recipe: recipes.Recipe,
    input_path: str,
    output_path: str,
    num_results: int,
    exploration: dict[str, str] | None = None,
    job_name: str = "",
    line_filter: LineFilter | None = None,
) -> int:
    """Run one batch inference job (see the module docstring).

    Args:
        store: the object store the job reads and writes.
        model: the solution version's served model.
        recipe: the version's recipe.
        input_path: ``s3://bucket/key.json`` or ``s3://bucket/folder/``.
        output_path: ``s3://bucket/folder/`` (a missing trailing ``/`` is added).
        num_results: recommendations per line (1-500).
        exploration: the job's ``batchInferenceJobConfig.itemExplorationConfig``; for
            aws-user-personalization cold items are mixed in as campaigns do
            (``training.exploration``), seeded by ``job_name``, the user and
            ``num_results``.
        job_name: the job's name (part of the exploration seed).
        line_filter: the job's filter, applied to each line with its own
            ``filterValues``, or None.

    Returns:
        The number of output lines written.

    Raises:
        BatchFailed: no input object, an input over :data:`MAX_INPUT_BYTES`, or a read or
            write the object store refuses; the message names the location.
    """
    written = 0
    for obj, raw in read_inputs(store, input_path):
        lines = _lines(raw, model, recipe, num_results, exploration, job_name, line_filter)
        write_output(store, output_path, obj, lines)
        written += len(lines)
    return written
