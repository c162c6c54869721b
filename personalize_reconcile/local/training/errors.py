"""The one error training raises: the solution version ends in CREATE FAILED."""

from __future__ import annotations


class TrainingFailed(Exception):
    """Training cannot produce a model; ``reason`` is the version's ``failureReason``.

    Attributes:
        reason: one or more full sentences, shown to the user as is (reference §5: a
            shortfall shows up asynchronously as CREATE FAILED with a failureReason).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
