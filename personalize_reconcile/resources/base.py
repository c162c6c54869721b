"""What every resource kind shares: desired and live values, field policies, the context.

One job: the vocabulary between the engine and the per-kind modules. A resource module
describes one Personalize resource kind — how to read it, create, update and delete it,
which fields update in place and which force replacement, how its status maps to
"settled" — and the engine never hard-codes a kind. Callers: ``personalize_reconcile.
resources.*`` modules and ``personalize_reconcile.engine``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from personalize_reconcile.resources.normalize import canonical

OWNERSHIP_TAG = "preconcile:manifest"
"""Tag key on everything preconcile creates; its value is the manifest's ``name``."""


class ResourceError(Exception):
    """A step of one resource cannot go on for a reason outside preconcile (its data, the
    account, the network); ``str()`` is the whole reason, naming what was involved. Apply
    reports it as that resource's failure."""


class AlreadyMade(Exception):
    """A kind's ``create`` found what it was asked to create already made, as wanted (by
    an earlier, interrupted run or by another apply at the same time), and made nothing.

    Attributes:
        arn: the existing resource's ARN.
    """

    def __init__(self, arn: str) -> None:
        super().__init__(arn)
        self.arn = arn


class Policy(str, Enum):
    """What a change to a field means (declared per field by each resource module)."""

    UPDATE = "update"  # changed in place through an Update* API
    REPLACE = "replace"  # immutable: the resource is deleted and created again
    IGNORE = "ignore"  # not compared


