"""Which handler answers which operation, and which kinds add computed fields to their
Describe shape.

One job: the table that ``personalize_reconcile.local.control.call`` dispatches through.
Each kind module registers its handlers with :func:`operation` when it is imported (the
package's ``__init__`` imports them all), so adding a kind means adding one module and
naming it there. Callers: the kind modules (register), ``control.call`` and
``control.descriptions.describe`` (look up).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from botocore import xform_name

from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.store import Resource, Store

Handler = Callable[[RequestContext, sqlite3.Connection, dict], dict]
"""``(ctx, conn, params) -> output``: the request context, a connection inside a write
transaction (a plain one for read-only operations), the request parameters already
validated against the botocore input shape; the operation's output shape as plain data
(timestamps as epoch seconds). Raises ``personalize_reconcile.local.exceptions`` errors."""

Describer = Callable[[Resource, dict, "sqlite3.Connection | None", Store], None]
"""``(res, out, conn, store)``: adds fields computed from other rows to ``out``, the
Describe object of ``res`` being built."""


@dataclass(frozen=True)
class Operation:
    """A registered handler: ``name`` is the botocore operation name (``CreateCampaign``),
    ``read_only`` says it needs no write transaction."""

    name: str
    handler: Handler
    read_only: bool


_OPERATIONS: dict[str, Operation] = {}
_DESCRIBERS: dict[str, Describer] = {}


def operation(name: str, *, read_only: bool = False) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of operation ``name``.

    Raises:
        ValueError: ``name`` already has a handler (two modules claim one operation).
    """

    def register(fn: Handler) -> Handler:
        if name in _OPERATIONS:
            raise ValueError(f"{name} is handled twice")
        _OPERATIONS[name] = Operation(name, fn, read_only)
        return fn

    return register


def describer(kind: str) -> Callable[[Describer], Describer]:
    """Register the decorated function as the computed fields of ``kind``'s Describe
    shape (a dataset's ``trackingId``, a solution's ``latestSolutionVersion``)."""

    def register(fn: Describer) -> Describer:
        _DESCRIBERS[kind] = fn
        return fn

    return register


_STATUS_WORDS: dict[str, dict[str, str]] = {}


def status_words(kind: str, words: dict[str, str]) -> None:
    """Show ``kind``'s stored statuses with the words its own API uses (a data deletion
    job is ``PENDING``/``IN_PROGRESS``/``COMPLETED``/``FAILED`` where the status machine
    says ``CREATE PENDING``/``CREATE IN_PROGRESS``/``ACTIVE``/``CREATE FAILED``)."""
    _STATUS_WORDS[kind] = dict(words)


def status_words_of(kind: str) -> dict[str, str] | None:
    """The status words registered for ``kind``, or ``None``."""
    return _STATUS_WORDS.get(kind)


def lookup(name: str) -> Operation | None:
    """The registered operation called ``name``, or ``None``."""
    return _OPERATIONS.get(name)


def describer_of(kind: str) -> Describer | None:
    """The computed-fields function of ``kind``, or ``None`` when it has none."""
    return _DESCRIBERS.get(kind)


def by_method_name() -> dict[str, Handler]:
    """Every registered handler under its boto3 client method name (``create_campaign``)."""
    return {xform_name(name): op.handler for name, op in sorted(_OPERATIONS.items())}
