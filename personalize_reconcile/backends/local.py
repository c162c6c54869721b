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
from typing import Any

import botocore.config

from personalize_reconcile.local.service import get_service
from personalize_reconcile.local.transport import SERVICES, attach
from personalize_reconcile.rules import shapes

_ACCESS_KEY, _SECRET_KEY = "AKIALOCALPRECONCILE0", "local"


def local_client(
    service_name: str,
    *,
    state_dir: str | os.PathLike[str] | None = None,
    region: str = "us-east-1",
    account_id: str | None = None,
    durations: dict[str, float] | None = None,
    config: botocore.config.Config | None = None,
) -> Any:
    """A boto3 client for ``personalize``, ``personalize-runtime`` or ``personalize-events``
    on the local target.

    Args:
        service_name: ``personalize``, ``personalize-runtime`` or ``personalize-events``.
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
    # The session the service models are read from (rules/shapes.py), so that its cached
    # models serve the clients, the manifest's checks and the local target's validation.
    # botocore rather than boto3: the clients are the same, and importing boto3 (with
    # s3transfer) would add to every command's start-up.
    with shapes.SESSION_LOCK:
        client = shapes.botocore_session().create_client(
            service_name,
            region_name=region,
            aws_access_key_id=_ACCESS_KEY,
            aws_secret_access_key=_SECRET_KEY,
            config=base,
        )
    attach(client, service, service.config.account_id)
    return client
