"""Desired state: turn a validated manifest into one :class:`Desired` per resource.

One job: map manifest fields to API fields (normalised), name every resource, and
declare what each depends on and what forces it to be replaced with another. Names that
depend on live data — import jobs (the dataset's incarnation) and solution versions (the
import job names) — are completed by :func:`name_import` and :func:`name_version` during
refresh or apply. Called by :mod:`personalize_reconcile.engine.refresh`; its
:func:`refused_schema_changes` by :func:`personalize_reconcile.engine.prepare`, which
refuses a plan that would give an existing dataset a schema the service does not allow.
"""

from __future__ import annotations

from typing import Any

from personalize_reconcile.engine import desired_domain
from personalize_reconcile.engine.plan import Change
from personalize_reconcile.manifest import LoadedManifest
from personalize_reconcile.resources import UNKNOWN, Context, Desired, Live, Ref
from personalize_reconcile.resources.fingerprint import (
    file_etag,
    parse_version_name,
    short,
    version_attempt,
    version_name,
)
from personalize_reconcile.resources.import_job import job_name
from personalize_reconcile.resources.normalize import canonical, parse_json
from personalize_reconcile.resources.schema import SchemaKind
from personalize_reconcile.resources.solution import replacement_name, split_config
from personalize_reconcile.rules.avro import (
    UPDATABLE_TYPES,
    api_domain,
    canonical_dataset_type,
    parse_fields,
    schema_change_problems,
    schema_change_rule,
)
from personalize_reconcile.rules.ignore import api_fields
from personalize_reconcile.rules.recipes import recipe_arn

LATEST = "/$LATEST"
"""Suffix of a solution ARN that a campaign with syncWithLatestSolutionVersion deploys."""

NOT_MODEL_FIELDS = ("performAutoTraining", "autoTrainingConfig", "performIncrementalUpdate")
"""Solution fields that do not change what a version learns: changing them updates the
solution without training a new version."""


