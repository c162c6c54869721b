"""The one error training raises: the solution version ends in CREATE FAILED."""

from __future__ import annotations

from personalize_reconcile.local import seams


class TrainingFailed(seams.TrainingFailed):
    """Training cannot produce a model; ``reason`` (= ``str(e)``) is the version's
    ``failureReason``.

    It subclasses the job runner's ``seams.TrainingFailed``, so the runner turns it into
    CREATE FAILED with this reason (reference §5: a shortfall shows up asynchronously as
    CREATE FAILED with a failureReason).

    Attributes:
        reason: one or more full sentences, shown to the user as is.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
