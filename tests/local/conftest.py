"""Shared fixtures for tests of the local target (``personalize_reconcile.local``).

Everything here drives the target only through boto3 clients made by
``personalize_reconcile.backends.local.local_client`` (in-process, no socket).

Fixtures:

* ``state_dir`` -> ``pathlib.Path``: a fresh, empty state dir (under pytest's tmp_path).
* ``personalize`` -> botocore ``personalize`` client on ``state_dir`` (region us-east-1,
  account 000000000000, every minimum duration 0: resources settle at once, imports and
  training as soon as a worker thread has done them).
* ``runtime`` -> botocore ``personalize-runtime`` client on the same state dir.
* ``make_client(service="personalize", **kwargs)`` -> a factory for more clients on the
  same state dir (``region=``, ``account_id=``, ``durations={"campaign": 0.5}``...).
  Clients with other ``durations`` or ``account_id`` get their own LocalService object on
  the same database.

Every client these fixtures make checks every answer (botocore ``after-call`` event):
botocore's own parser must keep every member of the raw JSON answer (it silently drops
members its model does not have), and the parsed response must validate against the
operation's output shape
(``rules.shapes.validate``: types, required members, enums, patterns, min/max), and an
error's code must be one the botocore model lists for that operation (or the generic
InvalidInputException "N validation error(s) detected" that request validation gives).
A violation fails the test with an AssertionError raised from the API call.

Stand-in trainers: ``personalize_reconcile.local.seams.register_trainer(fn)`` (reset with
``register_trainer(None)``) makes solution versions train with ``fn`` in this process. An
assertion that fails inside ``fn`` (on a worker thread) fails the test with its own message:
the next API call of any test client raises it, and the test's teardown does if no call
came after.

Helper fixtures (functions):

* ``wait(describe, key, *, statuses=("ACTIVE", "CREATE FAILED"), timeout=60)``:
  call ``describe()`` (e.g. ``lambda: c.describe_dataset_import_job(datasetImportJobArn=a)``)
  until ``response[key]["status"]`` is in ``statuses``; returns ``response[key]``.
* ``wait_gone(describe, timeout=60)``: until ``describe()`` raises
  ResourceNotFoundException (asynchronous deletes).
* ``expect_error(call, code, message=None, status=400)``: ``call()`` must raise a botocore
  ClientError with this code (and exact message and HTTP status); returns the message.
* ``fast_forward(*arns, one_step=False)``: ``preconcile local fast-forward`` on
  ``state_dir``: ends the minimum durations of those resources' pending steps now (only
  the next step with ``one_step``). Tests hold a resource in a state with a long duration
  (tens of seconds) and end it with this, never with a short duration and a race.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from answers import TRAINER_FAILURES, check_answer
from calls import expect_error, wait_for, wait_gone

from personalize_reconcile.backends.local import local_client
from personalize_reconcile.local import seams
from personalize_reconcile.local import service as _service

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A fresh state dir."""
    return tmp_path / "state"


@pytest.fixture
def make_client(state_dir: Path) -> Iterator[Callable[..., Any]]:
    """Factory for boto3 clients on ``state_dir``; stops their workers afterwards."""
    made: list[Any] = []

    def make(service: str = "personalize", **kwargs: Any) -> Any:
        kwargs.setdefault("state_dir", state_dir)
        client = local_client(service, **kwargs)
        client.meta.events.register("after-call", check_answer)
        made.append(client)
        return client

    yield make
    for key, svc in list(_service._services.items()):
        if key[0] == Path(state_dir).resolve():
            _service.close_service(svc)


@pytest.fixture
def personalize(make_client: Callable[..., Any]) -> Any:
    """A boto3 personalize client on a fresh local state dir."""
    return make_client("personalize")


@pytest.fixture
def runtime(make_client: Callable[..., Any]) -> Any:
    """A boto3 personalize-runtime client on the same state dir as ``personalize``."""
    return make_client("personalize-runtime")


@pytest.fixture
def wait() -> Callable[..., dict]:
    """``wait_for`` as a fixture."""
    return wait_for


@pytest.fixture(name="expect_error")
def expect_error_fixture() -> Callable[..., str]:
    """``expect_error`` as a fixture."""
    return expect_error


@pytest.fixture(name="wait_gone")
def wait_gone_fixture() -> Callable[..., None]:
    """``wait_gone`` as a fixture."""
    return wait_gone


@pytest.fixture
def fast_forward(state_dir: Path, cli: Callable[..., Any]) -> Callable[..., str]:
    """``fast_forward(*arns, one_step=False)``: run ``preconcile local fast-forward`` on
    ``state_dir`` (exit 0 asserted); returns its standard output."""

    def run(*arns: str, one_step: bool = False) -> str:
        args = ["local", "fast-forward", "--state-dir", str(state_dir), *arns]
        result = cli(*args, *(["--one-step"] if one_step else []))
        assert result.code == 0, result.err
        return result.out

    return run


@pytest.fixture(autouse=True)
def stand_in_trainer_assertions_fail_the_test(monkeypatch):
    """Wrap every trainer registered in a test so its failed assertions reach the test."""
    real = seams.register_trainer

    def register(trainer):
        if trainer is None:
            return real(None)

        def checked(job):
            try:
                return trainer(job)
            except AssertionError as exc:
                TRAINER_FAILURES.append(exc)
                raise

        return real(checked)

    TRAINER_FAILURES.clear()
    monkeypatch.setattr(seams, "register_trainer", register)
    yield
    if TRAINER_FAILURES:
        failures, TRAINER_FAILURES[:] = list(TRAINER_FAILURES), []
        pytest.fail(f"a stand-in trainer's assertion failed: {failures[0]}")