def build(loaded: LoadedManifest) -> dict[str, Desired]:
    """Return address -> :class:`Desired` for every resource of ``loaded``, in dependency
    order (dataset group, schemas, datasets, imports, solutions, versions, campaigns,
    filters, event tracker).

    Import and version names are :data:`UNKNOWN` here; local ``uploadFrom`` files are
    hashed (MD5 and size) to fingerprint the data.
    """
    m = loaded.manifest
    out: dict[str, Desired] = {}
    group = m.dataset_group
    domain = api_domain(group.domain)
    g_addr = f"dataset_group.{group.name}"
    out[g_addr] = Desired(
        g_addr,
        "dataset_group",
        group.name,
        canonical(
            {
                "domain": domain,
                "kmsKeyArn": group.kms_key_arn,
                "roleArn": group.role_arn,
            }
        ),
        tags=dict(group.tags),
        extra={"ignore_changes": api_fields("dataset_group", group.ignore_changes)},
    )
    for name in m.schemas:
        addr = f"schema.{name}"
        doc = loaded.schemas[name]
        out[addr] = Desired(
            addr,
            "schema",
            name,
            canonical({"schema": doc, "domain": domain}),
            extra={"document": doc, "used_by": []},
        )
    imports: list[str] = []
    datasets: list[str] = []
    for dtype, ds in m.datasets.by_type().items():
        addr = f"dataset.{dtype}"
        datasets.append(addr)
        s_addr = f"schema.{ds.schema_name}"
        out[s_addr].extra["used_by"].append(addr)
        name = ds.name or f"{group.name}-{dtype.lower().replace('_', '-')}"
        out[addr] = Desired(
            addr,
            "dataset",
            name,
            {"name": name, "schemaArn": Ref(s_addr)},
            tags=dict(ds.tags),
            depends_on=[g_addr, s_addr],
            replace_with=[g_addr, s_addr],
            extra={
                "group_address": g_addr,
                "group_name": group.name,
                "dataset_type": dtype,
                "ignore_changes": api_fields("dataset", ds.ignore_changes),
            },
        )
        previous = None
        for imp in ds.imports:
            i_addr = f"import.{imp.name}"
            fields = canonical(
                {
                    "dataLocation": imp.data_location,
                    "roleArn": imp.role_arn,
                    "importMode": imp.import_mode,
                    "publishAttributionMetricsToS3": imp.publish_attribution_metrics_to_s3,
                }
            )
            extra: dict[str, Any] = {"dataset_address": addr, "base_name": imp.name}
            if imp.upload_from:
                path = loaded.resolve(imp.upload_from)
                etag, size = file_etag(path)
                extra.update(
                    upload_path=str(path),
                    upload_from=imp.upload_from,
                    upload_etag=etag,
                    upload_size=size,
                    data_fp=short([(imp.data_location, etag, size)]),  # as data_fingerprint
                )
            out[i_addr] = Desired(
                i_addr,
                "import",
                UNKNOWN,
                fields,
                tags=dict(imp.tags),
                depends_on=[addr] + ([previous] if previous else []),
                replace_with=[addr],
                extra=extra,
            )
            imports.append(i_addr)
            previous = i_addr
    for name, sol in m.solutions.items():
        addr = f"solution.{name}"
        config = dict(sol.solution_config or {})
        if sol.auto_training_config:
            config["autoTrainingConfig"] = sol.auto_training_config
        fields = {
            "recipeArn": recipe_arn(sol.recipe),
            "performHPO": sol.perform_hpo,
            "eventType": sol.event_type,
            "performAutoTraining": sol.perform_auto_training,
            "performIncrementalUpdate": sol.perform_incremental_update,
        }
        fields.update(split_config(sol.perform_auto_training, config, fields["recipeArn"]))
        fields = canonical(fields)
        fields.setdefault("performHPO", False)
        fields.setdefault("performAutoTraining", False)
        out[addr] = Desired(
            addr,
            "solution",
            name,
            fields,
            tags=dict(sol.tags),
            depends_on=[g_addr],
            replace_with=[g_addr],
            extra={
                "group_address": g_addr,
                "config_keys": list(config),
                "replacement": replacement_name(name, fields),
                "ignore_changes": api_fields("solution", sol.ignore_changes),
            },
        )
        v_addr = f"solution_version.{name}"
        out[v_addr] = Desired(
            v_addr,
            "solution_version",
            UNKNOWN,
            {},
            tags={},
            depends_on=[addr] + imports,
            replace_with=[addr, g_addr] + datasets,
            extra={
                "solution_address": addr,
                "training_mode": sol.training.training_mode,
                "retrain": sol.training.retrain,
                "imports": list(imports),
                "interaction_files": [
                    out[a].extra["upload_path"]
                    for a in imports
                    if out[a].extra.get("upload_path")
                    and out[out[a].extra["dataset_address"]].extra.get("dataset_type")
                    == "Interactions"
                ],
                "config_fp": short(
                    {k: v for k, v in fields.items() if k not in NOT_MODEL_FIELDS},
                    sol.training.training_mode,
                ),
            },
        )
    for name, camp in m.campaigns.items():
        addr = f"campaign.{name}"
        s_addr = f"solution.{camp.solution}"
        v_addr = f"solution_version.{camp.solution}"
        config = camp.campaign_config or {}
        # syncWithLatestSolutionVersion: the campaign follows <solution arn>/$LATEST, the
        # versions the service trains included (reference §1, §7)
        sync = bool(config.get("syncWithLatestSolutionVersion"))
        out[addr] = Desired(
            addr,
            "campaign",
            name,
            canonical(
                {
                    "solutionVersionArn": Ref(s_addr, LATEST) if sync else Ref(v_addr),
                    "minProvisionedTPS": camp.min_provisioned_tps,
                    "campaignConfig": config,
                }
            ),
            tags=dict(camp.tags),
            depends_on=[v_addr],
            replace_with=[s_addr, g_addr] + datasets,
            extra={
                "config_keys": list(config),
                "campaign_config": config,
                "solution_address": s_addr,
                "version_address": v_addr,
                "sync": sync,
                "ignore_changes": api_fields("campaign", camp.ignore_changes),
                "rollout": None
                if camp.rollout is None
                else {
                    "minimums": dict(camp.rollout.minimums),
                    "maxRegression": dict(camp.rollout.max_regression),
                },
            },
        )
    for name, flt in m.filters.items():
        addr = f"filter.{name}"
        # every filter of the group must be gone before any dataset is deleted (§3)
        out[addr] = Desired(
            addr,
            "filter",
            name,
            {"filterExpression": flt.expression.strip()},
            tags=dict(flt.tags),
            depends_on=[g_addr] + datasets,
            replace_with=[g_addr] + datasets,
            extra={
                "group_address": g_addr,
                "campaigns": list(m.campaigns),
                "recommenders": list(m.recommenders),
            },
        )
    if m.event_tracker is not None:
        tracker = m.event_tracker
        addr = f"event_tracker.{tracker.name}"
        # the tracker must be gone before the Interactions dataset is deleted (§3)
        blocked = [a for a in datasets if a == "dataset.Interactions"]
        out[addr] = Desired(
            addr,
            "event_tracker",
            tracker.name,
            {"name": tracker.name},
            tags=dict(tracker.tags),
            depends_on=[g_addr] + blocked,
            replace_with=[g_addr] + blocked,
            extra={"group_address": g_addr},
        )
    out.update(desired_domain.recommenders(loaded, g_addr, imports))
    out.update(desired_domain.metric_attributions(loaded, g_addr, datasets))
    out.update(desired_domain.batch_jobs(loaded))
    return out


