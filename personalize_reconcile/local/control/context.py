"""Who is asking, and of which running target: the context every operation receives.

One job: carry the caller's account and region and the running target's parts to the
handlers. Built per client by ``transport`` (in-process) and per request by ``server``
(HTTP); read by every control-plane handler and by the personalize-runtime handlers
(``personalize_reconcile.local.runtime``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from personalize_reconcile.local.config import LocalConfig
from personalize_reconcile.local.jobs import JobRunner
from personalize_reconcile.local.store import Store


class Target(Protocol):
    """The parts of a running target that handlers use (``service.LocalService``
    provides them): the database, the settings and the job runner."""

    store: Store
    config: LocalConfig
    runner: JobRunner


@dataclass(frozen=True)
class RequestContext:
    """Who is asking: ``account`` (12 digits) and ``region`` of the caller's client, and
    the running target (``service``)."""

    account: str
    region: str
    service: Target

    @property
    def store(self) -> Store:
        """The running target's database."""
        return self.service.store

    def duration(self, kind: str) -> float:
        """The minimum duration in seconds of a resource kind's asynchronous work
        (``LocalConfig.duration``)."""
        return self.service.config.duration(kind)
