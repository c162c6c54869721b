"""The control-plane rules of the local Personalize: what each operation checks, stores
and answers.

One job: implement the personalize (control plane) operations on top of
:class:`~personalize_reconcile.local.store.Store`, raising the service's errors
(:mod:`personalize_reconcile.local.exceptions`) and scheduling asynchronous work as job
rows (:mod:`personalize_reconcile.local.jobs`; what the steps do is in ``lifecycle``).
Requests arrive already validated against the botocore input shape (``responses`` does
that); answers are plain data in the operation's output shape, timestamps as epoch
seconds. Callers: ``responses`` (dispatch) and ``lifecycle`` (:func:`describe`).

Sources: reference §1 (ARNs, names, uniqueness), §2 (fields, statuses, ``latest*Update``,
List vs Describe), §3 (prerequisites, delete preconditions, error codes), §4 (schemas,
UpdateDataset), §5 (imports), §6 (recipes, solution flags, training modes), §7 (campaigns),
§9 (quotas); the botocore model for shapes.

Not modeled (said here rather than faked): automatic training (``performAutoTraining``
is stored and shown, default true, but no AUTOMATIC version is ever created), HPO and
AutoML runs (``autoMLResult`` names the first listed recipe), the 2-hourly campaign
auto-updates, KMS, IAM and S3 permission checks, recommenders, batch jobs, metric
attributions, exports and data-deletion jobs (UnknownOperationException).

Error messages (the service's exact wording is unconfirmed, reference §10):
``Resource Arn <arn> does not exist.``, ``Another resource with Arn <arn> already
exists.``, ``Resource Arn <arn> is in <status> state; it must be ACTIVE.``, and for deletes
``Resource Arn <arn> is in use by <dependent arn>.``
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sqlite3
import time
import uuid
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore import xform_name

from personalize_reconcile.local import jobs
from personalize_reconcile.local.exceptions import (
    InvalidInputException,
    InvalidNextTokenException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
    TooManyTagKeysException,
    TooManyTagsException,
    UnknownOperationException,
)
from personalize_reconcile.local.store import Resource
from personalize_reconcile.rules import avro, recipes
from personalize_reconcile.rules.problems import dotted
from personalize_reconcile.rules.shapes import service_model

if TYPE_CHECKING:
    from personalize_reconcile.local.service import LocalService

# -- statuses (reference §2: strings with spaces) ---------------------------------------
CREATE_PENDING = "CREATE PENDING"
CREATE_IN_PROGRESS = "CREATE IN_PROGRESS"
ACTIVE = "ACTIVE"
CREATE_FAILED = "CREATE FAILED"
CREATE_STOPPING = "CREATE STOPPING"
CREATE_STOPPED = "CREATE STOPPED"
DELETE_PENDING = "DELETE PENDING"
DELETE_IN_PROGRESS = "DELETE IN_PROGRESS"

CREATING = (CREATE_PENDING, CREATE_IN_PROGRESS)
DELETING = (DELETE_PENDING, DELETE_IN_PROGRESS)

# -- quotas (reference §9, the documented defaults) ---------------------------------------
LIMITS = {
    "dataset-groups-per-region": 5,
    "schemas-per-region": 500,
    "import-jobs-in-progress-per-region": 5,
    "solution-versions-in-progress-per-region": 20,
    "solutions-per-group": 10,
    "campaigns-per-group": 5,
    "filters-per-group": 30,
    "tags-per-resource": 50,
}

HEAVY_KINDS = ("dataset-import-job", "solution-version")
"""Kinds whose CREATE IN_PROGRESS phase does real work in a worker thread."""

DESCRIBE_KEY = {
    "dataset-group": "datasetGroup",
    "schema": "schema",
    "dataset": "dataset",
    "dataset-import-job": "datasetImportJob",
    "event-tracker": "eventTracker",
    "filter": "filter",
    "solution": "solution",
    "solution-version": "solutionVersion",
    "campaign": "campaign",
}
ARN_KEY = {
    "dataset-group": "datasetGroupArn",
    "schema": "schemaArn",
    "dataset": "datasetArn",
    "dataset-import-job": "datasetImportJobArn",
    "event-tracker": "eventTrackerArn",
    "filter": "filterArn",
    "solution": "solutionArn",
    "solution-version": "solutionVersionArn",
    "campaign": "campaignArn",
}
LATEST_KEY = {
    "dataset": "latestDatasetUpdate",
    "solution": "latestSolutionUpdate",
    "campaign": "latestCampaignUpdate",
}
TAGGABLE = (
    "dataset-group",
    "dataset",
    "dataset-import-job",
    "event-tracker",
    "filter",
    "solution",
    "solution-version",
    "campaign",
)
_LABEL = {
    "dataset-group": "dataset group",
    "schema": "schema",
    "dataset": "dataset",
    "dataset-import-job": "dataset import job",
    "event-tracker": "event tracker",
    "filter": "filter",
    "solution": "solution",
    "solution-version": "solution version",
    "campaign": "campaign",
}

_ARN_RE = re.compile(r"arn:([a-z\d-]+):personalize:([^:]*):([^:]*):(.+)")
_FILTER_RE = re.compile(
    r"\s*(INCLUDE|EXCLUDE)\s+(ItemID|UserID|ActionID)\s+WHERE\s+\S.*", re.DOTALL
)
RECIPE_EPOCH = 1546300800.0
"""creationDateTime of the service recipes (2019-01-01T00:00:00Z)."""


@dataclass(frozen=True)
class RequestContext:
    """Who is asking: ``account`` (12 digits) and ``region`` of the caller's client, and
    the running target (``service``)."""

    account: str
    region: str
    service: LocalService


def partition(region: str) -> str:
    """The ARN partition of a region (``aws``, ``aws-cn``, ``aws-us-gov``)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def make_arn(ctx: RequestContext, resource_part: str) -> str:
    """``arn:{partition}:personalize:{region}:{account}:{resource_part}`` (reference §1)."""
    return f"arn:{partition(ctx.region)}:personalize:{ctx.region}:{ctx.account}:{resource_part}"


def not_found(arn: str) -> ResourceNotFoundException:
    """The error for an ARN that names nothing (reference §3)."""
    return ResourceNotFoundException(f"Resource Arn {arn} does not exist.")


def already_exists(arn: str) -> ResourceAlreadyExistsException:
    """The error for a name (hence ARN) that is taken (reference §1)."""
    return ResourceAlreadyExistsException(f"Another resource with Arn {arn} already exists.")


def not_active(res: Resource) -> ResourceInUseException:
    """The error for a resource in the wrong state for the operation (reference §3)."""
    return ResourceInUseException(
        f"Resource Arn {res.arn} is in {res.status} state; it must be ACTIVE."
    )


