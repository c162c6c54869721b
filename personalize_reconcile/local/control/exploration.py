"""The ``itemExplorationConfig`` rules that campaigns and recommenders share.

One job: check the keys and bounds of an ``itemExplorationConfig`` map (reference §7:
a string -> string map with ``explorationWeight``, a number from 0 to 1, and
``explorationItemAgeCutOff``, days, at least 1). Which recipes or use cases accept it is
the caller's rule. Callers: ``campaigns`` (campaignConfig) and ``recommenders``
(recommenderConfig).
"""

from __future__ import annotations

from personalize_reconcile.local.exceptions import InvalidInputException

KEYS = ("explorationWeight", "explorationItemAgeCutOff")
"""The keys reference §7 documents."""


def check_exploration(explore: dict[str, str]) -> None:
    """Refuse unknown keys and values out of bounds.

    Raises:
        InvalidInputException: ``Unknown itemExplorationConfig key 'x'; valid keys:
            explorationWeight, explorationItemAgeCutOff.``, ``itemExplorationConfig.<key>
            must be a number, not 'x'.``, ``itemExplorationConfig.explorationWeight must be
            between 0 and 1.`` or ``itemExplorationConfig.explorationItemAgeCutOff must be
            at least 1.``
    """
    for key, value in explore.items():
        if key not in KEYS:
            raise InvalidInputException(
                f"Unknown itemExplorationConfig key {key!r}; valid keys: {', '.join(KEYS)}."
            )
        try:
            number = float(value)
        except ValueError:
            raise InvalidInputException(
                f"itemExplorationConfig.{key} must be a number, not {value!r}."
            ) from None
        if key == "explorationWeight" and not 0 <= number <= 1:
            raise InvalidInputException(
                "itemExplorationConfig.explorationWeight must be between 0 and 1."
            )
        if key == "explorationItemAgeCutOff" and not number >= 1:  # NaN too
            raise InvalidInputException(
                "itemExplorationConfig.explorationItemAgeCutOff must be at least 1."
            )
