"""Checks of the manifest's ``batchInferenceJobs:`` and ``batchSegmentJobs:`` sections.

One job: what the service would refuse about a batch job, found before any API call
(reference §2, §6): the base name (at most 54 characters: a 9-character fingerprint is
appended), the solution declared (with a "did you mean"), its recipe one that gives batch
recommendations (not Trending-Now or Next-Best-Action, not a USER_SEGMENTATION recipe) for
an inference job and a USER_SEGMENTATION recipe for a segment job, ``s3://`` input and
output locations, ``uploadFrom`` a readable file and ``roleArn`` an IAM role ARN.

Called by :meth:`personalize_reconcile.manifest.checks.Checker.run`.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from personalize_reconcile.manifest.source import file_problem
from personalize_reconcile.rules import recipes
from personalize_reconcile.rules.names import NAME_MAX
from personalize_reconcile.rules.problems import listed, shown

JOB_NAME_MAX = NAME_MAX - 9
"""Batch job names leave room for ``-`` and an 8-character fingerprint."""

NO_BATCH_RECIPES = ("aws-trending-now", "aws-next-best-action")
"""Recipes without batch recommendations (reference §6)."""

SECTIONS = {
    "batchInferenceJobs": ("CreateBatchInferenceJob", False),
    "batchSegmentJobs": ("CreateBatchSegmentJob", True),
}
"""Manifest section -> (its Create operation, whether it needs a USER_SEGMENTATION
recipe)."""


def check_batch_jobs(checker: Any) -> None:
    """Add a diagnostic to ``checker`` for every problem of the two batch job sections.

    Messages (each at the value's ``file:line``): ``solution 'x' is not declared under
    `solutions```; ``solution 's' uses aws-item-affinity, a USER_SEGMENTATION recipe: its
    batch jobs are batch segment jobs``; ``solution 's' uses aws-trending-now, which gives
    no batch recommendations``; ``solution 's' uses aws-sims; a batch segment job needs a
    USER_SEGMENTATION recipe``; ``jobInput 'x' is not an s3:// location``; ``uploadFrom
    file 'x' does not exist (looked for <path>)``.
    """
    solutions = checker.section("solutions")
    for section, (operation, segments) in SECTIONS.items():
        for name, job in checker.section(section).items():
            path = (section, name)
            checker.name(path, name, key=True, limit=JOB_NAME_MAX, what="batch job name")
            if not isinstance(job, dict):
                continue
            _check_solution(checker, path, job.get("solution"), solutions, segments)
            for key in ("jobInput", "jobOutput"):
                value = job.get(key)
                if isinstance(value, str) and not checker.literal_reference(path + (key,), value):
                    if not value.startswith("s3://") or "/" not in value[5:].strip("/"):
                        checker.add(
                            path + (key,),
                            f"{key} {shown(value)} is not an s3:// location with a key",
                            "write s3://bucket/batch/input.jsonl"
                            if key == "jobInput"
                            else "write s3://bucket/batch/output/",
                        )
            upload = job.get("uploadFrom")
            if isinstance(upload, str):
                target = checker.base_dir / upload
                problem = file_problem(target)
                if problem:
                    what = {
                        "file not found": "does not exist",
                        "is a directory, not a file": "is a folder",
                    }
                    checker.add(
                        path + ("uploadFrom",),
                        f"uploadFrom file {shown(upload)} {what.get(problem, problem)} "
                        f"(looked for {_shown(target)})",
                        "give the path of a JSON Lines file, relative to the manifest's folder",
                    )
            role = job.get("roleArn")
            if isinstance(role, str) and not checker.literal_reference(path + ("roleArn",), role):
                checker.api_value(
                    path + ("roleArn",),
                    operation,
                    "roleArn",
                    role,
                    "use arn:aws:iam::<12-digit account>:role/<name>",
                )
            checker.tags(path + ("tags",), job.get("tags"))


def _shown(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def _check_solution(
    checker: Any, path: tuple, sol_name: Any, solutions: dict, segments: bool
) -> None:
    if not isinstance(sol_name, str):
        return
    if sol_name not in solutions:
        close = difflib.get_close_matches(sol_name, list(solutions), n=1, cutoff=0.6)
        checker.add(
            path + ("solution",),
            f"solution {shown(sol_name)} is not declared under `solutions`",
            f"did you mean {shown(close[0])}?"
            if close
            else (
                "declared solutions: " + listed(list(solutions))
                if solutions
                else "declare it under `solutions:`"
            ),
        )
        return
    sol = solutions[sol_name]
    entry = recipes.lookup(sol["recipe"]) if isinstance(sol, dict) and sol.get("recipe") else None
    if entry is None:
        return  # the solution's own check reports an unknown recipe
    is_segmentation = entry.recipe_type == recipes.USER_SEGMENTATION
    if segments and not is_segmentation:
        checker.add(
            path + ("solution",),
            f"solution {shown(sol_name)} uses {entry.name}; a batch segment job needs a "
            "USER_SEGMENTATION recipe",
            "use a solution with aws-item-affinity or aws-item-attribute-affinity, or move "
            "the job to batchInferenceJobs",
        )
    elif not segments and is_segmentation:
        checker.add(
            path + ("solution",),
            f"solution {shown(sol_name)} uses {entry.name}, a USER_SEGMENTATION recipe: its "
            "batch jobs are batch segment jobs",
            "move the job to batchSegmentJobs",
        )
    elif not segments and entry.name in NO_BATCH_RECIPES:
        checker.add(
            path + ("solution",),
            f"solution {shown(sol_name)} uses {entry.name}, which gives no batch recommendations",
            "use a solution with another recipe",
        )
