"""An opt-in log of the API calls the local target answers, for tests and benchmarks.

One job: when ``PRECONCILE_LOCAL_CALL_LOG`` names a file, append one line per request —
``personalize.CreateCampaign`` — to it (one ``write`` of a short line in append mode, so
several threads and processes can share the file). Unset (the default), nothing is
recorded and nothing is paid. Callers: ``personalize_reconcile.local.responses``.
"""

from __future__ import annotations

import os

ENV = "PRECONCILE_LOCAL_CALL_LOG"


def record(service: str, operation: str) -> None:
    """Append ``<service>.<operation>`` to the call log, if one is configured."""
    path = os.environ.get(ENV)
    if not path:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{service}.{operation}\n".encode())
    finally:
        os.close(fd)


def read(path: str | os.PathLike) -> list[str]:
    """The operations recorded in a call log, in order (``[]`` if it does not exist)."""
    try:
        with open(path, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        return []
