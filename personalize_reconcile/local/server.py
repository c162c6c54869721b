"""The local target over HTTP, for the AWS CLI, other SDKs and unchanged scripts.

One job: serve ``responses`` on a socket. Control-plane requests are routed by their
``X-Amz-Target`` header (JSON 1.1), personalize-runtime requests by path (rest-json,
reference §0). The caller's region comes from the SigV4 credential scope of the
``Authorization`` header (us-east-1 when absent); the account is the server's.
Signatures are not checked. Callers: ``personalize_reconcile.cli_local`` (``preconcile
local serve``) and tests.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from personalize_reconcile.local import responses
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.faults import Faults
from personalize_reconcile.local.service import LocalService

log = logging.getLogger(__name__)

_SCOPE_RE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest request body served (8 MiB). Personalize's requests are far smaller: a
schema is at most 20,000 characters and a PutEvents call 10 events (reference §8)."""
READ_TIMEOUT_SECONDS = 30.0
"""A client that sends nothing for this long is disconnected, freeing its thread."""
REQUEST_DEADLINE_SECONDS = 60.0
"""A request whose line, headers and body have not all arrived this long after its first
byte was awaited is dropped: a client sending one byte every few seconds never trips
:data:`READ_TIMEOUT_SECONDS`, and would hold its thread for ever."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    return host in LOOPBACK or host.startswith("127.")


def _make_handler(
    service: LocalService, faults: Faults | None = None
) -> type[BaseHTTPRequestHandler]:
    account = service.config.account_id

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "preconcile-local"
        # Headers and body leave in separate writes; without TCP_NODELAY, Nagle's
        # algorithm and the client's delayed ACK add ~40 ms to every keep-alive request.
        disable_nagle_algorithm = True
        timeout = READ_TIMEOUT_SECONDS  # per blocking read: a stalled client is dropped

        def handle_one_request(self) -> None:
            # the deadline covers reading the request; _handle cancels it once the body
            # is in, so a slow answer (training data, a large model) is never cut
            self._deadline = threading.Timer(REQUEST_DEADLINE_SECONDS, self._drop)
            self._deadline.daemon = True
            self._deadline.start()
            try:
                super().handle_one_request()
            finally:
                self._deadline.cancel()

        def _drop(self) -> None:
            """Close a connection whose request is still arriving at the deadline."""
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("%s " + fmt, self.address_string(), *args)

        def _body(self) -> bytes | str:
            """The request body, or the reason it is refused (``str``): a Transfer-Encoding
            (botocore always sends a Content-Length), a Content-Length that is not a number,
            or one over :data:`MAX_BODY_BYTES` (not read at all)."""
            if self.headers.get("Transfer-Encoding"):
                return (
                    "The local target does not accept a Transfer-Encoding; send the body with "
                    "a Content-Length."
                )
            raw = (self.headers.get("Content-Length") or "0").strip()
            if not (raw.isascii() and raw.isdigit()):
                return "The Content-Length header is not a number."
            if len(raw) > 20:  # before int(), which refuses over 4,300 digits (ValueError)
                return (
                    f"The request body is larger than {MAX_BODY_BYTES:,} bytes, the most the "
                    f"local target accepts (its Content-Length has {len(raw):,} digits)."
                )
            length = int(raw)
            if length > MAX_BODY_BYTES:
                return (
                    f"The request body is {length:,} bytes; the local target accepts at most "
                    f"{MAX_BODY_BYTES:,}."
                )
            return self.rfile.read(length) if length > 0 else b""

        def _region(self) -> str:
            m = _SCOPE_RE.search(self.headers.get("Authorization") or "")
            return m.group(1) if m else "us-east-1"

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for k, v in headers.items():
                if k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            body = self._body()
            self._deadline.cancel()
            if isinstance(body, str):
                self.close_connection = True  # the unread body must not be taken for a request
                self._send(
                    413 if body.startswith("The request body is") else 400,
                    {"Content-Type": "application/json"},
                    json.dumps(
                        {"__type": "SerializationException", "message": body}, separators=(",", ":")
                    ).encode(),
                )
                return
            fault = faults.decide() if faults is not None else None
            if fault in ("throttle", "error"):
                code = "ThrottlingException" if fault == "throttle" else "InternalFailure"
                message = "Rate exceeded" if fault == "throttle" else "Internal failure"
                self._send(
                    400 if fault == "throttle" else 500,
                    {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code},
                    json.dumps(
                        {"__type": code, "message": f"{message} (a fault injected by --faults)"}
                    ).encode(),
                )
                return
            ctx = RequestContext(account=account, region=self._region(), service=service)
            target = self.headers.get("X-Amz-Target")
            if target is not None:
                answer = responses.handle_control(service, ctx, target, body)
            else:
                answer = responses.handle_runtime(service, ctx, self.command, self.path, body)
            if fault == "drop":  # carried out, but the answer is lost on the way
                self.close_connection = True
                return
            self._send(*answer)

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                # one thread per client connection: do not leak its database connection
                service.store.release()

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self._handle()

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/") in ("", "/health"):
                self._deadline.cancel()
                self._send(
                    200,
                    {"Content-Type": "application/json"},
                    b'{"status":"ok","service":"preconcile-local"}',
                )
                return
            self._handle()

    return Handler


class LocalServer(ThreadingHTTPServer):
    """A threading HTTP server bound to ``(host, port)`` serving ``service``.

    Use ``port=0`` to pick a free port (``server.server_address[1]`` tells which).

    Raises:
        OSError: the address cannot be bound (port in use, unknown host).
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        service: LocalService,
        host: str = "127.0.0.1",
        port: int = 4566,
        faults: Faults | None = None,
    ):
        self.service = service
        super().__init__((host, port), _make_handler(service, faults))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A broken connection or a bug in one request: log it, keep serving (no
        traceback on the console for a client's mistake)."""
        log.warning(
            "error while serving %s", client_address, exc_info=log.isEnabledFor(logging.DEBUG)
        )

    @property
    def url(self) -> str:
        """``http://host:port`` of the bound socket."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def serve_in_thread(self) -> threading.Thread:
        """Serve in a daemon thread (tests); stop with ``shutdown()``."""
        t = threading.Thread(target=self.serve_forever, name="preconcile-local-http", daemon=True)
        t.start()
        return t
