"""The wire protocol of the local target: requests in, AWS-shaped answers out.

One job: turn one HTTP-level request (service, headers/path, body bytes) into one
HTTP-level answer (status, headers, body bytes), as the real endpoints do: JSON 1.1 with
``X-Amz-Target: AmazonPersonalize.<Op>`` for the control plane, rest-json paths for
personalize-runtime and personalize-events (reference §0). Every request is validated
against the botocore input shape first (``rules.shapes``: patterns, enums, min/max
included), errors carry the service's ``__type``, message and status. Callers:
``transport`` (in-process botocore hook) and ``server`` (HTTP).
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from personalize_reconcile.local import control, metering, seams
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.exceptions import (
    InternalFailure,
    SerializationException,
    ServiceError,
    UnknownOperationException,
    validation_error,
)
from personalize_reconcile.local.ids import uuid4_text
from personalize_reconcile.local.service import LocalService
from personalize_reconcile.local.store import StateUnavailable
from personalize_reconcile.rules.problems import clipped, shown
from personalize_reconcile.rules.shapes import service_model, validate

log = logging.getLogger(__name__)

TARGET_PREFIX = "AmazonPersonalize."
CONTROL = "personalize"
RUNTIME = "personalize-runtime"
EVENTS = "personalize-events"

Answer = tuple[int, dict[str, str], bytes]
"""``(status, headers, body)``. Headers are ``Content-Type`` and ``x-amzn-RequestId`` (and
``x-amzn-ErrorType`` for runtime errors), no ``Content-Length``: the HTTP server sets that
from the body, and botocore needs none in-process (each header costs it microseconds of
parsing, a large share of an in-process GetRecommendations).
"""


@functools.lru_cache(maxsize=256)
def _input_shape(service: str, op: str) -> Any:
    model = service_model(service)
    if op not in model.operation_names:
        return None
    return model.operation_model(op).input_shape


@functools.lru_cache(maxsize=8)
def _rest_routes(service: str) -> dict[tuple[str, str], str]:
    model = service_model(service)
    routes = {}
    for op in model.operation_names:
        http = model.operation_model(op).http
        routes[(http.get("method", "POST"), http["requestUri"].split("?")[0])] = op
    return routes


def rest_operation(service: str, method: str, path: str) -> str | None:
    """The operation of rest-json ``service`` (personalize-runtime, personalize-events) at
    an HTTP method and path, or ``None``."""
    return _rest_routes(service).get((method.upper(), path.split("?", 1)[0].rstrip("/") or "/"))


def runtime_operation(method: str, path: str) -> str | None:
    """The personalize-runtime operation for an HTTP method and path, or ``None``."""
    return rest_operation(RUNTIME, method, path)


def events_operation(method: str, path: str) -> str | None:
    """The personalize-events operation for an HTTP method and path, or ``None``
    (``POST /events``, ``/items``, ``/users``, ``/actions``, ``/action-interactions``)."""
    return rest_operation(EVENTS, method, path)


def _parse(body: bytes | str | None) -> dict:
    if not body:
        return {}
    try:
        params = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SerializationException("The request body is not valid JSON.") from None
    except RecursionError:
        raise SerializationException("The request body is nested too deeply.") from None
    if not isinstance(params, dict):
        raise SerializationException("The request body must be a JSON object.")
    return params


def _validate(service: str, op: str, params: dict) -> None:
    shape = _input_shape(service, op)
    if shape is None:
        raise UnknownOperationException(f"Unknown operation {clipped(op)}.")
    problems = validate(shape, params)
    if problems:
        raise validation_error(problems, params)


def _ok(body: dict | bytes, json_type: str) -> Answer:
    # allow_nan=False: a NaN in an answer is a bug (InternalFailure), not broken JSON.
    # Bytes are a body already written (the runtime's answers).
    if isinstance(body, bytes):
        data = body
    else:
        data = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
    return (
        200,
        {
            "Content-Type": json_type,
            "x-amzn-RequestId": uuid4_text(),
        },
        data,
    )


def _error(exc: ServiceError, *, runtime: bool) -> Answer:
    rid = uuid4_text()
    if runtime:
        data = json.dumps({"message": exc.message}).encode()
        return (
            exc.runtime_status,
            {
                "Content-Type": "application/json",
                "x-amzn-ErrorType": exc.code,
                "x-amzn-RequestId": rid,
            },
            data,
        )
    data = json.dumps({"__type": exc.code, "message": exc.message}).encode()
    return (
        exc.status,
        {
            "Content-Type": "application/x-amz-json-1.1",
            "x-amzn-RequestId": rid,
        },
        data,
    )


def handle_control(
    service: LocalService, ctx: RequestContext, target: str | None, body: bytes | str | None
) -> Answer:
    """Answer one control-plane (JSON 1.1) request.

    Args:
        service: the running target.
        ctx: account and region of the caller.
        target: the ``X-Amz-Target`` header (``AmazonPersonalize.DescribeDatasetGroup``).
        body: the JSON body.

    Returns:
        (status, headers, body); never raises for a bad request (InternalFailure 500 only
        for bugs, which are logged).
    """
    try:
        if not target or not target.startswith(TARGET_PREFIX):
            raise UnknownOperationException(
                f"Missing or unknown X-Amz-Target {shown(target)}; expected "
                f"{TARGET_PREFIX}<Operation>."
            )
        op = target[len(TARGET_PREFIX) :]
        metering.record(CONTROL, op)
        params = _parse(body)
        _validate(CONTROL, op, params)
        service.advance()
        out = control.call(ctx, op, params)
        return _ok(out, "application/x-amz-json-1.1")
    except ServiceError as exc:
        return _error(exc, runtime=False)
    except StateUnavailable as exc:  # locked or read-only: the message says what to do
        return _error(InternalFailure(str(exc)), runtime=False)
    except Exception:  # noqa: BLE001 - a bug: log it, answer like AWS does
        log.exception("internal error answering %s", target)
        return _error(
            InternalFailure("An internal error occurred in the local target."), runtime=False
        )


def handle_runtime(
    service: LocalService, ctx: RequestContext, method: str, path: str, body: bytes | str | None
) -> Answer:
    """Answer one personalize-runtime (rest-json) request through
    ``personalize_reconcile.local.runtime.answer`` (see ``seams``)."""
    return _rest_json(
        RUNTIME, service, method, path, body, lambda op, p: seams.runtime_answer()(ctx, op, p)
    )


def handle_events(
    service: LocalService, ctx: RequestContext, method: str, path: str, body: bytes | str | None
) -> Answer:
    """Answer one personalize-events (rest-json) request through
    ``personalize_reconcile.local.events.dispatch`` (see ``seams``); errors as the
    runtime's (``x-amzn-ErrorType``; not found is 404)."""
    return _rest_json(
        EVENTS, service, method, path, body, lambda op, p: seams.events_dispatch()(ctx, op, p)
    )


def _rest_json(
    name: str,
    service: LocalService,
    method: str,
    path: str,
    body: bytes | str | None,
    call: Any,
) -> Answer:
    """One rest-json request of service ``name``: find the operation by method and path,
    parse and validate the body, run ``call(op, params)`` (its output shape as data, or
    the JSON bytes of it), and answer; every error as the service's (a bug is logged and
    answered InternalFailure)."""
    try:
        op = rest_operation(name, method, path)
        if op is None:
            raise UnknownOperationException(f"No {name} operation at {method} {clipped(path)}.")
        metering.record(name, op)
        params = _parse(body)
        _validate(name, op, params)
        service.advance()
        return _ok(call(op, params), "application/json")
    except ServiceError as exc:
        return _error(exc, runtime=True)
    except StateUnavailable as exc:
        return _error(InternalFailure(str(exc)), runtime=True)
    except Exception:  # noqa: BLE001 - a bug: log it, answer like AWS does
        log.exception("internal error answering %s %s", method, clipped(path))
        return _error(
            InternalFailure("An internal error occurred in the local target."), runtime=True
        )
