"""Batch segment jobs: JSON Lines of items (or item attributes) in, users per line out.

One job: run one batch segment job over a USER_SEGMENTATION model: read every input
object the job's ``jobInput`` path names (one object, or every object under a folder path
ending in ``/``), answer each line with the users most likely to interact, and write
``<output path>/<input file name>.out`` with one line per input line:
``{"input": {"itemId": "..."}, "output": {"usersList": [...]}, "error": null}``. A line that
is not a JSON object, lacks what the recipe needs, names an item the version did not
train on or an attribute expression it cannot read gets ``"output": null`` and an
``"error"`` naming the line, and the job goes on (as batch inference does,
``local/batch.py``). Caller: ``seams.run_batch``.

Input per recipe (developer guide, "Preparing input data for batch recommendations"):
``{"itemId": "..."}`` for aws-item-affinity; ``{"itemAttributes": "ITEMS.GENRES =
\\"Comedy\\""}`` for aws-item-attribute-affinity (``training.attribute_expressions``).
"""

from __future__ import annotations

from personalize_reconcile.local.batch import answer_lines, read_inputs, write_output
from personalize_reconcile.local.objectstore import ObjectStore
from personalize_reconcile.local.training.serving import SEGMENT_ERRORS, SegmentServer

ITEM_AFFINITY = "aws-item-affinity"
ATTRIBUTE_AFFINITY = "aws-item-attribute-affinity"


def _answer(model: SegmentServer, recipe: str, line: dict, n: int) -> dict:
    """The ``output`` object for one input line.

    Raises:
        ValueError: the line cannot be answered; the message says why.
    """
    if recipe == ATTRIBUTE_AFFINITY:
        expression = line.get("itemAttributes")
        if not isinstance(expression, str):
            raise ValueError(f'a line for {recipe} needs "itemAttributes" (a string)')
        return {"usersList": model.users_for_attributes(expression, n)}
    item = line.get("itemId")
    if not isinstance(item, str):
        raise ValueError(f'a line for {recipe} needs "itemId" (a string)')
    return {"usersList": model.users_for_item(item, n)}


def _lines(raw: bytes, model: SegmentServer, recipe: str, n: int) -> list[str]:
    return answer_lines(raw, lambda line: _answer(model, recipe, line, n), SEGMENT_ERRORS)


def run_batch_segments(
    store: ObjectStore,
    model: SegmentServer,
    recipe: str,
    input_path: str,
    output_path: str,
    num_results: int,
) -> int:
    """Run one batch segment job (see the module docstring).

    Args:
        store: the object store the job reads and writes.
        model: the solution version's segmentation model.
        recipe: ``aws-item-affinity`` or ``aws-item-attribute-affinity``.
        input_path: ``s3://bucket/key.json`` or ``s3://bucket/folder/``.
        output_path: ``s3://bucket/folder/`` (a missing trailing ``/`` is added).
        num_results: users per line.

    Returns:
        The number of output lines written.

    Raises:
        BatchFailed: no input object, an input over 1 GB, or a read or write the object
            store refuses; the message names the location.
    """
    written = 0
    for obj, raw in read_inputs(store, input_path):
        lines = _lines(raw, model, recipe, num_results)
        write_output(store, output_path, obj, lines)
        written += len(lines)
    return written
