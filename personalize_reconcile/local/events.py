"""The personalize-events API of the local target: PutEvents, PutItems, PutUsers, PutActions
and PutActionInteractions (reference §8 "Cold start", the botocore model for shapes).

One job: check one personalize-events request against its dataset's schema and keep its
records in the dataset store (``datastore.DatasetStore.put_records``) as records put one by
one, so the next training reads them and the runtime sees a user's recent events
(``runtime``). Caller: ``responses`` through ``seams.events_answer``.

Rules:

- PutEvents / PutActionInteractions: ``trackingId`` must be the trackingId of an event
  tracker of the caller's account and region; the records go to the tracker's group's
  Interactions (Action_Interactions) dataset, which must exist and be ACTIVE. USER_ID is
  ``userId``, or ``sessionId`` when no userId is given (anonymous users, reference §8);
  TIMESTAMP is ``sentAt`` (``timestamp``) in whole epoch seconds; ``eventType``,
  ``eventValue``, ``impression`` (joined with ``|``) and ``recommendationId`` fill
  EVENT_TYPE, EVENT_VALUE, IMPRESSION and RECOMMENDATION_ID when the schema has them.
- PutItems / PutUsers / PutActions: ``datasetArn`` must be the caller's Items / Users /
  Actions dataset, ACTIVE; a record with the ID of a stored one replaces it.
- After PutEvents records events into a group with an ACTIVE metric attribution, the
  metrics' values over every recorded event are written to its output path
  (``attribution``).
- ``properties`` is a JSON object whose keys are the schema's other fields, by name or in
  camel case (``numberOfRatings`` for NUMBER_OF_RATINGS); values must fit the field's type
  (numbers may come as strings, a categorical list as a JSON list); every required field
  must be given. Lengths and counts (at most 10 records a call) are checked against the
  botocore model before this module runs.

Errors (InvalidInputException 400, ResourceNotFoundException 404, ResourceInUseException
409): see each function.
"""

from __future__ import annotations

