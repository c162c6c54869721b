"""The refusals every resource kind shares, with their one wording.

One job: build the ResourceNotFound, ResourceAlreadyExists and ResourceInUse errors of
reference §1 and §3 so each kind says them the same way (the service's exact wording is
unconfirmed, reference §10). The error classes themselves (AWS error codes, HTTP statuses)
are in ``personalize_reconcile.local.exceptions``. Callers: ``records``, ``tags`` and the
kind modules.
"""

from __future__ import annotations

from personalize_reconcile.local.exceptions import (
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from personalize_reconcile.local.store import Resource


def not_found(arn: str) -> ResourceNotFoundException:
    """``Resource Arn <arn> does not exist.``: an ARN that names nothing (reference §3)."""
    return ResourceNotFoundException(f"Resource Arn {arn} does not exist.")


def already_exists(arn: str) -> ResourceAlreadyExistsException:
    """``Another resource with Arn <arn> already exists.``: a name (hence ARN) that is
    taken (reference §1)."""
    return ResourceAlreadyExistsException(f"Another resource with Arn {arn} already exists.")


def not_active(res: Resource) -> ResourceInUseException:
    """``Resource Arn <arn> is in <status> state; it must be ACTIVE.``: a resource in the
    wrong state for the operation (reference §3)."""
    return ResourceInUseException(
        f"Resource Arn {res.arn} is in {res.status} state; it must be ACTIVE."
    )


def in_use_by(res: Resource, user: Resource) -> ResourceInUseException:
    """``Resource Arn <arn> is in use by <dependent arn>.``: a delete refused because
    another resource depends on ``res`` (reference §3)."""
    return ResourceInUseException(f"Resource Arn {res.arn} is in use by {user.arn}.")


def busy(res: Resource) -> ResourceInUseException:
    """``Resource Arn <arn> is in <status> state and cannot be deleted.``: a delete of a
    resource still being created or deleted (reference §3)."""
    return ResourceInUseException(
        f"Resource Arn {res.arn} is in {res.status} state and cannot be deleted."
    )
