"""The delete sequence the contract tests check for every resource kind: refused while in
use, accepted, gone after the asynchronous delete, then "does not exist" (reference §3).

The operation names come from the ARN's resource type (``dataset-group`` ->
``delete_dataset_group(datasetGroupArn=...)``).
"""

from __future__ import annotations

from typing import Any

from calls import expect_error, wait_gone


def _names(arn: str) -> tuple[str, str]:
    kind = arn.split(":", 5)[5].split("/", 1)[0]  # dataset-group, event-tracker, ...
    words = kind.split("-")
    return "_".join(words), words[0] + "".join(w.title() for w in words[1:]) + "Arn"


def delete(client: Any, arn: str) -> Any:
    """Call ``Delete<Kind>`` for ``arn``."""
    op, param = _names(arn)
    return getattr(client, f"delete_{op}")(**{param: arn})


def describe(client: Any, arn: str) -> Any:
    """Call ``Describe<Kind>`` for ``arn``."""
    op, param = _names(arn)
    return getattr(client, f"describe_{op}")(**{param: arn})


def expect_in_use(client: Any, arn: str, user: str) -> None:
    """Deleting ``arn`` is refused: ``user`` (an ARN) still uses it."""
    expect_error(
        lambda: delete(client, arn),
        "ResourceInUseException",
        f"Resource Arn {arn} is in use by {user}.",
    )


def delete_until_gone(client: Any, arn: str) -> None:
    """Delete ``arn``, wait until Describe says it is not found, and check that deleting it
    again is ResourceNotFoundException."""
    delete(client, arn)
    wait_gone(lambda: describe(client, arn))
    expect_error(
        lambda: delete(client, arn),
        "ResourceNotFoundException",
        f"Resource Arn {arn} does not exist.",
    )