import json
import logging
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from personalize_reconcile.local.attribution import compute, publish
from personalize_reconcile.local.datastore import DatasetStore
from personalize_reconcile.local.exceptions import (
    InvalidInputException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from personalize_reconcile.local.objectstore import ObjectStoreError, open_object_store
from personalize_reconcile.rules.avro import Field, parse_fields

log = logging.getLogger(__name__)

S3_ENDPOINT_ENV = "PRECONCILE_LOCAL_S3_ENDPOINT_URL"
"""As ``seams.S3_ENDPOINT_ENV``: metric values go through that S3 endpoint when it is set."""

SET_BY_EVENT = ("USER_ID", "ITEM_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE")
"""Fields a PutEvents / PutActionInteractions call fills from its own members, never from
``properties``."""
ID_OF = {
    "ITEMS": ("ITEM_ID", "itemId"),
    "USERS": ("USER_ID", "userId"),
    "ACTIONS": ("ACTION_ID", "actionId"),
}
"""Dataset type -> (ID field, request member) for PutItems, PutUsers and PutActions."""
_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def camel(name: str) -> str:
    """The camel-case property key of a schema field (``NUMBER_OF_RATINGS`` ->
    ``numberOfRatings``), as PutEvents / PutItems ``properties`` name it."""
    parts = [p for p in name.lower().split("_") if p]
    return parts[0] + "".join(p.capitalize() for p in parts[1:]) if parts else name


def _typed(f: Field, value: Any, where: str) -> Any:
    """``value`` of a JSON property as the datastore keeps field ``f``.

    Raises:
        InvalidInputException: the value does not fit the field's type.
    """
    if value is None:
        if f.nullable:
            return None
        raise InvalidInputException(f"{where}: {f.name} is required and cannot be null.")
    t = f.type
    if t == "string":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "|".join(value)
        if isinstance(value, str):
            return value
        raise InvalidInputException(f"{where}: {f.name} must be a string, not {json.dumps(value)}.")
    if t in ("int", "long"):
        number = value
        if isinstance(value, str) and value.lstrip("-").isdigit():
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidInputException(
                f"{where}: {f.name} must be {'an int' if t == 'int' else 'a long'} "
                f"(a whole number), not {json.dumps(value)}."
            )
        lo, hi = _INT_RANGE[t]
        if not lo <= number <= hi:
            raise InvalidInputException(f"{where}: {f.name} value {number} is out of range.")
        return number
    if t in ("float", "double"):
        number = value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = value
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise InvalidInputException(
                f"{where}: {f.name} must be a number, not {json.dumps(value)}."
            )
        if not math.isfinite(float(number)):
            raise InvalidInputException(f"{where}: {f.name} must be a finite number.")
        return float(number)
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise InvalidInputException(
            f"{where}: {f.name} must be true or false, not {json.dumps(value)}."
        )
    raise InvalidInputException(f"{where}: {f.name} has type {t} and cannot be set.")


def _properties(
    fields: list[Field], text: str | None, where: str, reserved: tuple[str, ...]
) -> dict[str, Any]:
    """The schema fields set by a ``properties`` JSON object (keys by name or camel case).

    Raises:
        InvalidInputException: not a JSON object, an unknown key, or a bad value.
    """
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidInputException(f"{where}.properties is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidInputException(f"{where}.properties must be a JSON object.")
    by_key = {}
    for f in fields:
        if f.name in reserved:
            continue
        by_key[f.name] = f
        by_key[camel(f.name)] = f
    out: dict[str, Any] = {}
    for key, value in data.items():
        f = by_key.get(key)
        if f is None:
            known = sorted(camel(f.name) for f in fields if f.name not in reserved)
            raise InvalidInputException(
                f"{where}.properties has {key!r}, which is not a field of the dataset's "
                f"schema; known properties: {', '.join(known) or 'none'}."
            )
        out[f.name] = _typed(f, value, f"{where}.properties")
    return out


def _complete(fields: list[Field], record: dict[str, Any], where: str) -> dict[str, Any]:
    """``record`` with every required field present.

    Raises:
        InvalidInputException: a required (non-nullable) field has no value.
    """
    missing = [f.name for f in fields if not f.nullable and record.get(f.name) is None]
    if missing:
        raise InvalidInputException(
            f"{where} has no value for {', '.join(missing)}, which the dataset's schema "
            "requires; set it in properties (in camel case: "
            f"{', '.join(camel(m) for m in missing)})."
        )
    return record


class _Target:
    """The dataset a request writes into: its ARN, type and schema fields."""

    def __init__(self, arn: str, dtype: str, fields: list[Field]) -> None:
        self.arn = arn
        self.dtype = dtype
        self.fields = fields


def _fields_of(ctx: Any, ds: Any) -> list[Field]:
    schema = ctx.service.store.get(ds.body.get("schemaArn") or "")
    if schema is None:
        raise ResourceNotFoundException(f"The schema of dataset {ds.arn} no longer exists.")
    return parse_fields(json.loads(schema.body["schema"]))


def _dataset(ctx: Any, arn: str, dtype: str, operation: str) -> _Target:
    """The caller's dataset ``arn`` of type ``dtype`` (PutItems/PutUsers/PutActions).

    Raises:
        ResourceNotFoundException: no such dataset of the caller's.
        InvalidInputException: a dataset of another type.
        ResourceInUseException: the dataset is not ACTIVE.
    """
    ds = ctx.service.store.get(arn)
    if ds is None or ds.kind != "dataset" or ds.account != ctx.account or ds.region != ctx.region:
        raise ResourceNotFoundException(f"Could not find dataset {arn}.")
    actual = ds.body.get("datasetType")
    if actual != dtype:
        raise InvalidInputException(
            f"{operation} needs a dataset of type {dtype}; {arn} is of type {actual}."
        )
    if ds.status != "ACTIVE":
        raise ResourceInUseException(f"Dataset {arn} is not ACTIVE (status {ds.status}).")
    return _Target(ds.arn, dtype, _fields_of(ctx, ds))


def _publish_metrics(ctx: Any, interactions_arn: str) -> None:
    """Recompute and write the values of the group's metric attribution (``attribution``)
    after events were recorded into ``interactions_arn``; nothing when the group has no
    ACTIVE attribution. A path that cannot be written is logged, not an error of the
    PutEvents call (the service reports metrics asynchronously too)."""
    store = ctx.service.store
    ds = store.get(interactions_arn)
    found = store.select(None, "kind='metric-attribution' AND grp=? AND status='ACTIVE'", (ds.grp,))
    if not found:
        return
    attribution = found[0]
    items = store.select(None, "kind='dataset' AND grp=? AND arn LIKE ?", (ds.grp, "%/ITEMS"))
    state_dir = Path(ctx.service.config.state_dir)
    values = compute(
        DatasetStore(state_dir),
        attribution.extra.get("metrics", []),
        interactions_arn,
        items[0].arn if items else None,
    )
    path = attribution.body["metricsOutputConfig"].get("s3DataDestination", {}).get("path")
    if not path:
        return
    try:
        publish(open_object_store(state_dir, os.environ.get(S3_ENDPOINT_ENV) or None), path, values)
    except ObjectStoreError as exc:
        log.warning("metric attribution %s: cannot write %s: %s", attribution.arn, path, exc)


def _tracked(ctx: Any, tracking_id: str, dtype: str) -> _Target:
    """The dataset of type ``dtype`` of the group whose event tracker has ``tracking_id``.

    Raises:
        InvalidInputException: no event tracker of the caller's has that trackingId
            (PutEvents; the botocore model lists no other error for it), or the group has
            no ACTIVE dataset of that type.
        ResourceNotFoundException: no such tracker, for PutActionInteractions.
    """
    store = ctx.service.store
    trackers = store.select(
        None, "kind='event-tracker' AND account=? AND region=?", (ctx.account, ctx.region)
    )
    tracker = next((t for t in trackers if t.body.get("trackingId") == tracking_id), None)
    if tracker is None:
        error = InvalidInputException if dtype == "INTERACTIONS" else ResourceNotFoundException
        raise error(
            f"No event tracker has trackingId {tracking_id}; use the trackingId that "
            "CreateEventTracker (or DescribeEventTracker) returned."
        )
    found = store.select(
        None, "kind='dataset' AND grp=? AND arn LIKE ?", (tracker.grp, f"%/{dtype}")
    )
    ds = found[0] if found else None
    if ds is None or ds.status != "ACTIVE":
        noun = "Interactions" if dtype == "INTERACTIONS" else "Action_Interactions"
        raise InvalidInputException(
            f"Dataset group {tracker.grp} has no ACTIVE {noun} dataset; create one before "
            "recording events."
        )
    return _Target(ds.arn, dtype, _fields_of(ctx, ds))


def _seconds(value: Any, where: str) -> int:
    """A request timestamp as whole epoch seconds: botocore sends a number; an ISO 8601
    string (from a hand-written request) is read too.

    Raises:
        InvalidInputException: neither a finite number nor an ISO 8601 date-time.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value):
            return int(math.floor(value))
    elif isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=timezone.utc)
            return int(math.floor(stamp.timestamp()))
    raise InvalidInputException(
        f"{where} {json.dumps(value)} is not a timestamp; send epoch seconds."
    )


def put_events(ctx: Any, params: dict) -> dict:
    """PutEvents: record ``eventList`` (1-10 events) for ``userId`` / ``sessionId`` into
    the tracker's group's Interactions dataset (rules in the module docstring).

    Returns:
        ``{}``.

    Raises:
        InvalidInputException: unknown trackingId, no ACTIVE Interactions dataset, an
            event without the itemId the schema requires, bad properties, or a missing
            required field.
    """
    target = _tracked(ctx, params["trackingId"], "INTERACTIONS")
    names = {f.name for f in target.fields}
    user = params.get("userId") or params["sessionId"]
    records = []
    for i, event in enumerate(params["eventList"]):
        where = f"eventList[{i}]"
        rec: dict[str, Any] = _properties(
            target.fields, event.get("properties"), where, SET_BY_EVENT
        )
        rec["USER_ID"] = user
        rec["TIMESTAMP"] = _seconds(event["sentAt"], f"{where}.sentAt")
        if event.get("itemId") is not None:
            rec["ITEM_ID"] = event["itemId"]
        if "EVENT_TYPE" in names:
            rec["EVENT_TYPE"] = event["eventType"]
        if "EVENT_VALUE" in names and event.get("eventValue") is not None:
            rec["EVENT_VALUE"] = float(event["eventValue"])
        if "IMPRESSION" in names and event.get("impression"):
            rec["IMPRESSION"] = "|".join(event["impression"])
        if "RECOMMENDATION_ID" in names and event.get("recommendationId"):
            rec["RECOMMENDATION_ID"] = event["recommendationId"]
        if rec.get("ITEM_ID") is None and "ITEM_ID" in names:
            raise InvalidInputException(
                f"{where} has no itemId; the Interactions dataset's schema requires ITEM_ID."
            )
        records.append(_complete(target.fields, rec, where))
    _store(ctx, target, records)
    _publish_metrics(ctx, target.arn)
    return {}


def put_action_interactions(ctx: Any, params: dict) -> dict:
    """PutActionInteractions: record ``actionInteractions`` (1-10) into the tracker's
    group's Action_Interactions dataset.

    Returns:
        ``{}``.

    Raises:
        ResourceNotFoundException, InvalidInputException: as :func:`put_events`.
    """
    target = _tracked(ctx, params["trackingId"], "ACTION_INTERACTIONS")
    names = {f.name for f in target.fields}
    records = []
    for i, event in enumerate(params["actionInteractions"]):
        where = f"actionInteractions[{i}]"
        rec = _properties(target.fields, event.get("properties"), where, SET_BY_EVENT)
        rec.update(
            ACTION_ID=event["actionId"],
            USER_ID=event.get("userId") or event["sessionId"],
            TIMESTAMP=_seconds(event["timestamp"], f"{where}.timestamp"),
            EVENT_TYPE=event["eventType"],
        )
        for member, name in (("recommendationId", "RECOMMENDATION_ID"), ("eventId", "EVENT_ID")):
            if name in names and event.get(member):
                rec[name] = event[member]
        if "IMPRESSION" in names and event.get("impression"):
            rec["IMPRESSION"] = "|".join(event["impression"])
        kept = {k: v for k, v in rec.items() if k in names}
        records.append(_complete(target.fields, kept, where))
    _store(ctx, target, records)
    return {}


def _put_catalogue(ctx: Any, params: dict, dtype: str, member: str, operation: str) -> dict:
    target = _dataset(ctx, params["datasetArn"], dtype, operation)
    id_field, id_member = ID_OF[dtype]
    records = []
    for i, entry in enumerate(params[member]):
        where = f"{member}[{i}]"
        rec = _properties(target.fields, entry.get("properties"), where, (id_field,))
        rec[id_field] = entry[id_member]
        records.append(_complete(target.fields, rec, where))
    _store(ctx, target, records)
    return {}


def put_items(ctx: Any, params: dict) -> dict:
    """PutItems: add or replace 1-10 records of an Items dataset.

    Raises:
        ResourceNotFoundException: no such dataset. InvalidInputException: not an Items
        dataset, bad properties, a missing required field. ResourceInUseException: the
        dataset is not ACTIVE.
    """
    return _put_catalogue(ctx, params, "ITEMS", "items", "PutItems")


def put_users(ctx: Any, params: dict) -> dict:
    """PutUsers: add or replace 1-10 records of a Users dataset (errors as :func:`put_items`)."""
    return _put_catalogue(ctx, params, "USERS", "users", "PutUsers")


def put_actions(ctx: Any, params: dict) -> dict:
    """PutActions: add or replace 1-10 records of an Actions dataset (errors as
    :func:`put_items`)."""
    return _put_catalogue(ctx, params, "ACTIONS", "actions", "PutActions")


def _store(ctx: Any, target: _Target, records: list[dict[str, Any]]) -> None:
    DatasetStore(Path(ctx.service.config.state_dir)).put_records(
        target.arn, target.fields, records, dataset_type=target.dtype
    )
    # the runtime keeps what it read of the records until the state database changes
    ctx.service.store.touch(f"records:{target.arn}")


_OPERATIONS = {
    "PutEvents": put_events,
    "PutItems": put_items,
    "PutUsers": put_users,
    "PutActions": put_actions,
    "PutActionInteractions": put_action_interactions,
}


def dispatch(ctx: Any, operation: str, params: dict) -> dict:
    """Answer one personalize-events operation (``params`` already validated against the
    botocore input shape).

    Raises:
        The errors of each operation; UnknownOperationException for another name.
    """
    handler = _OPERATIONS.get(operation)
    if handler is None:
        from personalize_reconcile.local.exceptions import UnknownOperationException

        raise UnknownOperationException(
            f"The local target does not implement personalize-events {operation}."
        )
    return handler(ctx, params)