def evolve_schema(ctx: Context, d: Desired, live_doc: dict) -> bool:
    """Decide whether a changed schema can be rolled out with UpdateDataset.

    When every existing dataset that uses it is an Items or Users dataset and the change
    only adds nullable fields (reference §4), the schema gets a new name —
    ``<name>-<8 hex fingerprint of its body>`` (schemas never change in place) — so the plan
    creates it and updates the datasets to it. Returns whether that happened.
    """
    users = [ctx.live.get(a) for a in d.extra["used_by"]]
    live_users = [u for u in users if u is not None]
    if not live_users or any(
        canonical_dataset_type(u.raw.get("datasetType", "")) not in UPDATABLE_TYPES
        for u in live_users
    ):
        return False
    new_fields = parse_fields(d.extra["document"])
    old_fields = parse_fields(live_doc)
    for u in live_users:
        dtype = canonical_dataset_type(u.raw["datasetType"]) or ""
        if schema_change_problems(old_fields, new_fields, dtype):
            return False
    base = d.address.split(".", 1)[1]
    name = f"{base}-{short(d.fields)}"
    if len(name) > 63:
        return False
    d.name = name
    d.note = (
        "the schema changed and only adds nullable fields: a new schema is created "
        "and the datasets that use it switch to it (UpdateDataset)"
    )
    return True


