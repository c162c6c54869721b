"""The local target over HTTP, for the AWS CLI, other SDKs and unchanged scripts.

One job: serve ``responses`` and ``s3protocol`` on one socket, telling the services
apart (reference §0):

* an ``X-Amz-Target`` header: the personalize control plane (JSON 1.1);
* a request signed for ``s3`` (the SigV4 credential scope): S3;
* a POST to a personalize-runtime path (``/recommendations``...): personalize-runtime;
* a POST to a personalize-events path (``/events``, ``/items``, ``/users``, ``/actions``,
  ``/action-interactions``): personalize-events;
* any other request signed for ``personalize``, or an unsigned POST with a JSON body: a
  personalize-runtime error (JSON);
* a request signed for another AWS service (``iam``, ``sts``...): refused with that
  service's query-protocol error, ``InvalidAction`` naming what ``local serve`` answers;
* everything else: S3 (XML), over the state dir's object store, the one import jobs
  read; ``GET /`` is ListBuckets. With ``s3_endpoint_url`` (``local serve
  --s3-endpoint-url``) S3 lives elsewhere and S3 requests get NotImplemented naming it.

No answer is ever an HTML page: malformed requests and unknown methods get S3's XML
errors. The caller's region comes from the SigV4 credential scope of the
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
from xml.sax.saxutils import escape

from personalize_reconcile.local import responses, s3protocol
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.faults import Faults
from personalize_reconcile.local.ids import uuid4_text
from personalize_reconcile.local.objectstore import LocalObjectStore
from personalize_reconcile.local.service import LocalService

log = logging.getLogger(__name__)

_SCOPE_RE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest Personalize request body served (8 MiB). Personalize's requests are far
smaller: a schema is at most 20,000 characters and a PutEvents call 10 events (reference
§8). S3 bodies are streamed to the object store (``s3protocol.MAX_OBJECT_BYTES``)."""
DRAIN_BYTES = 1024 * 1024
"""An S3 body left unread by an error answer is read and dropped up to this size (so the
connection stays open); a larger one closes the connection."""
READ_TIMEOUT_SECONDS = 30.0
"""A client that sends nothing for this long is disconnected, freeing its thread."""
REQUEST_DEADLINE_SECONDS = 60.0
"""A request whose line, headers and body have not all arrived this long after its first
byte was awaited is dropped: a client sending one byte every few seconds never trips
:data:`READ_TIMEOUT_SECONDS`, and would hold its thread for ever."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    return host in LOOPBACK or host.startswith("127.")


class _Body:
    """The body of one request: at most ``length`` bytes of ``rfile``, counting what was
    read."""

    def __init__(self, rfile: Any, length: int) -> None:
        self._rfile = rfile
        self.left = length

    def read(self, size: int = -1) -> bytes:
        n = self.left if size is None or size < 0 else min(size, self.left)
        if n <= 0:
            return b""
        chunk = self._rfile.read(n)
        self.left -= len(chunk)
        return chunk


def _hosts(bound: str) -> tuple[str, ...]:
    """Host names that stand for this endpoint in a virtual-hosted-style S3 request."""
    names = ["localhost", "127.0.0.1"]
    if bound not in ("", "0.0.0.0", "::") and bound not in names:
        names.append(bound.lower())
    try:
        names.append(socket.gethostname().lower())
    except OSError:
        pass
    return tuple(dict.fromkeys(n for n in names if n))


def _make_handler(
    service: LocalService,
    faults: Faults | None = None,
    s3_endpoint_url: str | None = None,
    bound_host: str = "127.0.0.1",
) -> type[BaseHTTPRequestHandler]:
    account = service.config.account_id
    store = LocalObjectStore(service.config.state_dir)
    hosts = _hosts(bound_host)

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

        def _scope(self) -> tuple[str, str | None]:
            """(region, signing service) of the SigV4 credential scope."""
            m = _SCOPE_RE.search(self.headers.get("Authorization") or "")
            return (m.group(1), m.group(2)) if m else ("us-east-1", None)

        def _region(self) -> str:
            return self._scope()[0]

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for k, v in headers.items():
                if k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _route(self) -> str:
            """``control``, ``runtime``, ``events``, ``s3`` or ``other`` (see the module
            docstring)."""
            if self.headers.get("X-Amz-Target") is not None:
                return "control"
            signed_for = self._scope()[1]
            if signed_for == "s3":
                return "s3"
            if signed_for is not None and not signed_for.startswith("personalize"):
                return "other"
            if self.command == "POST":
                if responses.runtime_operation("POST", self.path):
                    return "runtime"
                if responses.events_operation("POST", self.path):
                    return "events"
                content_type = (self.headers.get("Content-Type") or "").lower()
                if "json" in content_type:
                    return "runtime"
            if signed_for is not None and signed_for.startswith("personalize"):
                return "runtime"
            return "s3"

        def _handle(self) -> None:
            route = self._route()
            if route == "s3":
                self._handle_s3()
                return
            if route == "other":
                self._not_served(str(self._scope()[1]))
                return
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
            if route == "control":
                target = self.headers.get("X-Amz-Target")
                answer = responses.handle_control(service, ctx, target, body)
            elif route == "events":
                answer = responses.handle_events(service, ctx, self.command, self.path, body)
            else:
                answer = responses.handle_runtime(service, ctx, self.command, self.path, body)
            if fault == "drop":  # carried out, but the answer is lost on the way
                self.close_connection = True
                return
            self._send(*answer)

        def _not_served(self, signed_for: str) -> None:
            """Refuse a request for a service this server does not answer, in the query
            protocol's error shape (IAM's and STS's), without reading its body."""
            self.close_connection = True  # the body is left unread
            self._deadline.cancel()
            message = escape(
                f"local serve answers Amazon Personalize (personalize, personalize-runtime, "
                f"personalize-events) and S3, not {signed_for[:40]}; point only those "
                "services at it (AWS_ENDPOINT_URL_PERSONALIZE, AWS_ENDPOINT_URL_S3, ...) "
                "rather than every service (AWS_ENDPOINT_URL)"
            )
            body = (
                "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>"
                f"<Message>{message}</Message></Error>"
                f"<RequestId>{uuid4_text()}</RequestId></ErrorResponse>"
            ).encode()
            self._send(400, {"Content-Type": "text/xml"}, body)

        # -- S3 --------------------------------------------------------------------------

        def _s3_error(self, error: s3protocol.S3Error, *, close: bool = False) -> None:
            if close:
                self.close_connection = True
            answer = s3protocol.error_answer(error, head=self.command == "HEAD")
            self._send(answer.status, answer.headers, answer.body)

        def _handle_s3(self) -> None:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                self._s3_error(
                    s3protocol.S3Error(
                        "MissingContentLength",
                        411,
                        "You must provide the Content-Length HTTP header (chunked transfer "
                        "encoding is not accepted).",
                    ),
                    close=True,
                )
                return
            raw = (self.headers.get("Content-Length") or "0").strip()
            if not raw.isdigit():
                self._s3_error(
                    s3protocol.S3Error(
                        "InvalidArgument", 400, "The Content-Length header is not a number."
                    ),
                    close=True,
                )
                return
            length = int(raw)
            if s3_endpoint_url:
                self._s3_error(
                    s3protocol.S3Error(
                        "NotImplemented",
                        501,
                        "This endpoint does not answer S3: preconcile local serve was started "
                        f"with --s3-endpoint-url {s3_endpoint_url}, where import jobs read "
                        "s3:// data; send S3 requests there.",
                    ),
                    close=length > 0,
                )
                return
            fault = faults.decide() if faults is not None else None
            if fault in ("throttle", "error"):
                error = (
                    s3protocol.S3Error(
                        "SlowDown",
                        503,
                        "Please reduce your request rate. (a fault injected by --faults)",
                    )
                    if fault == "throttle"
                    else s3protocol.S3Error(
                        "InternalError",
                        500,
                        "We encountered an internal error. Please try again. (a fault "
                        "injected by --faults)",
                    )
                )
                self._s3_error(error, close=length > 0)
                return
            body = _Body(self.rfile, length)
            request = s3protocol.S3Request(
                method=self.command,
                target=self.path,
                headers=self.headers,
                body=body,  # type: ignore[arg-type]
                content_length=length,
                region=self._region(),
                hosts=hosts,
            )
            answer = s3protocol.handle(store, request)
            if 0 < body.left <= DRAIN_BYTES:
                body.read(body.left)
            if body.left > 0:
                self.close_connection = True  # the unread body must not be taken for a request
            if fault == "drop":
                self.close_connection = True
                if answer.stream is not None:
                    answer.stream[0].close()
                return
            self._send_s3(answer)

        def _send_s3(self, answer: s3protocol.S3Answer) -> None:
            self.send_response(answer.status)
            length = None
            for k, v in answer.headers.items():
                if k.lower() == "content-length":
                    length = v
                else:
                    self.send_header(k, v)
            if answer.stream is not None:
                length = str(answer.stream[1])
            elif length is None or self.command != "HEAD":
                length = str(len(answer.body))
            self.send_header("Content-Length", length)
            self.end_headers()
            if self.command == "HEAD":
                return
            if answer.stream is None:
                self.wfile.write(answer.body)
                return
            f, left = answer.stream
            try:
                while left > 0:
                    chunk = f.read(min(left, 1 << 20))
                    if not chunk:  # the file shrank under us: the client sees a short body
                        self.close_connection = True
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)
            finally:
                f.close()

        def send_error(self, code: int, message: str | None = None, explain: str | None = None):
            """Malformed requests (bad request line, headers too long...) get S3's XML
            error document, never http.server's HTML page."""
            self.close_connection = True
            self.request_version = "HTTP/1.1"  # a status line even for a garbled request line
            error = s3protocol.S3Error(
                "BadRequest" if code < 500 else "InternalError",
                code,
                f"{message or 'The request could not be understood'} (HTTP {code}).",
            )
            answer = s3protocol.error_answer(error)
            try:
                self.send_response(code, message)
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if getattr(self, "command", None) != "HEAD" and code >= 200:
                    self.wfile.write(answer.body)
            except OSError:
                pass

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                # one thread per client connection: do not leak its database connection
                service.store.release()

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self._handle()

        def do_GET(self) -> None:  # noqa: N802
            self._handle()

        def do_PUT(self) -> None:  # noqa: N802
            self._handle()

        def do_DELETE(self) -> None:  # noqa: N802
            self._handle()

        def do_HEAD(self) -> None:  # noqa: N802
            self._handle()

        def __getattr__(self, name: str) -> Any:
            if name.startswith("do_"):  # any other method: S3's MethodNotAllowed
                return self._not_allowed
            raise AttributeError(name)

        def _not_allowed(self) -> None:
            self.close_connection = True
            self._s3_error(s3protocol.method_not_allowed(self.command, self.path.split("?")[0]))

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
        s3_endpoint_url: str | None = None,
    ):
        """Bind ``(host, port)``; ``faults`` to inject; ``s3_endpoint_url``: S3 is served
        there, not here (S3 requests then get NotImplemented naming it)."""
        self.service = service
        super().__init__((host, port), _make_handler(service, faults, s3_endpoint_url, host))

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
