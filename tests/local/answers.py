"""The check every test client of the local target runs on every answer (botocore
``after-call`` event), and the failures of stand-in trainers it reports; see
``conftest.py``."""

from __future__ import annotations

import json
import re
from typing import Any

from personalize_reconcile.rules.shapes import validate

TRAINER_FAILURES: list[AssertionError] = []
"""Assertions that failed inside a stand-in trainer (on a worker thread, where they would
only turn the version CREATE FAILED); the next answer any test client gets raises them."""


def dropped_by_parser(raw: Any, parsed: Any, path: str = "") -> list[str]:
    """Paths of the members of the raw JSON answer ``raw`` that botocore's parse of it,
    ``parsed``, does not have (botocore drops members the output shape lacks)."""
    if isinstance(raw, dict) and isinstance(parsed, dict):
        out = []
        for key, value in raw.items():
            if key not in parsed:
                out.append(f"{path}.{key}" if path else key)
            else:
                out += dropped_by_parser(value, parsed[key], f"{path}.{key}" if path else key)
        return out
    if isinstance(raw, list) and isinstance(parsed, list):
        return [
            p
            for i, (r, q) in enumerate(zip(raw, parsed, strict=False))
            for p in dropped_by_parser(r, q, f"{path}[{i}]")
        ]
    return []


def check_answer(http_response: Any, parsed: dict, model: Any, **_: Any) -> None:
    """botocore ``after-call`` handler: the answer must fit the operation's model.

    Raises:
        AssertionError: the answer does not fit, or a stand-in trainer's assertion failed
            since the last answer (that assertion itself, with its own message).
    """
    if TRAINER_FAILURES:
        raise TRAINER_FAILURES.pop(0)
    status = getattr(http_response, "status_code", 200)
    if status >= 300:
        code = parsed.get("Error", {}).get("Code")
        modeled = {e.name for e in model.error_shapes}
        # Request validation (shape constraints) is answered the same way by every
        # operation, modeled or not, as AWS's front end does.
        generic = code == "InvalidInputException" and re.match(
            r"\d+ validation errors? detected: ", parsed["Error"].get("Message", "")
        )
        assert code in modeled or generic, (
            f"{model.name} answered {code}, not in its modeled errors "
            f"{sorted(modeled)}: {parsed.get('Error')}"
        )
        return
    if model.output_shape is None:
        return
    # botocore's parser keeps only what the model knows: a member it dropped is one the
    # answer should not have had (a misspelt or invented name), which a validator run on
    # the parsed answer alone would never see.
    raw = json.loads(http_response.content or b"{}")
    dropped = dropped_by_parser(raw, parsed)
    assert not dropped, f"{model.name} answered members its model does not have: {dropped}"
    body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    # Model quirk: some outputs type roleArn as Arn (personalize's pattern) although it
    # holds the IAM role the request carried; AWS returns it unchanged, and so do we.
    problems = [
        p
        for p in validate(model.output_shape, body)
        if not (
            p.path
            and p.path[-1] == "roleArn"
            and p.message.startswith("Member must satisfy regular expression")
        )
    ]
    assert not problems, f"{model.name} answer does not fit its output shape: {problems}"
