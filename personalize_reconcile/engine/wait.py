"""Waiting for a resource to settle: poll with exponential backoff and full jitter, under
an overall deadline.

One job: the polling loop, so no other module sleeps. Throttling and transient errors are
retried inside botocore (its retry modes); this loop only waits for status changes.
Called by :mod:`personalize_reconcile.engine.apply`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from personalize_reconcile.resources import State


@dataclass(frozen=True)
class WaitPolicy:
    """How to poll.

    Attributes:
        first: seconds before the first poll.
        longest: the largest pause between polls, in seconds.
        factor: the pause grows by this factor after each poll.
        timeout: overall seconds one wait may take before giving up.
    """

    first: float = 0.05
    longest: float = 30.0
    factor: float = 1.6
    timeout: float = 4 * 3600.0

    @classmethod
    def for_target(
        cls, target: str, timeout: float | None = None, first: float | None = None
    ) -> WaitPolicy:
        """The policy for a target: the local target answers in-process, so it is polled
        every 20-40 ms (default timeout 1 hour); AWS every 5-30 s, as the service's
        resources take minutes to hours (reference §9; default timeout 4 hours).

        Args:
            target: ``local`` or ``aws``.
            timeout: seconds one wait may take, instead of the default.
            first: seconds before the first poll, instead of the default (the pause still
                grows, to at most the default's longest or ``first``, whichever is larger);
                for a rehearsal against ``local serve`` on ``--target aws``.
        """
        if target == "local":
            policy = cls(first=0.02, longest=0.04, timeout=timeout or 3600.0)
        else:
            policy = cls(first=5.0, longest=30.0, timeout=timeout or 4 * 3600.0)
        if first is not None:
            policy = cls(first=first, longest=max(first, policy.longest), timeout=policy.timeout)
        return policy


class WaitTimeout(Exception):
    """The resource did not settle within the policy's timeout."""


class Cancelled(Exception):
    """Apply was cancelled (Ctrl-C) while waiting."""


def wait_until(
    describe: Callable[[], Any],
    state_of: Callable[[Any], tuple[State, str | None]],
    want: State,
    policy: WaitPolicy,
    *,
    cancel: threading.Event | None = None,
    on_poll: Callable[[Any], None] | None = None,
    rng: random.Random | None = None,
) -> tuple[State, str | None, Any]:
    """Poll ``describe()`` until ``state_of(result)`` is ``want`` or FAILED.

    Args:
        describe: returns the Describe object (or ``None`` once gone).
        state_of: maps it to ``(State, failure reason)``.
        want: READY (after a create or update) or GONE (after a delete).
        policy: the backoff and the deadline.
        cancel: set it to stop waiting early (raises :class:`Cancelled`).
        on_poll: called with every Describe result (for progress display).
        rng: the jitter's random source (tests pass a seeded one).

    Returns:
        ``(state, failure reason, last Describe result)``; state is ``want`` or FAILED.

    Raises:
        WaitTimeout: not settled within ``policy.timeout`` seconds.
        Cancelled: ``cancel`` was set.
    """
    rng = rng or random.Random()
    deadline = time.monotonic() + policy.timeout
    pause = policy.first
    while True:
        raw = describe()
        if on_poll is not None:
            on_poll(raw)
        state, reason = state_of(raw)
        if state is want or (state is State.FAILED and want is not State.GONE):
            return state, reason, raw
        if state is State.GONE and want is State.READY:
            return State.FAILED, "it was deleted while apply waited for it", raw
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            status = raw.get("status") if isinstance(raw, dict) else None
            raise WaitTimeout(f"still {status or state.value} after {policy.timeout:.0f} s")
        sleep = min(remaining, rng.uniform(pause / 2, pause))  # jitter: never in lock-step
        if cancel is not None and cancel.wait(sleep):
            raise Cancelled()
        if cancel is None:
            time.sleep(sleep)
        pause = min(policy.longest, pause * policy.factor)