class Unknown:
    """A value known only after apply (an ARN of something not yet created)."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Ref:
    """The ARN of another resource of the manifest, by address (``solution.s1``), with
    ``suffix`` appended (``/$LATEST``: a campaign that follows its solution's newest
    version, reference §1)."""

    address: str
    suffix: str = ""


@dataclass
class Desired:
    """What the manifest wants for one resource.

    Attributes:
        address: ``<kind>.<name>`` (``campaign.segment-workshop-campaign``).
        kind: the resource kind (``dataset_group``, ``schema``, ``dataset``, ``import``,
            ``solution``, ``solution_version``, ``campaign``, ``filter``, ``event_tracker``).
        name: the resource's name in the service (for an import job or a solution
            version, the generated name; possibly :data:`UNKNOWN` until apply).
        fields: the manifest-owned fields, normalised, by API name; values may be
            :class:`Ref` (resolved at apply time) or :data:`UNKNOWN`.
        tags: user tags (the ownership tag is added by the engine).
        depends_on: addresses that must be settled before this one is created or updated.
        replace_with: addresses whose replacement forces this one's replacement too.
        note: extra words for the plan's reason (why a version is trained, an upload).
    """

    address: str
    kind: str
    name: Any
    fields: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)
    replace_with: list[str] = field(default_factory=list)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Live:
    """What the service has for one resource.

    Attributes:
        arn: its ARN.
        status: the service's status string (``ACTIVE``, ``CREATE IN_PROGRESS``...);
            ``ACTIVE`` for kinds without a status (schemas).
        fields: the same fields as :attr:`Desired.fields`, normalised the same way.
        raw: the Describe (or List summary) object it was read from.
        tags: its tags, or ``None`` when they were not read.
        failure_reason: the service's failureReason, if any.
        pending_update: whether a ``latest*Update`` is still in progress.
    """

    arn: str
    status: str
    fields: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] | None = None
    failure_reason: str | None = None
    pending_update: bool = False


class State(str, Enum):
    """Where a resource is, for waiting."""

    READY = "ready"
    PENDING = "pending"
    FAILED = "failed"
    GONE = "gone"


def settle_state(status: str | None, update_status: str | None = None) -> State:
    """Map a status string (and a ``latest*Update`` status) to a :class:`State`.

    Statuses are the service's space-separated strings (reference §2): ``ACTIVE``;
    ``CREATE PENDING``/``CREATE IN_PROGRESS``; ``CREATE FAILED``; ``CREATE STOPPED``;
    ``DELETE PENDING``/``DELETE IN_PROGRESS``.
    """
    if status is None:
        return State.GONE
    if status.endswith("FAILED") or status.endswith("STOPPED"):
        return State.FAILED
    if status == "ACTIVE":
        if update_status is None or update_status == "ACTIVE":
            return State.READY
        if update_status.endswith("FAILED"):
            return State.FAILED
        return State.PENDING
    return State.PENDING


def error_code(exc: BaseException) -> str | None:
    """The service error code of a botocore ``ClientError`` (else ``None``)."""
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


class Context:
    """What resource code needs at plan and apply time.

    Attributes:
        personalize: a botocore ``personalize`` client.
        objects: an object store (``put``/``head``/``locate``) for ``s3://`` data.
        manifest_name: the manifest's ``name`` (the ownership tag's value).
        partition, region, account: for ARNs; ``account`` is learnt from the first ARN
            the service returns, and is ``None`` until then.
        arns: address -> ARN, filled by refresh and apply (thread-safe through
            :meth:`set_arn`).
        live: address -> :class:`Live` read by refresh (or after apply).
        region_dataset_groups: the names of the region's dataset groups that are not
            being deleted, as ListDatasetGroups gave them when refresh read the
            manifest's group (``None`` until then); plan counts them against the quota.
    """

    def __init__(self, personalize: Any, objects: Any, manifest_name: str, base_dir: Any = None):
        self.personalize = personalize
        self.objects = objects
        self.manifest_name = manifest_name
        self.base_dir = base_dir
        self.region: str = personalize.meta.region_name
        self.partition = "aws"
        self.account: str | None = None
        self.arns: dict[str, str] = {}
        self.live: dict[str, Live | None] = {}
        self.region_dataset_groups: list[str] | None = None
        self._lock = threading.Lock()

    def learn_account(self, arn: str) -> None:
        """Take the partition and account from an ARN the service returned."""
        parts = arn.split(":")
        if len(parts) > 4 and parts[4]:
            with self._lock:
                self.partition, self.account = parts[1], parts[4]

    def arn(self, resource_part: str) -> str | None:
        """``arn:<partition>:personalize:<region>:<account>:<resource_part>``, or ``None``
        while the account is unknown (reference §1)."""
        if self.account is None:
            return None
        return f"arn:{self.partition}:personalize:{self.region}:{self.account}:{resource_part}"

    def set_arn(self, address: str, arn: str) -> None:
        """Record the ARN of ``address`` (thread-safe)."""
        with self._lock:
            self.arns[address] = arn
        self.learn_account(arn)

    def resolve(self, value: Any) -> Any:
        """Replace :class:`Ref` values (also inside dicts and lists) by their ARNs.

        Raises:
            KeyError: a referenced resource has no ARN yet (an ordering bug).
        """
        if isinstance(value, Ref):
            return self.arns[value.address] + value.suffix
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def known(self, value: Any) -> Any:
        """Like :meth:`resolve`, but an unresolvable :class:`Ref` becomes :data:`UNKNOWN`."""
        if isinstance(value, Ref):
            arn = self.arns.get(value.address)
            return UNKNOWN if arn is None else arn + value.suffix
        if isinstance(value, dict):
            return {k: self.known(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.known(v) for v in value]
        return value

    def tags_for(self, desired: Desired) -> list[dict[str, str]]:
        """The Create* ``tags`` argument: user tags plus the ownership tag."""
        tags = dict(desired.tags)
        tags[OWNERSHIP_TAG] = self.manifest_name
        return [{"tagKey": k, "tagValue": v} for k, v in sorted(tags.items())]

    def read_tags(self, arn: str) -> dict[str, str]:
        """ListTagsForResource as a dict."""
        resp = self.personalize.list_tags_for_resource(resourceArn=arn)
        return {t["tagKey"]: t["tagValue"] for t in resp.get("tags", [])}


class Kind:
    """Base class of a resource kind. Subclasses set the class attributes and override
    the operations they support.

    Class attributes:
        kind: the address prefix (``campaign``).
        title: human name (``campaign``).
        policy: field name -> :class:`Policy` (fields missing here are compared as
            REPLACE).
        create_only: true for kinds that are never updated or deleted (import jobs,
            solution versions): a difference means "create a new one".
        holds_data: replacing or deleting it loses data or a trained model.
        serves: it answers requests (campaigns, recommenders): a delete-first
            replacement leaves nothing answering until the new one is ACTIVE, which the
            plan says.
        result_key: the Describe response key (``campaign``).
        group_list: for a kind that lives in the dataset group and must be gone before
            the group's datasets and the group can be deleted (filters, event trackers;
            reference §3): ``(paginator name, result key)`` of its List operation,
            filtered by ``datasetGroupArn``. ``destroy`` finds such resources with it.
        blocks_dataset_types: for such a kind, the dataset types (``Interactions``...)
            the service refuses to delete while one exists in the group; ``None`` for
            every type (reference §3).
        create_before_delete: a replacement forced by its own fields is created under
            another name first and the old one deleted once its dependents moved to the
            new one (solutions: the campaigns keep serving).
        managed: a kind with a ``group_list`` that the manifest declares (recommenders):
            one that carries the ownership tag and is no longer declared is deleted by
            apply, as datasets, solutions and campaigns are.
        owned_with_group: a kind that carries no tags (metric attributions, reference
            §2) and is this manifest's when its dataset group carries the ownership tag.
    """

    kind = ""
    title = ""
    policy: dict[str, Policy] = {}
    create_only = False
    holds_data = False
    serves = False
    taggable = True
    result_key = ""
    arn_key = ""
    group_list: tuple[str, str] | None = None
    blocks_dataset_types: tuple[str, ...] | None = None
    create_before_delete = False
    managed = False
    owned_with_group = False

    def live(
        self, raw: dict[str, Any], fields: dict[str, Any], pending_update: bool = False
    ) -> Live:
        """A :class:`Live` from a Describe object (or List summary) and its compared
        fields (canonicalised here)."""
        return Live(
            raw[self.arn_key],
            raw.get("status", "ACTIVE"),
            canonical(fields),
            raw,
            failure_reason=raw.get("failureReason"),
            pending_update=pending_update,
        )

    def describe(self, ctx: Context, arn: str) -> dict[str, Any] | None:
        """The Describe object for ``arn``, or ``None`` when it does not exist."""
        try:
            return getattr(ctx.personalize, f"describe_{self.api_name}")(**{self.arn_key: arn})[
                self.result_key
            ]
        except ClientError as e:
            if error_code(e) == "ResourceNotFoundException":
                return None
            raise

    def policy_for(self, desired: Desired) -> dict[str, Policy]:
        """The field policies for one resource (by default the kind's :attr:`policy`; a
        kind whose rules depend on the resource, such as the dataset type, overrides it)."""
        return self.policy

    @property
    def api_name(self) -> str:
        """The snake_case API noun (``dataset_group``) used in boto3 method names."""
        return self.kind

    def state(self, raw: dict[str, Any] | None) -> tuple[State, str | None]:
        """The waiting state of a Describe object and its failure reason."""
        if raw is None:
            return State.GONE, None
        update = self.latest_update(raw)
        status = raw.get("status", "ACTIVE")
        if status.startswith("DELETE"):
            return State.PENDING, None
        state = settle_state(status, (update or {}).get("status"))
        reason = raw.get("failureReason") or (update or {}).get("failureReason")
        return state, reason

    def latest_update(self, raw: dict[str, Any]) -> dict[str, Any] | None:
        """The ``latest*Update`` object of a Describe object, if the kind has one."""
        return None

    def read(self, ctx: Context, desired: Desired) -> Live | None:
        """Read the live resource for ``desired`` (``None`` when absent)."""
        raise TypeError(f"{self.kind} defines no read")

    def find(self, ctx: Context, desired: Desired) -> Live | None:
        """Read the resource a create was refused for (ResourceAlreadyExistsException):
        by default the same as :meth:`read`."""
        return self.read(ctx, desired)

    def replace_note(self, desired: Desired) -> str:
        """Words the plan adds to the reason of a replacement forced by the resource's
        own fields: what it means for those who use the resource (``""``: nothing)."""
        return ""

    def create(self, ctx: Context, desired: Desired) -> str:
        """Create the resource; return its ARN."""
        raise TypeError(f"{self.kind} defines no create")

    def update(self, ctx: Context, desired: Desired, live: Live) -> None:
        """Update the resource in place to ``desired``.

        Raises:
            TypeError: the kind has no in-place update (the planner never asks for one,
                since such kinds declare no UPDATE field).
        """
        raise TypeError(f"{self.kind} has no in-place update")

    def complete_name(self, ctx: Context, desired: Desired) -> None:
        """Called by apply before a create: complete a name that depends on what this
        apply made earlier (a batch job's name covers its solution version's ARN); by
        default nothing."""

    def kept_by_destroy(self, ctx: Context, desired: Desired) -> str | None:
        """For ``destroy``: a sentence about what of ``desired`` stays because the service
        cannot delete it (batch jobs), or ``None``; by default ``None``."""
        return None

    def next_step(self, ctx: Context, desired: Desired, raw: dict[str, Any]) -> bool:
        """Called by apply each time a created or updated resource has settled (``raw``,
        its Describe object): start a further step the resource needs to reach
        ``desired`` (a recommender declared STOPPED is stopped once created) and return
        ``True`` so that apply waits for it to settle again; by default nothing."""
        return False

    def delete(self, ctx: Context, arn: str) -> None:
        """Start deleting the resource (deletes are asynchronous)."""
        getattr(ctx.personalize, f"delete_{self.api_name}")(**{self.arn_key: arn})