def refused_schema_changes(
    ctx: Context, desired: dict[str, Desired], changes: dict[str, Change]
) -> list[str]:
    """The schema changes the service would refuse, for every dataset that exists.

    A dataset keeps its data only while its schema follows the UpdateDataset rules
    (reference §4: Items and Users datasets may only gain nullable fields, every existing
    field unchanged; other datasets' schemas cannot change at all). This compares the
    schema each live dataset has with the one the manifest gives it, and returns one
    sentence per problem, ``schema <name>: <problem>; <rule>`` (see
    :func:`personalize_reconcile.rules.avro.schema_change_problems`). A dataset replaced
    for another reason (its name, its dataset group, a failed creation) is not checked:
    its data goes anyway, behind ``--allow-replace``.

    Args:
        ctx: the refreshed context (``ctx.live``); a dataset's schema that refresh did not
            read is read with DescribeSchema.
        desired: address -> :class:`Desired`, after :func:`evolve_schema`.
        changes: address -> the planned :class:`Change`.

    Raises:
        botocore.exceptions.ClientError / BotoCoreError: a read failed.
    """
    out: list[str] = []
    for address, d in desired.items():
        live, change = ctx.live.get(address), changes.get(address)
        if d.kind != "dataset" or live is None or change is None or live.raw.get("foreign"):
            continue
        if change.action == "replace" and any(
            p != "schemaArn" and not p.startswith("schema.") for p in change.replace_paths
        ):
            continue
        schema = desired[d.fields["schemaArn"].address]
        old_doc = _schema_document(ctx, live.raw.get("schemaArn") or "")
        if old_doc is None or canonical(old_doc) == schema.fields.get("schema"):
            continue
        dtype, base = d.extra["dataset_type"], schema.address.split(".", 1)[1]
        problems = schema_change_problems(
            parse_fields(old_doc), parse_fields(schema.extra["document"]), dtype
        )
        if not problems and dtype not in UPDATABLE_TYPES:
            problems = [
                "the record's name, namespace or other keys changed; " + schema_change_rule(dtype)
            ]
        elif not problems and change.action == "replace":
            problems = [
                f"the new schema would be named {base}-<8 hex>, longer than 63 characters; "
                "use a schema name of at most 54 characters"
            ]
        out.extend(f"schema {base}: {p}" for p in problems)
    return out


def _schema_document(ctx: Context, arn: str) -> dict | None:
    for live in ctx.live.values():
        if live is not None and live.arn == arn and "schema" in live.raw:
            return parse_json(live.raw["schema"])
    raw = SchemaKind().describe(ctx, arn) if arn else None
    return None if raw is None else parse_json(raw.get("schema"))


def data_fingerprint(ctx: Context, desired: Desired) -> str:
    """The data fingerprint of an import: of the local ``uploadFrom`` file when there is
    one, else of the objects at ``dataLocation`` (ETag and size of each; one S3 read).

    Raises:
        personalize_reconcile.local.objectstore.ObjectStoreError (or the S3 equivalent):
            nothing at ``dataLocation``.
    """
    if "data_fp" in desired.extra:
        return desired.extra["data_fp"]
    objects = ctx.objects.locate(desired.fields["dataLocation"])
    fp = short([(o.uri, o.etag, o.size) for o in objects])
    desired.extra["data_fp"] = fp
    return fp


def name_import(desired: Desired, dataset_created: Any) -> str:
    """Complete an import job's name for the attempt refresh chose (see
    :func:`personalize_reconcile.resources.import_job.job_name`)."""
    return job_name(desired, dataset_created, desired.extra.get("attempt", 1))


def name_version(desired: Desired, import_names: list[Any], latest: Live | None = None) -> Any:
    """Complete a solution version's name from its imports' names (``UNKNOWN`` while any
    import name is unknown).

    ``latest`` is the solution's latest version, if any. When it trained the same data and
    configuration, the name is its name — or, when it failed or was stopped, the next
    attempt's (``<name>-2``...): names are unique within a solution (reference §1), so a
    retry cannot take the failed version's name.
    """
    if any(n is UNKNOWN for n in import_names):
        desired.name = UNKNOWN
        return desired.name
    name = version_name(short(sorted(import_names)), desired.extra["config_fp"])
    old = latest.fields.get("name") if latest is not None else None
    if old and parse_version_name(old) == parse_version_name(name):
        failed = latest is not None and latest.status.endswith(("FAILED", "STOPPED"))
        name = version_name(*parse_version_name(old), version_attempt(old) + 1) if failed else old
    desired.name = name
    return desired.name
