"""What each domain use case (a recommender's recipe) needs and how it is served.

One job: the table of the service's ECOMMERCE and VIDEO_ON_DEMAND use cases (reference §6
"Domain use cases", §7 "Recommender", §8 "GetRecommendations"): the datasets and event
types each trains on, the ids GetRecommendations needs, whether ``itemExplorationConfig``
applies, and which local algorithm stands in for the service's model. Plain data and
functions, no I/O. Callers: the local target's control plane (``CreateRecommender``),
its trainer (``training/recommenders.py``) and its runtime (``GetRecommendations`` with
``recommenderArn``).

Sources: the Developer Guide's use-case pages (``ECOMMERCE-use-cases``,
``VIDEO_ON_DEMAND-use-cases``): every use case needs at least 1000 interactions and 25
users with 2 or more; "Required event types" lists the event types that need at least
1000 events each. Event types are compared without regard to case (a local choice: the
guide spells them ``View``, ``Purchase``, ``Watch``, ``Click``).
"""

from __future__ import annotations

from dataclasses import dataclass

from personalize_reconcile.rules.recipes import RECIPE_ARN_PREFIX, recipe_name

MIN_EVENTS_PER_REQUIRED_TYPE = 1000
"""The use-case pages: "At minimum, 1000 <type> events" for each required event type."""


@dataclass(frozen=True)
class UseCase:
    """One domain use case.

    Attributes:
        name: the recipe's short name (``aws-ecomm-frequently-bought-together``).
        domain: ``ECOMMERCE`` or ``VIDEO_ON_DEMAND``.
        algorithm: the custom recipe whose local algorithm trains it
            (``aws-user-personalization-v2``: ALS; ``aws-sims``: item co-occurrence;
            ``aws-popularity-count``: distinct users per item; ``aws-trending-now``).
        required_events: event types (as the guide spells them) that need at least
            :data:`MIN_EVENTS_PER_REQUIRED_TYPE` events each.
        train_events: the event types the model trains on; ``None``: every event.
        datasets: dataset types (upper case) that must exist and hold imported data.
        user_id: GetRecommendations requires ``userId``.
        item_id: GetRecommendations requires ``itemId``.
        exploration: ``recommenderConfig.itemExplorationConfig`` is accepted (reference §7:
            only "Top picks for you" and "Recommended for you").
    """

    name: str
    domain: str
    algorithm: str
    required_events: tuple[str, ...]
    train_events: tuple[str, ...] | None
    datasets: tuple[str, ...]
    user_id: bool
    item_id: bool
    exploration: bool = False

    @property
    def arn(self) -> str:
        """The use case's recipe ARN (``arn:aws:personalize:::recipe/<name>``)."""
        return RECIPE_ARN_PREFIX + self.name


_I = ("INTERACTIONS",)
_ALS = "aws-user-personalization-v2"
_SIMS = "aws-sims"
_POP = "aws-popularity-count"

USE_CASES: dict[str, UseCase] = {
    u.name: u
    for u in (
        UseCase(
            "aws-ecomm-customers-who-viewed-x-also-viewed",
            "ECOMMERCE",
            _SIMS,
            ("View",),
            ("View",),
            _I,
            user_id=True,
            item_id=True,
        ),
        UseCase(
            "aws-ecomm-frequently-bought-together",
            "ECOMMERCE",
            _SIMS,
            ("Purchase",),
            ("Purchase",),
            _I,
            user_id=False,
            item_id=True,
        ),
        UseCase(
            "aws-ecomm-popular-items-by-purchases",
            "ECOMMERCE",
            _POP,
            ("Purchase",),
            ("Purchase",),
            _I,
            user_id=True,
            item_id=False,
        ),
        UseCase(
            "aws-ecomm-popular-items-by-views",
            "ECOMMERCE",
            _POP,
            ("View",),
            ("View",),
            _I,
            user_id=True,
            item_id=False,
        ),
        UseCase(
            "aws-ecomm-recommended-for-you",
            "ECOMMERCE",
            _ALS,
            ("View",),
            None,
            _I,
            user_id=True,
            item_id=False,
            exploration=True,
        ),
        UseCase(
            "aws-vod-because-you-watched-x",
            "VIDEO_ON_DEMAND",
            _SIMS,
            ("Watch",),
            ("Watch",),
            _I,
            user_id=True,
            item_id=True,
        ),
        UseCase(
            "aws-vod-more-like-x",
            "VIDEO_ON_DEMAND",
            _SIMS,
            (),
            None,
            ("INTERACTIONS", "ITEMS"),
            user_id=True,
            item_id=True,
        ),
        UseCase(
            "aws-vod-most-popular",
            "VIDEO_ON_DEMAND",
            _POP,
            ("Watch",),
            ("Watch",),
            _I,
            user_id=True,
            item_id=False,
        ),
        UseCase(
            "aws-vod-trending-now",
            "VIDEO_ON_DEMAND",
            "aws-trending-now",
            (),
            None,
            _I,
            user_id=True,
            item_id=False,
        ),
        UseCase(
            "aws-vod-top-picks",
            "VIDEO_ON_DEMAND",
            _ALS,
            ("Watch", "Click"),
            None,
            _I,
            user_id=True,
            item_id=False,
            exploration=True,
        ),
    )
}
"""Every domain use case by short name."""


def lookup(recipe: str) -> UseCase | None:
    """The use case of a recipe ARN or short name, or ``None`` for anything else."""
    return USE_CASES.get(recipe_name(recipe))


def of_domain(domain: str) -> list[UseCase]:
    """The use cases of ``domain`` (``ECOMMERCE`` or ``VIDEO_ON_DEMAND``), in table order."""
    return [u for u in USE_CASES.values() if u.domain == domain]


def dataset_word(dataset_type: str) -> str:
    """``INTERACTIONS`` -> ``Interactions`` (how the guide names a dataset type)."""
    return dataset_type.capitalize()
