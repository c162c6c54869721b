"""The one error training raises: the solution version ends in CREATE FAILED.

One job: name the failure a trainer reports. Callers: the training modules raise it; the
job runner's seams (``personalize_reconcile.local.seams``) re-export it as
``seams.TrainingFailed`` for stand-in trainers, and ``lifecycle`` turns it into CREATE
FAILED with its reason.
"""

from __future__ import annotations


class TrainingFailed(Exception):
    """Training cannot produce a model; ``reason`` (= ``str(e)``) is the version's
    ``failureReason``.

    The job runner turns it into CREATE FAILED with this reason (reference §5: a
    shortfall shows up asynchronously as CREATE FAILED with a failureReason).

    Attributes:
        reason: one or more full sentences, shown to the user as is.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
