"""boto3 clients for the local target (the embedded, offline Personalize).

One job: make a botocore client whose requests are answered in-process by
``personalize_reconcile.local`` (real serialisation and parsing, no socket, dummy
credentials). Callers: the engine and CLI when ``--target local``, tests, benchmarks.

Example::

    from personalize_reconcile.backends.local import local_client
    personalize = local_client("personalize", state_dir=".preconcile")
    personalize.create_dataset_group(name="demo")
"""

from __future__ import annotations

import os
import threading
from typing import Any

import botocore.config
import botocore.session

from personalize_reconcile.local.service import get_service
from personalize_reconcile.local.transport import SERVICES, attach

_SESSIONS: dict[str, Any] = {}
_SESSIONS_LOCK = threading.Lock()  # botocore sessions are not safe to share while creating


def _session(region: str) -> Any:
    # A botocore session per region: creating one costs ~10 ms; clients from it are cheap.
    # botocore rather than boto3: the clients are the same, and importing boto3 (with
    # s3transfer) would add to every command's start-up.
    session = _SESSIONS.get(region)
    if session is None:
        session = botocore.session.get_session()
        session.set_credentials("AKIALOCALPRECONCILE0", "local")
        session.set_config_variable("region", region)
        _SESSIONS[region] = session
    return session


def local_client(
    service_name: str,
    *,
    state_dir: str | os.PathLike[str] | None = None,
    region: str = "us-east-1",
    account_id: str | None = None,
    durations: dict[str, float] | None = None,
    config: botocore.config.Config | None = None,
) -> Any:
    """A boto3 client for ``personalize`` or ``personalize-runtime`` on the local target.

    Args:
        service_name: ``personalize`` or ``personalize-runtime``.
        state_dir: the state dir (default: ``PRECONCILE_STATE_DIR``, else ``.preconcile``).
        region: the client's region; ARNs carry it.
        account_id: 12 digits (default: ``PRECONCILE_ACCOUNT_ID``, else 000000000000).
        durations: minimum seconds per resource kind (see
            ``personalize_reconcile.local.config``), e.g. ``{"solution-version": 30}``.
        config: extra botocore client config (merged over retries: standard mode, one
            attempt).

    Returns:
        A botocore client. Its asynchronous work runs in background threads of this
        process (started on first use of the state dir).

    Raises:
        ValueError: an unsupported service name.
        personalize_reconcile.local.config.ConfigError: unusable settings.
    """
    if service_name not in SERVICES:
        raise ValueError(f"the local target answers {', '.join(SERVICES)}, not {service_name!r}")
    service = get_service(state_dir, account_id=account_id, durations=durations)
    # One attempt: the local target never throttles, and botocore's standard mode would
    # retry a LimitExceededException (a quota, reference §3) with backoff.
    base = botocore.config.Config(
        retries={"mode": "standard", "total_max_attempts": 1}, parameter_validation=True
    )
    if config is not None:
        base = base.merge(config)
    with _SESSIONS_LOCK:
        client = _session(region).create_client(service_name, region_name=region, config=base)
    attach(client, service, service.config.account_id)
    return client
