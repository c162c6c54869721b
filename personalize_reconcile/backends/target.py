"""Open a target: the boto3 clients and the object store that plan and apply use.

One job: choose and configure the clients for ``--target local`` (the embedded Personalize,
in-process) or ``--target aws`` (the standard boto3 credential chain, botocore's
``adaptive`` retry mode, and the standard ``AWS_ENDPOINT_URL_PERSONALIZE``,
``AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME`` and ``AWS_ENDPOINT_URL_S3`` endpoint settings,
which boto3 honours by itself). Also counts API calls per operation for benchmarks and
``--debug`` output. Callers: the CLI.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.config
from botocore.exceptions import NoRegionError, ProfileNotFound

# The errors ``Target.objects`` raises, re-exported so that callers above the backends
# (the CLI) need not import the local target's modules.
from personalize_reconcile.local.objectstore import ContentChangedError as ContentChangedError
from personalize_reconcile.local.objectstore import NoSuchKeyError as NoSuchKeyError
from personalize_reconcile.local.objectstore import ObjectStoreError as ObjectStoreError

TARGETS = ("local", "aws")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
REGION_MAX = 63
"""botocore refuses a region longer than one DNS label (63 characters) with its own
InvalidRegionError; the check here names the option instead."""
LOCAL_DEFAULT_REGION = "us-east-1"
AWS_MAX_ATTEMPTS = 8
"""Retry budget per call on AWS (retries after the first attempt). botocore's standard and
adaptive modes also retry LimitExceededException, which Personalize uses for quotas too
(reference §3), so the budget
stays small and a quota error surfaces as an error instead of retrying for ever. A
``max_attempts`` the user configured (``AWS_MAX_ATTEMPTS`` or the profile's setting: total
attempts, first included, as the AWS CLI reads it) takes its place."""


class TargetError(Exception):
    """The target cannot be opened (unknown target, no region, unknown profile)."""


@dataclass
class CallCounter:
    """API calls made through the target's clients, by ``service.Operation``."""

    calls: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, client: Any) -> None:
        """Count every call ``client`` makes (botocore ``before-call`` event)."""
        service = client.meta.service_model.service_name

        def count(model: Any = None, **_: Any) -> None:
            with self._lock:
                self.calls[f"{service}.{model.name}"] += 1

        client.meta.events.register("before-call", count)

    @staticmethod
    def is_read(operation: str) -> bool:
        """Whether ``Service.Operation`` only reads (Describe*, List*, Get*, Head*)."""
        name = operation.split(".", 1)[1]
        return name.startswith(("Describe", "List", "Get", "Head"))

    def reads(self) -> int:
        """The number of read calls so far."""
        return sum(n for op, n in self.calls.items() if self.is_read(op))

    def writes(self) -> int:
        """The number of write calls so far."""
        return sum(n for op, n in self.calls.items() if not self.is_read(op))


@dataclass
class Target:
    """An opened target.

    Attributes:
        name: ``local`` or ``aws``.
        region: the region the clients use.
        personalize: the botocore client for ``personalize``.
        make_runtime: makes the botocore client for ``personalize-runtime``; see
            :attr:`runtime`.
        objects: the object store for ``s3://`` data (put/head/locate).
        account: the account id when known up front (the local target's), else ``None``.
        state_dir: the local target's state dir (``None`` for AWS).
        counter: the call counter attached to every client.
        aws_client: for ``aws``, ``aws_client(service)`` makes another boto3 client of the
            same session, region and retry configuration (``iam``, ``s3``: the preflight
            checks); ``None`` for ``local``.
    """

    name: str
    region: str
    personalize: Any
    make_runtime: Callable[[], Any]
    objects: Any
    account: str | None = None
    state_dir: Path | None = None
    counter: CallCounter = field(default_factory=CallCounter)
    aws_client: Callable[[str], Any] | None = None
    _runtime: Any = field(default=None, init=False, repr=False)
    _runtime_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def runtime(self) -> Any:
        """The botocore client for ``personalize-runtime``, made on first use (plan and
        apply never call it; making a client reads its service's model files), with the
        call counter attached."""
        with self._runtime_lock:
            if self._runtime is None:
                self._runtime = self.make_runtime()
                self.counter.attach(self._runtime)
            return self._runtime