def describe(res: Resource, conn: sqlite3.Connection | None = None, store: Any = None) -> dict:
    """The Describe object of a stored resource (``datasetGroup``, ``solution``...).

    Fields computed from other rows (a dataset's ``trackingId``, a solution's
    ``latestSolutionVersion``) are filled in when ``store`` is given.
    """
    out = dict(res.body)
    if res.status is not None:
        out["status"] = res.status
    out["creationDateTime"] = res.created
    out["lastUpdatedDateTime"] = res.updated
    if store is not None:
        if res.kind == "dataset" and res.body.get("datasetType") == "INTERACTIONS":
            trackers = store.select(conn, "kind='event-tracker' AND grp=?", (res.grp,), 1)
            if trackers:
                out["trackingId"] = trackers[0].body["trackingId"]
        elif res.kind == "solution":
            versions = (
                store.conn()
                .execute(
                    "SELECT arn FROM resources WHERE kind='solution-version' AND parent=?"
                    " ORDER BY seq DESC LIMIT 1",
                    (res.arn,),
                )
                .fetchone()
            )
            if versions:
                v = store.get(versions[0], conn)
                if v is not None:
                    latest = {
                        k: v.body[k]
                        for k in ("solutionVersionArn", "trainingMode", "trainingType")
                        if k in v.body
                    }
                    latest.update(
                        status=v.status, creationDateTime=v.created, lastUpdatedDateTime=v.updated
                    )
                    if "failureReason" in v.body:
                        latest["failureReason"] = v.body["failureReason"]
                    out["latestSolutionVersion"] = latest
    return out


_SUMMARY_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {}


def _summary_fields(op: str) -> tuple[str, tuple[str, ...]]:
    """(result key, summary member names) of a List operation, from the botocore model."""
    if op not in _SUMMARY_FIELDS:
        out_shape = service_model("personalize").operation_model(op).output_shape
        key = next(k for k, v in out_shape.members.items() if v.type_name == "list")
        _SUMMARY_FIELDS[op] = (key, tuple(out_shape.members[key].member.members))
    return _SUMMARY_FIELDS[op]


def _encode_token(op: str, key: str, position: int) -> str:
    raw = json.dumps([op, key, position], separators=(",", ":")).encode()
    crc = zlib.crc32(raw).to_bytes(4, "big")
    return base64.urlsafe_b64encode(crc + raw).decode().rstrip("=")


def _decode_token(token: str, op: str, key: str) -> int:
    bad = InvalidNextTokenException("The nextToken is not valid for this request.")
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        crc, raw = data[:4], data[4:]
        if zlib.crc32(raw).to_bytes(4, "big") != crc:
            raise bad
        t_op, t_key, position = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise bad from None
    if t_op != op or t_key != key or not isinstance(position, int):
        raise bad
    return position


def _tag_list(tags: list[dict] | None) -> list[tuple[str, str]]:
    return [(t["tagKey"], t["tagValue"]) for t in tags or []]


