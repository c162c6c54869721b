"""User segmentation for aws-item-affinity and aws-item-attribute-affinity.

One job: the model behind batch segment jobs. It is ALS (``als.AlsModel``: user and item
factors from the interactions) turned around: for an item, every trained user is scored
by the dot product of their factors with the item's, and the segment is the best-scoring
users. For an attribute expression (Item-Attribute-Affinity) the item factor is the mean
of the factors of the items the expression selects (``attribute_expressions``), so a user
scores by their mean affinity to those items. Item-Attribute-Affinity models also carry
the profiled Items attributes (``attributes.AttributeTable``). Callers: ``trainer`` fits
it; ``local/segments.py`` (batch segment jobs) serves it through ``serving``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from personalize_reconcile.local.training import attribute_expressions
from personalize_reconcile.local.training.als import AlsModel
from personalize_reconcile.local.training.attributes import AttributeTable
from personalize_reconcile.local.training.data import Interactions
from personalize_reconcile.local.training.model import top_indices


class UnknownItem(ValueError):
    """The item was not in the data the version trained on; ``str()`` says so."""


class SegmentModel(AlsModel):
    """ALS factors served as users per item (see the module docstring).

    Extra attribute: ``attributes`` (:class:`AttributeTable`; empty for Item-Affinity).
    """

    kind = "segment"
    scored = False

    def __init__(self, *args: Any, attributes: AttributeTable | None = None) -> None:
        super().__init__(*args)
        self.attributes = attributes or AttributeTable.empty()

    @classmethod
    def fit(cls, inter: Interactions, values: dict[str, Any], meta: dict[str, Any]) -> SegmentModel:
        """Fit ALS on ``inter`` with the resolved settings ``values`` (hyperparams module)."""
        als = AlsModel.fit(inter, values, meta)
        return cls(
            als.item_ids,
            als.user_ids,
            als.popularity,
            meta,
            als.user_factors,
            als.item_factors,
        )

    def with_attributes(self, attributes: AttributeTable) -> SegmentModel:
        """This model carrying ``attributes`` (Item-Attribute-Affinity)."""
        self.attributes = attributes
        return self

    # ------------------------------------------------------------------ serving
    def top_users(self, item_factor: np.ndarray, n: int) -> list[str]:
        """The ``n`` users (ids) whose factors score highest against ``item_factor``
        (``(f,)`` float32), best first; ties by user id."""
        scores = self.user_factors @ item_factor
        return self.user_ids[top_indices(scores, n)].tolist()

    def users_for_item(self, item_id: str, n: int) -> list[str]:
        """Item-Affinity: the ``n`` users most likely to interact with ``item_id``.

        Raises:
            UnknownItem: the item was not in the training data (the developer guide: "the
                item must have been present when you created the solution version").
        """
        idx = self.item_index(item_id)
        if idx is None:
            raise UnknownItem(
                f"item {item_id!r} was not in the data this solution version trained on"
            )
        return self.top_users(self.item_factors[idx], n)

    def users_for_attributes(self, expression: str, n: int) -> list[str]:
        """Item-Attribute-Affinity: the ``n`` users most drawn to the items
        ``expression`` selects (mean item factor).

        Raises:
            attribute_expressions.ExpressionError: unreadable expression or unknown column.
            UnknownItem: no trained item has those attributes.
        """
        items = attribute_expressions.matching_items(self.attributes, expression)
        if items.shape[0] == 0:
            raise UnknownItem(f"itemAttributes {expression!r} selects no item of the training data")
        return self.top_users(self.item_factors[items].mean(axis=0), n)

    # ------------------------------------------------------------------ storage
    def arrays(self) -> dict[str, np.ndarray]:
        """ALS arrays plus the attribute table."""
        return {
            **super().arrays(),
            "attr_columns": self.attributes.columns,
            "attr_item": self.attributes.item,
            "attr_column": self.attributes.column,
            "attr_value": self.attributes.value,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> SegmentModel:
        """Rebuild a saved segmentation model."""
        return cls(
            arrays["item_ids"],
            arrays["user_ids"],
            arrays["popularity"],
            meta,
            arrays["user_factors"],
            arrays["item_factors"],
            attributes=AttributeTable(
                arrays["attr_columns"],
                arrays["attr_item"],
                arrays["attr_column"],
                arrays["attr_value"],
            ),
        )
