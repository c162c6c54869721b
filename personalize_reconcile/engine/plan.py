"""Plan types as plain data, and the versioned JSON document rendered from them.

One job: the plan's contract (design §5). A :class:`Plan` holds one :class:`Change` per
resource; :meth:`Plan.to_json` is the machine-readable form printed by ``plan --json``;
the human view (``personalize_reconcile.render``) is rendered from the same data.

Callers: the planner (``engine/planner.py``), apply, destroy, ``render/human.py`` and the
CLI's ``--json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from personalize_reconcile.resources import UNKNOWN

FORMAT_VERSION = "1.0"

CREATE, UPDATE, DELETE, NOOP = "create", "update", "delete", "no-op"
REPLACE = (DELETE, CREATE)
CREATE_FIRST = (CREATE, DELETE)
"""A replacement made new-one-first: the new resource (under another name) is created, its
dependents move to it, then the old one is deleted."""


@dataclass
class FieldChange:
    """One changed field: dotted ``path`` (API names), ``before`` and ``after`` values
    (``after`` may be :data:`UNKNOWN`), and whether it forces replacement."""

    path: str
    before: Any
    after: Any
    forces_replacement: bool = False


@dataclass
class Change:
    """What apply will do to one resource.

    Attributes:
        address: ``<type>.<name>`` as in the manifest (``campaign.shop``).
        type: the resource kind.
        name: the name in the service (generated names may be :data:`UNKNOWN`).
        actions: ``["create"]``, ``["update"]``, ``["delete", "create"]`` (replace),
            ``["create", "delete"]`` (replace, the new one first: :data:`CREATE_FIRST`),
            ``["delete"]`` or ``["no-op"]``.
        reason: a short human reason; apply never branches on it.
        changes: the changed fields.
        replace_paths: the fields that force replacement (or the address whose
            replacement forces this one, as ``"<address>"``).
        wait: the resource exists but has not settled; apply waits for it.
        arn: the live ARN, when the resource exists.
        adopt: the resource exists but is not this manifest's (see
            :mod:`personalize_reconcile.engine.ownership`) and differs from the manifest,
            so changing it needs ``--adopt``, and replacing it ``--adopt`` and
            ``--allow-replace`` (design §4, issue 11).
        adopting: the resource exists, is not this manifest's and equals the manifest:
            apply adopts it (tags it, or, for a schema, which takes no tags, uses it).
        foreign: why the resource is not this manifest's (``exists without the tag
            preconcile:manifest=<name>``...); empty when it is, or when it does not exist.
        in_use: for a schema that is not this manifest's and would be replaced, the
            dataset groups whose datasets use it and stay: the service deletes no schema a
            dataset uses (reference §3), so no flag lets apply replace it.
    """

    address: str
    type: str
    name: Any
    actions: list[str]
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    replace_paths: list[str] = field(default_factory=list)
    wait: bool = False
    arn: str | None = None
    adopt: bool = False
    adopting: bool = False
    foreign: str = ""
    in_use: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        """``create``, ``update``, ``replace``, ``delete`` or ``no-op``."""
        return "replace" if tuple(self.actions) in (REPLACE, CREATE_FIRST) else self.actions[0]

    @property
    def create_first(self) -> bool:
        """Whether this is a replacement that creates the new resource first."""
        return tuple(self.actions) == CREATE_FIRST

    def to_json(self) -> dict[str, Any]:
        """The change as JSON-ready data (see :meth:`Plan.to_json`)."""
        return {
            "address": self.address,
            "type": self.type,
            "name": _json_value(self.name),
            "actions": list(self.actions),
            "reason": self.reason,
            "changes": [
                {
                    "path": c.path,
                    "before": _json_value(c.before),
                    "after": _json_value(c.after),
                    "forces_replacement": c.forces_replacement,
                }
                for c in self.changes
            ],
            "replace_paths": list(self.replace_paths),
            "requires_adopt": self.adopt,
            "adopting": self.adopting,
        }


@dataclass
class Plan:
    """A whole plan: target, manifest and one change per resource, in dependency order."""

    target: str
    region: str
    manifest: str
    manifest_name: str
    changes: list[Change] = field(default_factory=list)
    untagged: list[str] = field(default_factory=list)
    """Addresses of resources that exist without this manifest's ownership tag, equal the
    manifest and are used as they are (no-ops); ``--adopt`` tags them
    (``engine/ownership.py``)."""

    def summary(self) -> dict[str, int]:
        """Counts per action: ``create``, ``update``, ``replace``, ``delete``, ``no-op``."""
        out = {"create": 0, "update": 0, "replace": 0, "delete": 0, "no-op": 0}
        for c in self.changes:
            out[c.action] += 1
        return out

    @property
    def has_changes(self) -> bool:
        """Whether apply would change anything (waits for pending resources do not count)."""
        return any(c.action != NOOP for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        """The versioned JSON plan::

            {"format_version": "1.0", "target": "local", "region": "us-east-1",
             "manifest": {"path": ..., "name": ...},
             "resource_changes": [{"address", "type", "name", "actions", "reason",
                                   "changes": [{"path", "before", "after",
                                                "forces_replacement"}],
                                   "replace_paths", "requires_adopt", "adopting"}],
             "summary": {"create": n, "update": n, "replace": n, "delete": n, "no-op": n},
             "has_changes": bool}

        Values known only after apply are the string ``"(known after apply)"``.
        """
        return {
            "format_version": FORMAT_VERSION,
            "target": self.target,
            "region": self.region,
            "manifest": {"path": self.manifest, "name": self.manifest_name},
            "resource_changes": [c.to_json() for c in self.changes],
            "summary": self.summary(),
            "has_changes": self.has_changes,
        }


def _json_value(value: Any) -> Any:
    if value is UNKNOWN:
        return "(known after apply)"
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value