class Personalize:
    """The control-plane operations. One instance per running target.

    Each public method is named after its operation in snake case (``create_dataset_group``)
    and takes ``(ctx, conn, params)``: the request context, a connection inside a write
    transaction (or a plain one for read-only operations, see :data:`READ_ONLY`) and the
    validated request parameters. It returns the output shape as plain data.
    """

    READ_ONLY = frozenset(
        {
            "DescribeDatasetGroup",
            "ListDatasetGroups",
            "DescribeSchema",
            "ListSchemas",
            "DescribeDataset",
            "ListDatasets",
            "DescribeDatasetImportJob",
            "ListDatasetImportJobs",
            "DescribeEventTracker",
            "ListEventTrackers",
            "DescribeFilter",
            "ListFilters",
            "DescribeSolution",
            "ListSolutions",
            "DescribeSolutionVersion",
            "ListSolutionVersions",
            "GetSolutionMetrics",
            "DescribeCampaign",
            "ListCampaigns",
            "DescribeRecipe",
            "ListRecipes",
            "ListTagsForResource",
        }
    )
    """Operations that only read (no write transaction needed)."""

    def __init__(self, service: LocalService) -> None:
        self.service = service
        self.store = service.store
        self.limits = dict(LIMITS)
        self._methods = {}
        for op in service_model("personalize").operation_names:
            fn = getattr(self, xform_name(op), None)
            if fn is not None:
                self._methods[op] = fn

    def call(self, ctx: RequestContext, op: str, params: dict) -> dict:
        """Run one operation. Raises the service's errors (``exceptions``)."""
        fn = self._methods.get(op)
        if fn is None:
            raise UnknownOperationException(
                f"The local Personalize target does not implement {op}."
            )
        if op in self.READ_ONLY:
            return fn(ctx, self.store.conn(), params)
        with self.store.write() as conn:
            out = fn(ctx, conn, params)
        self.service.runner.wake()
        return out

    # -- helpers -------------------------------------------------------------------------

    def _duration(self, kind: str) -> float:
        return self.service.config.duration(kind)

    def _load(self, ctx: RequestContext, conn: sqlite3.Connection, arn: str, kind: str) -> Resource:
        res = self.store.get(arn, conn)
        if (
            res is None
            or res.kind != kind
            or res.account != ctx.account
            or res.region != ctx.region
        ):
            raise not_found(arn)
        return res

    def _active(self, res: Resource) -> Resource:
        if res.status != ACTIVE:
            raise not_active(res)
        return res

    def _check_tags(self, tags: list[tuple[str, str]], existing: int = 0) -> None:
        for key, _ in tags:
            if key.lower().startswith("aws:"):
                raise InvalidInputException(f"Tag key {key!r} uses the reserved prefix 'aws:'.")
        keys = {k for k, _ in tags}
        if len(keys) + existing > self.limits["tags-per-resource"]:
            raise TooManyTagsException(
                f"A resource can have at most {self.limits['tags-per-resource']} tags."
            )

    def _create(
        self,
        ctx: RequestContext,
        conn: sqlite3.Connection,
        *,
        kind: str,
        arn: str,
        name: str | None,
        body: dict,
        parent: str | None = None,
        grp: str | None = None,
        tags: list[dict] | None = None,
        status: str | None = CREATE_PENDING,
        unique_name: bool = True,
    ) -> Resource:
        if self.store.get(arn, conn) is not None:
            raise already_exists(arn)
        if name is not None and unique_name:
            other = self.store.by_name(conn, kind, ctx.account, ctx.region, name)
            if other is not None or self.store.name_spent(
                conn, kind, ctx.account, ctx.region, name
            ):
                raise already_exists(other.arn if other else arn)
        tag_pairs = _tag_list(tags)
        self._check_tags(tag_pairs)
        now = time.time()
        res = Resource(
            arn=arn,
            kind=kind,
            account=ctx.account,
            region=ctx.region,
            name=name if unique_name else None,
            parent=parent,
            grp=grp,
            status=status,
            created=now,
            updated=now,
            body=body,
        )
        try:
            self.store.insert(conn, res)
        except sqlite3.IntegrityError:
            raise already_exists(arn) from None
        if tag_pairs:
            self.store.set_tags(conn, arn, tag_pairs)
        if status == CREATE_PENDING:
            d = self._duration(kind)
            jobs.schedule(
                conn,
                arn,
                "create",
                "start",
                now + 0.2 * d,
                payload={"requested": now, "duration": d},
            )
        return res

    def _delete(self, conn: sqlite3.Connection, res: Resource) -> None:
        if res.status in CREATING or res.status in DELETING or res.status == CREATE_STOPPING:
            raise ResourceInUseException(
                f"Resource Arn {res.arn} is in {res.status} state and cannot be deleted."
            )
        now = time.time()
        res.status = DELETE_PENDING
        self.store.save(conn, res)
        conn.execute("DELETE FROM jobs WHERE arn=?", (res.arn,))
        d = self._duration(res.kind)
        jobs.schedule(
            conn,
            res.arn,
            "delete",
            "start",
            now + 0.2 * d,
            payload={"requested": now, "duration": d},
        )

    def _in_use(self, res: Resource, users: list[Resource]) -> None:
        if users:
            raise ResourceInUseException(f"Resource Arn {res.arn} is in use by {users[0].arn}.")

    def _count(self, conn: sqlite3.Connection, where: str, args: tuple) -> int:
        return conn.execute(f"SELECT COUNT(*) FROM resources WHERE {where}", args).fetchone()[0]

    def _list(
        self,
        ctx: RequestContext,
        conn: sqlite3.Connection,
        op: str,
        kind: str,
        params: dict,
        filter_key: str | None = None,
        filter_column: str = "parent",
    ) -> dict:
        result_key, fields = _summary_fields(op)
        where = "kind=? AND account=? AND region=?"
        args: tuple = (kind, ctx.account, ctx.region)
        key_value = ""
        if filter_key and params.get(filter_key):
            key_value = params[filter_key]
            where += f" AND {filter_column}=?"
            args += (key_value,)
        after = 0
        if params.get("nextToken"):
            after = _decode_token(params["nextToken"], op, key_value)
        limit = params.get("maxResults") or 100
        rows = self.store.select(conn, where + " AND seq>?", args + (after,), limit + 1)
        items = []
        for res in rows[:limit]:
            full = describe(res)
            items.append({k: full[k] for k in fields if k in full})
        out: dict[str, Any] = {result_key: items}
        if len(rows) > limit:
            out["nextToken"] = _encode_token(op, key_value, rows[limit - 1].seq)
        return out

    def _describe_out(self, conn: sqlite3.Connection, res: Resource) -> dict:
        return {DESCRIBE_KEY[res.kind]: describe(res, conn, self.store)}

    def _parent_of(
        self, ctx: RequestContext, conn: sqlite3.Connection, arn: str, kind: str
    ) -> Resource:
        # A referenced parent must exist (NotFound) and be ACTIVE (InUse), reference §3.
        return self._active(self._load(ctx, conn, arn, kind))

    # -- dataset groups ------------------------------------------------------------------

    def create_dataset_group(
        self, ctx: RequestContext, conn: sqlite3.Connection, params: dict
    ) -> dict:
        """CreateDatasetGroup (reference §2): roleArn only together with kmsKeyArn."""
        if params.get("roleArn") and not params.get("kmsKeyArn"):
            raise InvalidInputException("roleArn can only be specified together with kmsKeyArn.")
        name = params["name"]
        arn = make_arn(ctx, f"dataset-group/{name}")
        if (
            self._count(
                conn,
                "kind='dataset-group' AND account=? AND region=? AND status NOT IN (?, ?)",
                (ctx.account, ctx.region, *DELETING),
            )
            >= self.limits["dataset-groups-per-region"]
            and self.store.get(arn, conn) is None
        ):
            raise LimitExceededException(
                f"You have reached the limit of {self.limits['dataset-groups-per-region']} "
                "dataset groups in this region."
            )
        body = {"name": name, "datasetGroupArn": arn}
        for key in ("roleArn", "kmsKeyArn", "domain"):
            if params.get(key):
                body[key] = params[key]
        self._create(
            ctx, conn, kind="dataset-group", arn=arn, name=name, body=body, tags=params.get("tags")
        )
        out = {"datasetGroupArn": arn}
        if params.get("domain"):
            out["domain"] = params["domain"]
        return out

    def describe_dataset_group(self, ctx, conn, params):
        """DescribeDatasetGroup."""
        return self._describe_out(
            conn, self._load(ctx, conn, params["datasetGroupArn"], "dataset-group")
        )

    def list_dataset_groups(self, ctx, conn, params):
        """ListDatasetGroups (whole account and region)."""
        return self._list(ctx, conn, "ListDatasetGroups", "dataset-group", params)

    def delete_dataset_group(self, ctx, conn, params):
        """DeleteDatasetGroup: trackers, solutions, filters and datasets must be gone
        (reference §3)."""
        res = self._load(ctx, conn, params["datasetGroupArn"], "dataset-group")
        self._delete_checks_state(res)
        self._in_use(
            res,
            self.store.select(
                conn,
                "grp=? AND kind IN ('event-tracker','solution','filter','dataset')",
                (res.arn,),
                1,
            ),
        )
        self._delete(conn, res)
        return {}

    def _delete_checks_state(self, res: Resource) -> None:
        if res.status in CREATING or res.status in DELETING:
            raise ResourceInUseException(
                f"Resource Arn {res.arn} is in {res.status} state and cannot be deleted."
            )

    # -- schemas -------------------------------------------------------------------------

    def create_schema(self, ctx, conn, params):
        """CreateSchema: the Avro document must pass ``rules.avro.schema_problems``
        (reference §4). Schemas have no status and are usable at once."""
        name = params["name"]
        arn = make_arn(ctx, f"schema/{name}")
        try:
            doc = json.loads(params["schema"])
        except ValueError as exc:
            raise InvalidInputException(f"The schema is not valid JSON: {exc}") from None
        problems = avro.schema_problems(doc)
        if problems:
            raise InvalidInputException(_schema_message(problems))
        if (
            self._count(conn, "kind='schema' AND account=? AND region=?", (ctx.account, ctx.region))
            >= self.limits["schemas-per-region"]
        ):
            raise LimitExceededException(
                f"You have reached the limit of {self.limits['schemas-per-region']} schemas "
                "in this region."
            )
        body = {"name": name, "schemaArn": arn, "schema": params["schema"]}
        if params.get("domain"):
            body["domain"] = params["domain"]
        self._create(ctx, conn, kind="schema", arn=arn, name=name, body=body, status=None)
        return {"schemaArn": arn}

    def describe_schema(self, ctx, conn, params):
        """DescribeSchema."""
        return self._describe_out(conn, self._load(ctx, conn, params["schemaArn"], "schema"))

    def list_schemas(self, ctx, conn, params):
        """ListSchemas."""
        return self._list(ctx, conn, "ListSchemas", "schema", params)

    def delete_schema(self, ctx, conn, params):
        """DeleteSchema: no dataset in any group may use it (reference §3). Immediate."""
        res = self._load(ctx, conn, params["schemaArn"], "schema")
        for ds in self.store.select(
            conn, "kind='dataset' AND account=? AND region=?", (ctx.account, ctx.region)
        ):
            pending = ds.body.get("latestDatasetUpdate", {})
            if ds.body.get("schemaArn") == res.arn or (
                pending.get("schemaArn") == res.arn and pending.get("status") != ACTIVE
            ):
                self._in_use(res, [ds])
        self.store.remove(conn, res.arn)
        return {}

    # -- datasets ------------------------------------------------------------------------

    def _schema_fits(self, schema: Resource, dataset_type: str, domain: str | None) -> None:
        doc = json.loads(schema.body["schema"])
        problems = avro.schema_problems(doc, avro.canonical_dataset_type(dataset_type), domain)
        if problems:
            raise InvalidInputException(
                f"Schema {schema.arn} does not fit a dataset of type {dataset_type}: "
                + _schema_message(problems, prefix=False)
            )

    def create_dataset(self, ctx, conn, params):
        """CreateDataset: group ACTIVE, one dataset per type, schema fits the type and the
        group's domain (reference §2-§4)."""
        group = self._parent_of(ctx, conn, params["datasetGroupArn"], "dataset-group")
        canonical = avro.canonical_dataset_type(params["datasetType"])
        if canonical is None:
            raise InvalidInputException(
                f"Invalid datasetType {params['datasetType']!r}; valid types: "
                + ", ".join(avro.DATASET_TYPES)
                + "."
            )
        dtype = canonical.upper()
        schema = self._load(ctx, conn, params["schemaArn"], "schema")
        domain = group.body.get("domain")
        if domain and canonical in ("Actions", "Action_Interactions"):
            raise InvalidInputException(
                f"A domain dataset group cannot have a dataset of type {canonical}."
            )
        if schema.body.get("domain") != domain:
            raise InvalidInputException(
                f"Schema {schema.arn} has domain {schema.body.get('domain') or 'none'} but "
                f"dataset group {group.arn} has domain {domain or 'none'}."
            )
        self._schema_fits(schema, canonical, domain)
        arn = make_arn(ctx, f"dataset/{group.name}/{dtype}")
        body = {
            "name": params["name"],
            "datasetArn": arn,
            "datasetGroupArn": group.arn,
            "datasetType": dtype,
            "schemaArn": schema.arn,
        }
        self._create(
            ctx,
            conn,
            kind="dataset",
            arn=arn,
            name=params["name"],
            body=body,
            parent=group.arn,
            grp=group.arn,
            tags=params.get("tags"),
        )
        return {"datasetArn": arn}

    def describe_dataset(self, ctx, conn, params):
        """DescribeDataset (with ``trackingId`` when the group has an event tracker)."""
        return self._describe_out(conn, self._load(ctx, conn, params["datasetArn"], "dataset"))

    def list_datasets(self, ctx, conn, params):
        """ListDatasets (optionally of one dataset group)."""
        return self._list(ctx, conn, "ListDatasets", "dataset", params, "datasetGroupArn")

    def update_dataset(self, ctx, conn, params):
        """UpdateDataset: Items and Users only; the new schema keeps every field and only
        adds nullable ones (reference §4)."""
        ds = self._active(self._load(ctx, conn, params["datasetArn"], "dataset"))
        if ds.body["datasetType"] not in ("ITEMS", "USERS"):
            raise InvalidInputException(
                f"Only Items and Users datasets can be updated; {ds.arn} is of type "
                f"{ds.body['datasetType']}."
            )
        self._no_update_running(ds)
        new = self._load(ctx, conn, params["schemaArn"], "schema")
        group = self.store.get(ds.grp, conn) if ds.grp else None
        domain = group.body.get("domain") if group else None
        self._schema_fits(new, ds.body["datasetType"], domain)
        old = self.store.get(ds.body["schemaArn"], conn)
        if old is not None:
            old_fields = {f.name: f for f in avro.parse_fields(json.loads(old.body["schema"]))}
            new_fields = {f.name: f for f in avro.parse_fields(json.loads(new.body["schema"]))}
            for name, field in old_fields.items():
                if name not in new_fields:
                    raise InvalidInputException(
                        f"The new schema must keep every field of {old.arn}; it lacks {name}."
                    )
                if new_fields[name] != field:
                    raise InvalidInputException(
                        f"The new schema changes field {name}; existing fields must keep "
                        "their type and attributes."
                    )
            for name, field in new_fields.items():
                if name not in old_fields and not field.nullable:
                    raise InvalidInputException(f"Field {name} is new, so it must allow null.")
        self._start_update(conn, ds, {"schemaArn": new.arn})
        return {"datasetArn": ds.arn}

    def _no_update_running(self, res: Resource) -> None:
        latest = res.body.get(LATEST_KEY[res.kind])
        if latest and latest.get("status") in CREATING:
            raise ResourceInUseException(
                f"Resource Arn {res.arn} has an update in {latest['status']} state."
            )

    def _start_update(self, conn: sqlite3.Connection, res: Resource, update: dict) -> None:
        now = time.time()
        latest = dict(update)
        latest.update(status=CREATE_PENDING, creationDateTime=now, lastUpdatedDateTime=now)
        res.body[LATEST_KEY[res.kind]] = latest
        self.store.save(conn, res)
        conn.execute("DELETE FROM jobs WHERE arn=? AND action='update'", (res.arn,))
        d = self._duration(res.kind)
        jobs.schedule(
            conn,
            res.arn,
            "update",
            "start",
            now + 0.2 * d,
            payload={"requested": now, "duration": d},
        )

    def delete_dataset(self, ctx, conn, params):
        """DeleteDataset (reference §3): no filters in the group, no event tracker (for
        Interactions), no import or training running, no campaign creating or ACTIVE."""
        ds = self._load(ctx, conn, params["datasetArn"], "dataset")
        self._delete_checks_state(ds)
        grp = ds.grp
        self._in_use(ds, self.store.select(conn, "kind='filter' AND grp=?", (grp,), 1))
        if ds.body["datasetType"] == "INTERACTIONS":
            self._in_use(ds, self.store.select(conn, "kind='event-tracker' AND grp=?", (grp,), 1))
        self._in_use(
            ds,
            self.store.select(
                conn,
                "kind='dataset-import-job' AND parent=? AND status IN (?,?)",
                (ds.arn, *CREATING),
                1,
            ),
        )
        self._in_use(
            ds,
            self.store.select(
                conn,
                "kind='solution-version' AND grp=? AND status IN (?,?,?)",
                (grp, *CREATING, CREATE_STOPPING),
                1,
            ),
        )
        self._in_use(
            ds,
            self.store.select(
                conn, "kind='campaign' AND grp=? AND status IN (?,?,?)", (grp, *CREATING, ACTIVE), 1
            ),
        )
        self._delete(conn, ds)
        return {}

    # -- dataset import jobs ---------------------------------------------------------------

    def create_dataset_import_job(self, ctx, conn, params):
        """CreateDatasetImportJob: dataset ACTIVE; at most 5 jobs running per region; the
        data is read when the job runs (reference §5)."""
        ds = self._parent_of(ctx, conn, params["datasetArn"], "dataset")
        name = params["jobName"]
        arn = make_arn(ctx, f"dataset-import-job/{name}")
        running = self._count(
            conn,
            "kind='dataset-import-job' AND account=? AND region=? AND status IN (?,?)",
            (ctx.account, ctx.region, *CREATING),
        )
        if (
            running >= self.limits["import-jobs-in-progress-per-region"]
            and self.store.get(arn, conn) is None
        ):
            raise LimitExceededException(
                f"You have reached the limit of "
                f"{self.limits['import-jobs-in-progress-per-region']} dataset import jobs "
                "pending or in progress in this region."
            )
        location = params["dataSource"].get("dataLocation")
        if not location:
            raise InvalidInputException("dataSource.dataLocation is required.")
        body = {
            "jobName": name,
            "datasetImportJobArn": arn,
            "datasetArn": ds.arn,
            "dataSource": {"dataLocation": location},
            "importMode": params.get("importMode") or "FULL",
            "publishAttributionMetricsToS3": bool(
                params.get("publishAttributionMetricsToS3", False)
            ),
        }
        if params.get("roleArn"):
            body["roleArn"] = params["roleArn"]
        self._create(
            ctx,
            conn,
            kind="dataset-import-job",
            arn=arn,
            name=name,
            body=body,
            parent=ds.arn,
            grp=ds.grp,
            tags=params.get("tags"),
        )
        return {"datasetImportJobArn": arn}

    def describe_dataset_import_job(self, ctx, conn, params):
        """DescribeDatasetImportJob."""
        return self._describe_out(
            conn, self._load(ctx, conn, params["datasetImportJobArn"], "dataset-import-job")
        )

    def list_dataset_import_jobs(self, ctx, conn, params):
        """ListDatasetImportJobs (optionally of one dataset)."""
        return self._list(
            ctx, conn, "ListDatasetImportJobs", "dataset-import-job", params, "datasetArn"
        )

    # -- event trackers --------------------------------------------------------------------

    def create_event_tracker(self, ctx, conn, params):
        """CreateEventTracker: group ACTIVE, one tracker per group (reference §3, §9)."""
        group = self._parent_of(ctx, conn, params["datasetGroupArn"], "dataset-group")
        existing = self.store.select(conn, "kind='event-tracker' AND grp=?", (group.arn,), 1)
        if existing:
            raise ResourceAlreadyExistsException(
                f"Dataset group {group.arn} already has event tracker {existing[0].arn}."
            )
        tracker_id = uuid.uuid4().hex[:8]
        arn = make_arn(ctx, f"event-tracker/{tracker_id}")
        tracking_id = str(uuid.uuid4())
        body = {
            "name": params["name"],
            "eventTrackerArn": arn,
            "accountId": ctx.account,
            "trackingId": tracking_id,
            "datasetGroupArn": group.arn,
        }
        self._create(
            ctx,
            conn,
            kind="event-tracker",
            arn=arn,
            name=params["name"],
            body=body,
            parent=group.arn,
            grp=group.arn,
            tags=params.get("tags"),
        )
        return {"eventTrackerArn": arn, "trackingId": tracking_id}

    def describe_event_tracker(self, ctx, conn, params):
        """DescribeEventTracker."""
        return self._describe_out(
            conn, self._load(ctx, conn, params["eventTrackerArn"], "event-tracker")
        )

    def list_event_trackers(self, ctx, conn, params):
        """ListEventTrackers (optionally of one dataset group)."""
        return self._list(
            ctx, conn, "ListEventTrackers", "event-tracker", params, "datasetGroupArn"
        )

    def delete_event_tracker(self, ctx, conn, params):
        """DeleteEventTracker (no dependents; the interaction data stays)."""
        res = self._load(ctx, conn, params["eventTrackerArn"], "event-tracker")
        self._delete(conn, res)
        return {}

    # -- filters -----------------------------------------------------------------------------

    def create_filter(self, ctx, conn, params):
        """CreateFilter: the group must exist; the expression must start
        ``INCLUDE|EXCLUDE ItemID|UserID|ActionID WHERE``; at most 30 per group."""
        group = self._load(ctx, conn, params["datasetGroupArn"], "dataset-group")
        expr = params["filterExpression"]
        if not _FILTER_RE.fullmatch(expr):
            raise InvalidInputException(
                "Invalid filter expression: it must start with INCLUDE or EXCLUDE, then "
                "ItemID, UserID or ActionID, then WHERE and a condition."
            )
        if (
            self._count(conn, "kind='filter' AND grp=?", (group.arn,))
            >= self.limits["filters-per-group"]
        ):
            raise LimitExceededException(
                f"Dataset group {group.arn} already has "
                f"{self.limits['filters-per-group']} filters, the limit."
            )
        arn = make_arn(ctx, f"filter/{params['name']}")
        body = {
            "name": params["name"],
            "filterArn": arn,
            "datasetGroupArn": group.arn,
            "filterExpression": expr,
        }
        self._create(
            ctx,
            conn,
            kind="filter",
            arn=arn,
            name=params["name"],
            body=body,
            parent=group.arn,
            grp=group.arn,
            tags=params.get("tags"),
        )
        return {"filterArn": arn}

    def describe_filter(self, ctx, conn, params):
        """DescribeFilter."""
        return self._describe_out(conn, self._load(ctx, conn, params["filterArn"], "filter"))

    def list_filters(self, ctx, conn, params):
        """ListFilters (result key ``Filters``, reference §2)."""
        return self._list(ctx, conn, "ListFilters", "filter", params, "datasetGroupArn")

    def delete_filter(self, ctx, conn, params):
        """DeleteFilter (no dependents)."""
        self._delete(conn, self._load(ctx, conn, params["filterArn"], "filter"))
        return {}

    # -- solutions -----------------------------------------------------------------------------

    def create_solution(self, ctx, conn, params):
        """CreateSolution (reference §6): recipeArn xor performAutoML; legacy HRNN and
        domain recipes refused; performIncrementalUpdate only for aws-semantic-similarity;
        at most 10 solutions per group."""
        group = self._parent_of(ctx, conn, params["datasetGroupArn"], "dataset-group")
        recipe = params.get("recipeArn")
        auto_ml = bool(params.get("performAutoML", False))
        if auto_ml and recipe:
            raise InvalidInputException("recipeArn cannot be specified when performAutoML is true.")
        if not auto_ml and not recipe:
            raise InvalidInputException("recipeArn is required unless performAutoML is true.")
        if recipe:
            problem = recipes.solution_recipe_problem(recipe)
            if problem is not None:
                message, hint = problem
                text = _sentence(message) + (" " + _sentence(hint) if hint else "")
                raise InvalidInputException(text)
            if not recipe.startswith("arn:"):
                raise InvalidInputException(
                    f"recipeArn {recipe!r} is not an ARN; use {recipes.recipe_arn(recipe)}."
                )
        incremental = bool(params.get("performIncrementalUpdate", False))
        if incremental and recipes.recipe_name(recipe or "") != "aws-semantic-similarity":
            raise InvalidInputException(
                "performIncrementalUpdate is only supported by aws-semantic-similarity."
            )
        if (
            self._count(
                conn, "kind='solution' AND grp=? AND status NOT IN (?,?)", (group.arn, *DELETING)
            )
            >= self.limits["solutions-per-group"]
        ):
            raise LimitExceededException(
                f"Dataset group {group.arn} already has {self.limits['solutions-per-group']} "
                "solutions, the limit."
            )
        name = params["name"]
        arn = make_arn(ctx, f"solution/{name}")
        auto_training = params.get("performAutoTraining")
        auto_training = True if auto_training is None else bool(auto_training)
        config = json.loads(json.dumps(params.get("solutionConfig") or {}))
        _check_solution_config(config)
        if auto_training:
            config.setdefault("autoTrainingConfig", {"schedulingExpression": "rate(7 days)"})
        body: dict[str, Any] = {
            "name": name,
            "solutionArn": arn,
            "performHPO": bool(params.get("performHPO", False)) or auto_ml,
            "performAutoML": auto_ml,
            "performAutoTraining": auto_training,
            "performIncrementalUpdate": incremental,
            "datasetGroupArn": group.arn,
        }
        if recipe:
            body["recipeArn"] = recipe
        if params.get("eventType"):
            body["eventType"] = params["eventType"]
        if config:
            body["solutionConfig"] = config
        if auto_ml:
            recipe_list = (config.get("autoMLConfig") or {}).get("recipeList") or [
                recipes.recipe_arn("aws-user-personalization")
            ]
            body["autoMLResult"] = {"bestRecipeArn": recipe_list[0]}
        self._create(
            ctx,
            conn,
            kind="solution",
            arn=arn,
            name=name,
            body=body,
            parent=group.arn,
            grp=group.arn,
            tags=params.get("tags"),
        )
        return {"solutionArn": arn}

    def describe_solution(self, ctx, conn, params):
        """DescribeSolution (with ``latestSolutionVersion``)."""
        return self._describe_out(conn, self._load(ctx, conn, params["solutionArn"], "solution"))

    def list_solutions(self, ctx, conn, params):
        """ListSolutions (optionally of one dataset group)."""
        return self._list(ctx, conn, "ListSolutions", "solution", params, "datasetGroupArn")

    def update_solution(self, ctx, conn, params):
        """UpdateSolution: only auto-training, incremental update and eventsConfig change
        (reference §6); the change shows in ``latestSolutionUpdate`` until ACTIVE."""
        sol = self._active(self._load(ctx, conn, params["solutionArn"], "solution"))
        self._no_update_running(sol)
        update: dict[str, Any] = {}
        auto = params.get("performAutoTraining")
        update["performAutoTraining"] = (
            sol.body.get("performAutoTraining", True) if auto is None else bool(auto)
        )
        inc = params.get("performIncrementalUpdate")
        if inc and recipes.recipe_name(sol.body.get("recipeArn", "")) != "aws-semantic-similarity":
            raise InvalidInputException(
                "performIncrementalUpdate is only supported by aws-semantic-similarity."
            )
        update["performIncrementalUpdate"] = (
            sol.body.get("performIncrementalUpdate", False) if inc is None else bool(inc)
        )
        cfg = json.loads(json.dumps(params.get("solutionUpdateConfig") or {}))
        _check_solution_config(cfg)
        current = sol.body.get("solutionConfig", {})
        merged = {}
        for key in ("autoTrainingConfig", "eventsConfig"):
            if key in cfg:
                merged[key] = cfg[key]
            elif key in current:
                merged[key] = current[key]
        if update["performAutoTraining"]:
            merged.setdefault("autoTrainingConfig", {"schedulingExpression": "rate(7 days)"})
        if merged:
            update["solutionUpdateConfig"] = merged
        self._start_update(conn, sol, update)
        return {"solutionArn": sol.arn}

    def delete_solution(self, ctx, conn, params):
        """DeleteSolution: no campaign uses any of its versions; no version training
        (reference §3). Its versions go with it."""
        sol = self._load(ctx, conn, params["solutionArn"], "solution")
        self._delete_checks_state(sol)
        self._in_use(sol, self.store.select(conn, "kind='campaign' AND parent=?", (sol.arn,), 1))
        self._in_use(
            sol,
            self.store.select(
                conn,
                "kind='solution-version' AND parent=? AND status IN (?,?,?)",
                (sol.arn, *CREATING, CREATE_STOPPING),
                1,
            ),
        )
        self._delete(conn, sol)
        return {}

    # -- solution versions -----------------------------------------------------------------------

    def create_solution_version(self, ctx, conn, params):
        """CreateSolutionVersion: solution ACTIVE; trainingMode UPDATE only for
        aws-user-personalization after an ACTIVE FULL version; at most 20 versions
        training per region (reference §6, §9)."""
        sol = self._parent_of(ctx, conn, params["solutionArn"], "solution")
        mode = params.get("trainingMode") or "FULL"
        if mode == "UPDATE":
            if recipes.recipe_name(sol.body.get("recipeArn", "")) not in (
                "aws-user-personalization",
                "aws-hrnn-coldstart",
            ):
                raise InvalidInputException(
                    "trainingMode UPDATE is only supported by aws-user-personalization."
                )
            full = self.store.select(
                conn, "kind='solution-version' AND parent=? AND status=?", (sol.arn, ACTIVE)
            )
            if not any(v.body.get("trainingMode") == "FULL" for v in full):
                raise InvalidInputException(
                    "trainingMode UPDATE needs an ACTIVE solution version trained with "
                    "trainingMode FULL."
                )
        running = self._count(
            conn,
            "kind='solution-version' AND account=? AND region=? AND status IN (?,?,?)",
            (ctx.account, ctx.region, *CREATING, CREATE_STOPPING),
        )
        if running >= self.limits["solution-versions-in-progress-per-region"]:
            raise LimitExceededException(
                f"You have reached the limit of "
                f"{self.limits['solution-versions-in-progress-per-region']} solution versions "
                "pending or in progress in this region."
            )
        version_id = uuid.uuid4().hex[:8]
        arn = f"{sol.arn}/{version_id}"
        body: dict[str, Any] = {"solutionVersionArn": arn, "solutionArn": sol.arn}
        name = params.get("name")
        if name:
            body["name"] = name
        for key in (
            "performHPO",
            "performAutoML",
            "performIncrementalUpdate",
            "recipeArn",
            "eventType",
            "datasetGroupArn",
            "solutionConfig",
        ):
            if key in sol.body:
                body[key] = sol.body[key]
        body.update(trainingMode=mode, trainingType="MANUAL")
        self._create(
            ctx,
            conn,
            kind="solution-version",
            arn=arn,
            name=name,
            body=body,
            parent=sol.arn,
            grp=sol.grp,
            tags=params.get("tags"),
            unique_name=name is not None,
        )
        return {"solutionVersionArn": arn}

    def describe_solution_version(self, ctx, conn, params):
        """DescribeSolutionVersion."""
        return self._describe_out(
            conn, self._load(ctx, conn, params["solutionVersionArn"], "solution-version")
        )

    def list_solution_versions(self, ctx, conn, params):
        """ListSolutionVersions: a given solutionArn must exist (NotFound)."""
        if params.get("solutionArn"):
            self._load(ctx, conn, params["solutionArn"], "solution")
        return self._list(
            ctx, conn, "ListSolutionVersions", "solution-version", params, "solutionArn"
        )

    def stop_solution_version_creation(self, ctx, conn, params):
        """StopSolutionVersionCreation: CREATE PENDING -> CREATE STOPPED at once;
        CREATE IN_PROGRESS -> CREATE STOPPING -> CREATE STOPPED (reference §2)."""
        ver = self._load(ctx, conn, params["solutionVersionArn"], "solution-version")
        if ver.status == CREATE_PENDING:
            ver.status = CREATE_STOPPED
            self.store.save(conn, ver)
            conn.execute("DELETE FROM jobs WHERE arn=?", (ver.arn,))
        elif ver.status == CREATE_IN_PROGRESS:
            ver.status = CREATE_STOPPING
            self.store.save(conn, ver)
            # A step not yet claimed settles at once; a running trainer sees should_stop.
            conn.execute(
                "UPDATE jobs SET due=?, heavy=0 WHERE arn=? AND owner IS NULL",
                (time.time(), ver.arn),
            )
        else:
            raise ResourceInUseException(
                f"Resource Arn {ver.arn} is in {ver.status} state; only a solution version "
                "in CREATE PENDING or CREATE IN_PROGRESS can be stopped."
            )
        return {}

    def get_solution_metrics(self, ctx, conn, params):
        """GetSolutionMetrics: the version must be ACTIVE; metrics are what the trainer
        returned (empty without a trainer)."""
        ver = self._active(self._load(ctx, conn, params["solutionVersionArn"], "solution-version"))
        return {"solutionVersionArn": ver.arn, "metrics": dict(ver.extra.get("metrics", {}))}

    # -- campaigns ---------------------------------------------------------------------------

    def _campaign_version(self, ctx, conn, arn: str, config: dict) -> Resource:
        """The solution (for ``$LATEST``) or solution version a campaign points at."""
        sync = bool(config.get("syncWithLatestSolutionVersion", False))
        if arn.endswith("/$LATEST"):
            if not sync:
                raise InvalidInputException(
                    "A solutionVersionArn ending in $LATEST needs "
                    "campaignConfig.syncWithLatestSolutionVersion set to true."
                )
            sol = self._load(ctx, conn, arn[: -len("/$LATEST")], "solution")
            active = self.store.select(
                conn, "kind='solution-version' AND parent=? AND status=?", (sol.arn, ACTIVE)
            )
            if not active:
                raise ResourceInUseException(f"Solution {sol.arn} has no ACTIVE solution version.")
            return active[-1]
        if sync:
            raise InvalidInputException(
                "syncWithLatestSolutionVersion needs solutionVersionArn to be "
                "<solutionArn>/$LATEST."
            )
        return self._active(self._load(ctx, conn, arn, "solution-version"))

    def _check_campaign_config(self, version: Resource, config: dict) -> None:
        explore = config.get("itemExplorationConfig")
        if explore:
            if recipes.recipe_name(version.body.get("recipeArn", "")) != "aws-user-personalization":
                raise InvalidInputException(
                    "itemExplorationConfig is only supported by aws-user-personalization."
                )
            for key, value in explore.items():
                if key not in ("explorationWeight", "explorationItemAgeCutOff"):
                    raise InvalidInputException(
                        f"Unknown itemExplorationConfig key {key!r}; valid keys: "
                        "explorationWeight, explorationItemAgeCutOff."
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
                if key == "explorationItemAgeCutOff" and number < 1:
                    raise InvalidInputException(
                        "itemExplorationConfig.explorationItemAgeCutOff must be at least 1."
                    )

    def create_campaign(self, ctx, conn, params):
        """CreateCampaign: the version ACTIVE (or ``<solution>/$LATEST`` with sync);
        minProvisionedTPS defaults to 1; at most 5 campaigns per group (reference §7)."""
        config = params.get("campaignConfig") or {}
        version = self._campaign_version(ctx, conn, params["solutionVersionArn"], config)
        self._check_campaign_config(version, config)
        grp = version.grp
        if (
            self._count(conn, "kind='campaign' AND grp=? AND status NOT IN (?,?)", (grp, *DELETING))
            >= self.limits["campaigns-per-group"]
        ):
            raise LimitExceededException(
                f"Dataset group {grp} already has {self.limits['campaigns-per-group']} "
                "campaigns, the limit."
            )
        name = params["name"]
        arn = make_arn(ctx, f"campaign/{name}")
        body: dict[str, Any] = {
            "name": name,
            "campaignArn": arn,
            "solutionVersionArn": params["solutionVersionArn"],
            "minProvisionedTPS": params.get("minProvisionedTPS") or 1,
        }
        if config:
            body["campaignConfig"] = config
        self._create(
            ctx,
            conn,
            kind="campaign",
            arn=arn,
            name=name,
            body=body,
            parent=version.parent,
            grp=grp,
            tags=params.get("tags"),
        )
        return {"campaignArn": arn}

    def describe_campaign(self, ctx, conn, params):
        """DescribeCampaign (with ``latestCampaignUpdate`` after an update)."""
        return self._describe_out(conn, self._load(ctx, conn, params["campaignArn"], "campaign"))

    def list_campaigns(self, ctx, conn, params):
        """ListCampaigns (optionally of one solution)."""
        return self._list(ctx, conn, "ListCampaigns", "campaign", params, "solutionArn")

    def update_campaign(self, ctx, conn, params):
        """UpdateCampaign: campaign ACTIVE or CREATE FAILED, no update running; the old
        configuration serves until ``latestCampaignUpdate`` is ACTIVE (reference §7). The
        update holds the complete new configuration (unsent fields keep their value)."""
        camp = self._load(ctx, conn, params["campaignArn"], "campaign")
        if camp.status not in (ACTIVE, CREATE_FAILED):
            raise ResourceInUseException(
                f"Resource Arn {camp.arn} is in {camp.status} state; it must be ACTIVE or "
                "CREATE FAILED."
            )
        self._no_update_running(camp)
        config = params.get("campaignConfig")
        if config is None:
            config = camp.body.get("campaignConfig", {})
        version_arn = params.get("solutionVersionArn") or camp.body["solutionVersionArn"]
        version = self._campaign_version(ctx, conn, version_arn, config)
        if version.parent != camp.parent:
            raise InvalidInputException(
                f"Solution version {version_arn} does not belong to the campaign's solution "
                f"{camp.parent}."
            )
        self._check_campaign_config(version, config)
        update: dict[str, Any] = {
            "solutionVersionArn": version_arn,
            "minProvisionedTPS": params.get("minProvisionedTPS")
            or camp.body.get("minProvisionedTPS", 1),
        }
        if config:
            update["campaignConfig"] = config
        self._start_update(conn, camp, update)
        return {"campaignArn": camp.arn}

    def delete_campaign(self, ctx, conn, params):
        """DeleteCampaign (no dependents)."""
        self._delete(conn, self._load(ctx, conn, params["campaignArn"], "campaign"))
        return {}

    # -- recipes -----------------------------------------------------------------------------

    @staticmethod
    def _recipe(entry: recipes.Recipe) -> dict:
        out = {
            "name": entry.name,
            "recipeArn": entry.arn,
            "algorithmArn": entry.algorithm_arn,
            "status": ACTIVE,
            "description": entry.description,
            "creationDateTime": RECIPE_EPOCH,
            "recipeType": entry.recipe_type,
            "lastUpdatedDateTime": RECIPE_EPOCH,
        }
        if entry.domain:
            out["domain"] = entry.domain
        return out

    def describe_recipe(self, ctx, conn, params):
        """DescribeRecipe: the service catalogue (``rules.recipes``); retired HRNN recipes
        are gone (ResourceNotFoundException)."""
        arn = params["recipeArn"]
        entry = recipes.lookup(arn) if arn.startswith(recipes.RECIPE_ARN_PREFIX) else None
        if entry is None or entry.legacy_replacement:
            raise not_found(arn)
        recipe = self._recipe(entry)
        recipe.pop("domain", None)  # only RecipeSummary (ListRecipes) has it
        return {"recipe": recipe}

    def list_recipes(self, ctx, conn, params):
        """ListRecipes: custom recipes and domain use cases; ``domain`` keeps only that
        domain's use cases (reference §6)."""
        entries = [r for r in recipes.CATALOGUE.values() if not r.legacy_replacement]
        if params.get("domain"):
            entries = [r for r in entries if r.domain == params["domain"]]
        key = params.get("domain") or ""
        start = 0
        if params.get("nextToken"):
            start = _decode_token(params["nextToken"], "ListRecipes", key)
        limit = params.get("maxResults") or 100
        _, fields = _summary_fields("ListRecipes")
        page = entries[start : start + limit]
        out: dict[str, Any] = {
            "recipes": [{k: v for k, v in self._recipe(r).items() if k in fields} for r in page]
        }
        if start + limit < len(entries):
            out["nextToken"] = _encode_token("ListRecipes", key, start + limit)
        return out

    # -- tags --------------------------------------------------------------------------------

    def _taggable(self, ctx, conn, arn: str) -> Resource:
        res = self.store.get(arn, conn)
        if res is None or res.account != ctx.account or res.region != ctx.region:
            raise not_found(arn)
        if res.kind not in TAGGABLE:
            raise InvalidInputException(f"Resource {arn} does not support tags.")
        return res

    def tag_resource(self, ctx, conn, params):
        """TagResource: at most 50 tags per resource; keys starting ``aws:`` refused."""
        res = self._taggable(ctx, conn, params["resourceArn"])
        if res.status in DELETING:
            raise ResourceInUseException(f"Resource Arn {res.arn} is being deleted.")
        new = _tag_list(params["tags"])
        existing = {k for k, _ in self.store.tags(res.arn, conn)}
        self._check_tags(new, len(existing - {k for k, _ in new}))
        self.store.set_tags(conn, res.arn, new)
        return {}

    def untag_resource(self, ctx, conn, params):
        """UntagResource: at most 50 keys per request (TooManyTagKeysException)."""
        res = self._taggable(ctx, conn, params["resourceArn"])
        keys = params["tagKeys"]
        if len(keys) > self.limits["tags-per-resource"]:
            raise TooManyTagKeysException(
                f"At most {self.limits['tags-per-resource']} tag keys can be removed at once."
            )
        if res.status in DELETING:
            raise ResourceInUseException(f"Resource Arn {res.arn} is being deleted.")
        self.store.drop_tags(conn, res.arn, keys)
        return {}

    def list_tags_for_resource(self, ctx, conn, params):
        """ListTagsForResource."""
        res = self._taggable(ctx, conn, params["resourceArn"])
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in self.store.tags(res.arn, conn)]}


def _sentence(text: str) -> str:
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _schema_message(problems: list, prefix: bool = True) -> str:
    parts = []
    for p in problems:
        where = dotted(p.path)
        parts.append(f"{p.message}" + (f" (at {where})" if where else ""))
    text = "; ".join(parts) + "."
    return ("Invalid schema: " + text) if prefix else text


_RATE_RE = re.compile(r"rate\((\d+) days?\)")


def _check_solution_config(config: dict) -> None:
    """Rules on solutionConfig that the shape cannot express (reference §6)."""
    expr = (config.get("autoTrainingConfig") or {}).get("schedulingExpression")
    if expr is not None:
        m = _RATE_RE.fullmatch(expr)
        if not m or not 1 <= int(m.group(1)) <= 30:
            raise InvalidInputException(
                f"Invalid schedulingExpression {expr!r}: use rate(N days) with N from 1 to 30."
            )
    hpo = config.get("hpoConfig") or {}
    if hpo.get("hpoObjective"):
        raise InvalidInputException("hpoObjective is not supported.")
