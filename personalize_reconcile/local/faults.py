"""Injected faults for ``preconcile local serve``: throttling, server errors and dropped
responses at given rates, seeded, so a client's retries and an apply's resumption can be
rehearsed offline.

One job: parse the setting and decide, request by request, which fault (if any) to play.
The server (``local/server.py``) carries the decision out. Callers: ``cli_local`` (the
``--faults`` option and ``PRECONCILE_LOCAL_FAULTS``) and ``local/server.py``.

Setting: ``"throttle=0.3,error=0.05,drop=0.05,seed=1"``: each a probability per request
(their sum at most 1) and the random seed (default 0). A throttled request is answered
400 ``ThrottlingException`` and an errored one 500 ``InternalFailure``, both without being
carried out; a dropped one is carried out and its connection closed without an answer (as
a lost response on a real network: the client cannot tell whether it happened).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from personalize_reconcile.rules.problems import shown

FAULTS = ("throttle", "error", "drop")


class FaultsError(ValueError):
    """The setting cannot be used; the message says which part and how to fix it."""


@dataclass
class Faults:
    """Fault rates (probabilities per request) and the seed of their random draws."""

    throttle: float = 0.0
    error: float = 0.0
    drop: float = 0.0
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def decide(self) -> str | None:
        """The fault to play on the next request (``throttle``, ``error``, ``drop``) or
        ``None``. Draws are in request order from the seeded generator (thread-safe)."""
        with self._lock:
            x = self._rng.random()
        for name in FAULTS:
            rate = getattr(self, name)
            if x < rate:
                return name
            x -= rate
        return None


def parse_faults(text: str) -> Faults:
    """Parse ``"throttle=0.3,error=0.05,drop=0.05,seed=1"`` (any subset, any order).

    Raises:
        FaultsError: an unknown name, a value that is not a number, a rate outside 0..1,
            or rates that add up to more than 1.
    """
    values: dict[str, float | int] = {}
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in (*FAULTS, "seed"):
            raise FaultsError(
                f"fault setting {shown(item)} is not name=value with a name among "
                f"{', '.join(FAULTS)}, seed"
            )
        try:
            number = int(value) if name == "seed" else float(value)
        except ValueError:
            raise FaultsError(f"fault {name}={shown(value.strip())} is not a number") from None
        if name != "seed" and not 0 <= number <= 1:
            raise FaultsError(f"fault {name}={number} must be a probability between 0 and 1")
        values[name] = number
    if sum(float(values.get(n, 0)) for n in FAULTS) > 1:
        raise FaultsError("the fault rates add up to more than 1")
    return Faults(**values)  # type: ignore[arg-type]
