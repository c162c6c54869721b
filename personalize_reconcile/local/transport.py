"""The in-process transport: botocore clients answered by the local target, no socket.

One job: attach the local target to a botocore client through its ``before-send`` event.
botocore still builds, signs and serialises the request and parses the answer exactly as
against AWS; only the HTTP round trip is replaced by a call to ``responses``. Caller:
``personalize_reconcile.backends.local.local_client``.
"""

from __future__ import annotations

from typing import Any

from botocore.awsrequest import AWSResponse

from personalize_reconcile.local import responses
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.service import LocalService

SERVICES = (responses.CONTROL, responses.RUNTIME, responses.EVENTS)
"""botocore service names the local target answers."""


class _Raw:
    """The minimal raw-response object botocore reads (``stream()``)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any):
        yield self._data

    def read(self, *_: Any) -> bytes:
        data, self._data = self._data, b""
        return data


def attach(client: Any, service: LocalService, account_id: str) -> None:
    """Route every request of ``client`` to ``service``.

    Args:
        client: a botocore client for ``personalize``, ``personalize-runtime`` or
            ``personalize-events``.
        service: the local target.
        account_id: the account its ARNs carry (the region is the client's).

    Raises:
        ValueError: the client is for a service the local target does not answer.
    """
    name = client.meta.service_model.service_name
    if name not in SERVICES:
        raise ValueError(f"the local target answers {', '.join(SERVICES)}, not {name}")
    ctx = RequestContext(account=account_id, region=client.meta.region_name, service=service)

    def before_send(request: Any, **_: Any) -> AWSResponse:
        path = request.url.split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        if name == responses.CONTROL:
            target = request.headers.get("X-Amz-Target")
            if isinstance(target, bytes):
                target = target.decode()
            status, headers, body = responses.handle_control(service, ctx, target, request.body)
        elif name == responses.EVENTS:
            status, headers, body = responses.handle_events(
                service, ctx, request.method, path, request.body
            )
        else:
            status, headers, body = responses.handle_runtime(
                service, ctx, request.method, path, request.body
            )
        return AWSResponse(request.url, status, headers, _Raw(body))

    client.meta.events.register("before-send", before_send, unique_id="preconcile-local")