def open_target(
    name: str,
    *,
    region: str | None = None,
    profile: str | None = None,
    state_dir: str | os.PathLike | None = None,
) -> Target:
    """Open ``local`` or ``aws``.

    Args:
        name: the target.
        region: overrides the configured region (for local: default ``us-east-1``).
        profile: an AWS profile (aws only).
        state_dir: the local target's state dir (default ``PRECONCILE_STATE_DIR``, else
            ``.preconcile``).

    Raises:
        TargetError: unknown target, unknown profile, or no region for AWS.
    """
    if name not in TARGETS:
        raise TargetError(f"unknown target {name!r}; use --target local or --target aws")
    if region is not None and (len(region) > REGION_MAX or not _REGION.fullmatch(region)):
        shown = region if len(region) <= REGION_MAX else f"{region[:REGION_MAX]}…"
        raise TargetError(f"{shown!r} is not a region name; write one such as us-east-1")
    if name == "local":
        return _open_local(region, state_dir)
    import boto3  # the local target does without it (see backends.local)

    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as e:
        source = next(
            (
                f" (named by {v})"
                for v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
                if profile is None and os.environ.get(v)
            ),
            "",
        )
        raise TargetError(
            f"{e}{source}; list your profiles with `aws configure list-profiles`"
        ) from None
    if not session.region_name:
        raise TargetError("no AWS region is configured; pass --region or set AWS_DEFAULT_REGION")
    configured_region = session.region_name
    if len(configured_region) > REGION_MAX or not _REGION.fullmatch(configured_region):
        shown = configured_region[:REGION_MAX] + (
            "…" if len(configured_region) > REGION_MAX else ""
        )
        raise TargetError(
            f"the configured AWS region {shown!r} is not a region name; fix AWS_REGION / "
            "AWS_DEFAULT_REGION or the profile's region in the AWS config, or pass --region"
        )
    configured = session._session.get_config_variable("max_attempts")
    config = botocore.config.Config(
        retries={
            "mode": "adaptive",
            "total_max_attempts": int(configured) if configured else AWS_MAX_ATTEMPTS + 1,
        },
        user_agent_extra="preconcile",
    )
    try:
        personalize = session.client("personalize", config=config)
        s3 = session.client("s3", config=config)
    except NoRegionError:  # pragma: no cover - guarded above
        raise TargetError("no AWS region is configured; pass --region") from None
    from personalize_reconcile.local.objectstore import S3ObjectStore

    target = Target(
        "aws",
        session.region_name,
        personalize,
        lambda: session.client("personalize-runtime", config=config),
        S3ObjectStore(s3),
    )
    for client in (personalize, s3):
        target.counter.attach(client)

    def aws_client(service: str) -> Any:
        client = s3 if service == "s3" else session.client(service, config=config)
        if client is not s3:
            target.counter.attach(client)
        return client

    target.aws_client = aws_client
    return target


def _open_local(region: str | None, state_dir: str | os.PathLike | None) -> Target:
    from personalize_reconcile.backends.local import local_client
    from personalize_reconcile.local.config import ConfigError, load_config
    from personalize_reconcile.local.objectstore import open_object_store
    from personalize_reconcile.local.seams import S3_ENDPOINT_ENV
    from personalize_reconcile.local.store import StateUnavailable

    region = region or LOCAL_DEFAULT_REGION
    try:
        config = load_config(state_dir)
        personalize = local_client("personalize", state_dir=config.state_dir, region=region)
    except ConfigError as e:
        raise TargetError(f"the local target's settings are unusable: {e}") from None
    except OSError as e:
        where = e.filename or state_dir or ".preconcile"
        exists_not_folder = (
            isinstance(e, (FileExistsError, NotADirectoryError))
            and os.path.exists(where)
            and not os.path.isdir(where)
        )
        why = (
            ("it is a file, not a folder" if os.path.isfile(where) else "it is not a folder")
            if exists_not_folder
            else e.strerror or str(e)
        )
        raise TargetError(
            f"cannot use {where} as the local target's state dir: {why}; pick another --state-dir"
        ) from None
    except StateUnavailable as e:  # locked by another process, or read-only
        raise TargetError(str(e)) from None
    except sqlite3.DatabaseError as e:
        db = Path(config.db_path)
        raise TargetError(
            f"the local target's state {db} cannot be read ({e}); if it is damaged, move it "
            f"aside (or delete {db.parent} to start over), or use another --state-dir"
        ) from None
    # The same store the local target's import jobs read (the state dir's, or an S3
    # endpoint named by PRECONCILE_LOCAL_S3_ENDPOINT_URL), so uploads land where imports look.
    objects = open_object_store(config.state_dir, os.environ.get(S3_ENDPOINT_ENV) or None)
    target = Target(
        "local",
        region,
        personalize,
        # the same service and settings as the personalize client, which opened them
        lambda: local_client("personalize-runtime", state_dir=config.state_dir, region=region),
        objects,
        account=config.account_id,
        state_dir=Path(config.state_dir),
    )
    target.counter.attach(personalize)
    return target
