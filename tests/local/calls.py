"""Helpers that call the local target and check what comes back: wait for a status,
wait until a resource is gone, expect an error (with ``conftest.py``'s fixtures of the
same names)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest


def wait_for(
    describe: Callable[[], dict],
    key: str,
    *,
    statuses: tuple[str, ...] = ("ACTIVE", "CREATE FAILED"),
    timeout: float = 60.0,
) -> dict:
    """Poll ``describe()`` until ``[key]["status"]`` is in ``statuses``; return ``[key]``.

    Raises:
        AssertionError: not reached within ``timeout`` seconds (shows the last status).
    """
    deadline = time.monotonic() + timeout
    while True:
        obj = describe()[key]
        if obj.get("status") in statuses:
            return obj
        if time.monotonic() > deadline:
            raise AssertionError(f"status still {obj.get('status')!r} after {timeout}s: {obj}")
        time.sleep(0.01)


def wait_gone(describe: Callable[[], Any], timeout: float = 60.0) -> None:
    """Poll ``describe()`` until it raises ResourceNotFoundException."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            describe()
        except Exception as exc:  # botocore ClientError
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code == "ResourceNotFoundException":
                return
            raise
        if time.monotonic() > deadline:
            raise AssertionError(f"still there after {timeout}s")
        time.sleep(0.01)


def expect_error(
    call: Callable[[], Any], code: str, message: str | None = None, status: int = 400
) -> str:
    """Assert ``call()`` fails with ``code`` (and ``message``, ``status``); return the
    message."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as info:
        call()
    err = info.value.response["Error"]
    assert err["Code"] == code, err
    if message is not None:
        assert err["Message"] == message
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    return err["Message"]
