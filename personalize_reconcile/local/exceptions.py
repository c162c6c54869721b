"""The errors the local target answers with, as the service sends them.

One job: give every handler a typed exception that carries the service's error code (the
wire ``__type``), its message and its HTTP status, so the protocol layer
(``personalize_reconcile.local.responses``) can serialise it without knowing the rule that
raised it. Callers: ``control`` (control-plane rules), ``jobs``, ``responses``, and the
personalize-runtime handlers (``personalize_reconcile.local.runtime``).

Source: reference §0 and §3 and the botocore model's error shapes. The control plane
(JSON 1.1) answers every modeled error with HTTP 400, ResourceNotFoundException included;
personalize-runtime (rest-json) answers ResourceNotFoundException with 404.
"""

from __future__ import annotations

from collections.abc import Iterable

from personalize_reconcile.rules.problems import Problem


class ServiceError(Exception):
    """An error answer: ``code`` is the wire ``__type``, ``status`` the HTTP status.

    ``runtime_status`` is the status used when the same error comes from a rest-json
    service (personalize-runtime), where not-found is 404 (reference §0).
    """

    code = "InternalFailure"
    status = 500
    runtime_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InvalidInputException(ServiceError):
    """A length, pattern or enum violation, or a bad combination of parameters."""

    code = "InvalidInputException"
    status = 400
    runtime_status = 400


class ResourceNotFoundException(ServiceError):
    """The ARN, or a parent it refers to, does not exist."""

    code = "ResourceNotFoundException"
    status = 400
    runtime_status = 404


class ResourceAlreadyExistsException(ServiceError):
    """The name (account + region + type) is taken, or the group already has one."""

    code = "ResourceAlreadyExistsException"
    status = 400
    runtime_status = 400


class ResourceInUseException(ServiceError):
    """Dependents exist, or the resource is in the wrong state for the operation."""

    code = "ResourceInUseException"
    status = 400
    runtime_status = 409


class LimitExceededException(ServiceError):
    """A resource-count quota (reference §9) was reached."""

    code = "LimitExceededException"
    status = 400
    runtime_status = 400


class TooManyTagsException(ServiceError):
    """More than 50 tags on one resource (reference §1)."""

    code = "TooManyTagsException"
    status = 400
    runtime_status = 400


class TooManyTagKeysException(ServiceError):
    """More than 50 keys in one UntagResource request."""

    code = "TooManyTagKeysException"
    status = 400
    runtime_status = 400


class InvalidNextTokenException(ServiceError):
    """A pagination token this target did not issue for this listing."""

    code = "InvalidNextTokenException"
    status = 400
    runtime_status = 400


class SerializationException(ServiceError):
    """The request body is not a JSON object (the generic AWS JSON-protocol error)."""

    code = "SerializationException"
    status = 400
    runtime_status = 400


class UnknownOperationException(ServiceError):
    """The operation is not in the model, or the local target does not implement it."""

    code = "UnknownOperationException"
    status = 400
    runtime_status = 404


class InternalFailure(ServiceError):
    """A bug in the local target (never a user mistake)."""

    code = "InternalFailure"
    status = 500
    runtime_status = 500


def _wire_path(path: tuple) -> str:
    # AWS names list members "tags.1.member.tagKey" (1-based) in validation messages.
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"{part + 1}.member")
        else:
            out.append(str(part))
    return ".".join(out)


def _wire_value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "'" + ("true" if value else "false") + "'"
    return f"'{value}'"


def validation_error(problems: Iterable[Problem], params: dict) -> InvalidInputException:
    """Build the service's validation error from shape problems.

    Args:
        problems: what ``personalize_reconcile.rules.shapes.validate`` returned for the
            request (at least one).
        params: the request parameters, to quote the offending values.

    Returns:
        An InvalidInputException whose message reads as AWS's: ``1 validation error
        detected: Value 'x' at 'name' failed to satisfy constraint: Member must ...``
        (several joined with ``; ``).
    """
    parts = []
    items = list(problems)
    for problem in items:
        value: object = params
        for key in problem.path:
            try:
                value = value[key]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                value = None
                break
        if isinstance(value, (dict, list)):
            value = "<structure>" if isinstance(value, dict) else value
        parts.append(
            f"Value {_wire_value(value)} at '{_wire_path(problem.path)}' "
            f"failed to satisfy constraint: {problem.message}"
        )
    n = len(items)
    noun = "validation error" if n == 1 else "validation errors"
    return InvalidInputException(f"{n} {noun} detected: " + "; ".join(parts))
