"""Export: write a manifest for a dataset group that already exists (issue 14).

One job: read an existing dataset group and everything in it that a manifest can declare
(its datasets and their schemas, its solutions with their configuration, the newest ACTIVE
version of each solution, its campaigns with their configuration, and the tags other than
preconcile's own) through read-only API calls, and turn them into a manifest document that
plans "No changes" against the same account:

- each solution gets ``training: {retrain: ifMissing}``, so the version it has is used and
  no retraining is planned;
- a dataset's import jobs are not declared (an import's job name carries a fingerprint of
  its data, so a declared one would be imported again); the data stays in the dataset;
- the manifest's ``name`` is the value of the group's ``preconcile:manifest`` tag when it
  has one (another manifest made it), else the group's name; resources without that tag
  are used as they are, and ``apply --adopt`` tags them (``engine/ownership.py``).

Filters, the event tracker, recommenders (their state too) and the metric attribution are
declared as they are. Whatever the manifest cannot declare (import jobs, batch jobs: runs
the service keeps; AutoML solutions) is listed in :attr:`Exported.not_declared`;
what would not plan as "No changes" (a solution without an ACTIVE version, a campaign
serving another version than its solution's newest) in :attr:`Exported.warnings`.

Callers: ``cli.py`` (``preconcile export``), which writes the files.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from personalize_reconcile.backends.target import Target
from personalize_reconcile.resources import OWNERSHIP_TAG, Context
from personalize_reconcile.resources.campaign import SERVICE_DEFAULTS
from personalize_reconcile.resources.normalize import canonical, parse_json
from personalize_reconcile.resources.solution_version import AUTOMATIC
from personalize_reconcile.rules.avro import canonical_dataset_type
from personalize_reconcile.rules.recipes import RECIPE_ARN_PREFIX

LATEST = "/$LATEST"


class ExportError(Exception):
    """The dataset group cannot be exported (it does not exist, or is being deleted);
    ``str()`` says what and how to go on."""


@dataclass
class Exported:
    """A manifest read from an existing dataset group.

    Attributes:
        document: the manifest as plain data, keys in manifest order (camelCase API
            names); schemas point at ``<schema name>.avsc`` files beside the manifest.
        schemas: ``<schema name>.avsc`` -> the Avro schema document.
        not_declared: one line per existing resource the manifest cannot declare.
        warnings: one line per resource the first plan would still change, and why.
    """

    document: dict[str, Any]
    schemas: dict[str, Any] = field(default_factory=dict)
    not_declared: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def export(target: Target, group_name: str) -> Exported:
    """Read the dataset group ``group_name`` on ``target`` and what is in it.

    Read-only: ListDatasetGroups, DescribeDatasetGroup, ListDatasets, DescribeDataset,
    DescribeSchema, ListDatasetImportJobs, ListSolutions, DescribeSolution,
    ListSolutionVersions, ListCampaigns, DescribeCampaign, ListEventTrackers, ListFilters,
    ListMetricAttributions, ListRecommenders (skipped where the target does not answer it)
    and ListTagsForResource.

    Raises:
        ExportError: no dataset group of that name exists (the message lists those that
            do), or it is being deleted.
        botocore.exceptions.ClientError / BotoCoreError: a read failed.
    """
    ctx = Context(target.personalize, target.objects, "")
    api = target.personalize
    groups = _pages(api, "list_dataset_groups", "datasetGroups")
    found = next((g for g in groups if g["name"] == group_name), None)
    if found is None:
        names = ", ".join(sorted(g["name"] for g in groups)) or "none"
        raise ExportError(
            f"no dataset group named {group_name} exists on the {target.name} target "
            f"({target.region}); the dataset groups there: {names}"
        )
    group = api.describe_dataset_group(datasetGroupArn=found["datasetGroupArn"])["datasetGroup"]
    if group.get("status", "").startswith("DELETE"):
        raise ExportError(f"dataset group {group_name} is being deleted ({group['status']})")
    group_arn = group["datasetGroupArn"]
    group_tags = ctx.read_tags(group_arn)
    name = group_tags.get(OWNERSHIP_TAG) or group_name
    out = Exported(document={"version": 1, "name": name})
    doc = out.document
    g: dict[str, Any] = {"name": group_name}
    for key in ("domain", "kmsKeyArn", "roleArn"):
        if group.get(key):
            g[key] = group[key]
    _tags(g, group_tags)
    doc["datasetGroup"] = g
    schemas: dict[str, Any] = {}
    datasets: dict[str, Any] = {}
    for summary in _pages(api, "list_datasets", "datasets", datasetGroupArn=group_arn):
        raw = api.describe_dataset(datasetArn=summary["datasetArn"])["dataset"]
        dtype = canonical_dataset_type(raw.get("datasetType", "")) or raw.get("datasetType")
        schema = api.describe_schema(schemaArn=raw["schemaArn"])["schema"]
        schemas[schema["name"]] = {"file": f"{schema['name']}.avsc"}
        out.schemas[f"{schema['name']}.avsc"] = parse_json(schema["schema"])
        entry: dict[str, Any] = {}
        if raw["name"] != f"{group_name}-{dtype.lower().replace('_', '-')}":
            entry["name"] = raw["name"]
        entry["schema"] = schema["name"]
        _tags(entry, ctx.read_tags(raw["datasetArn"]))
        datasets[dtype] = entry
        for job in _pages(
            api, "list_dataset_import_jobs", "datasetImportJobs", datasetArn=raw["datasetArn"]
        ):
            out.not_declared.append(
                f"import job {job['jobName']} ({job.get('status')}) of dataset {dtype}: its "
                "data stays in the dataset; declare an import under the dataset to import "
                "again"
            )
    if schemas:
        doc["schemas"] = schemas
    if datasets:
        doc["datasets"] = {t: datasets[t] for t in sorted(datasets, key=_type_order)}
    solutions: dict[str, Any] = {}
    campaigns: dict[str, Any] = {}
    solution_arns: list[str] = []
    for summary in _pages(api, "list_solutions", "solutions", datasetGroupArn=group_arn):
        if summary.get("status", "").startswith("DELETE"):
            continue
        raw = api.describe_solution(solutionArn=summary["solutionArn"])["solution"]
        if not raw.get("recipeArn") or raw.get("performAutoML"):
            out.not_declared.append(
                f"solution {raw['name']}: it uses AutoML, which a manifest cannot declare"
            )
            continue
        solutions[raw["name"]] = _solution(raw, ctx.read_tags(raw["solutionArn"]))
        solution_arns.append(raw["solutionArn"])
        version = _newest_manual(api, raw["solutionArn"])
        if version is None or version.get("status") != "ACTIVE":
            out.warnings.append(
                f"solution {raw['name']} has no ACTIVE version trained by hand "
                + (
                    "yet"
                    if version is None
                    else f"as its newest ({version['solutionVersionArn']} is {version['status']})"
                )
                + ", so apply trains one"
            )
        for c in _pages(api, "list_campaigns", "campaigns", solutionArn=raw["solutionArn"]):
            if c.get("status", "").startswith("DELETE"):
                continue
            camp = api.describe_campaign(campaignArn=c["campaignArn"])["campaign"]
            campaigns[camp["name"]] = _campaign(camp, raw["name"], ctx.read_tags(c["campaignArn"]))
            serves = camp.get("solutionVersionArn") or ""
            if (
                version is not None
                and not serves.endswith(LATEST)
                and serves != version["solutionVersionArn"]
            ):
                out.warnings.append(
                    f"campaign {camp['name']} serves {serves}, not its solution's newest "
                    f"version {version['solutionVersionArn']}, so apply moves it there"
                )
    if solutions:
        doc["solutions"] = solutions
    if campaigns:
        doc["campaigns"] = campaigns
    version_arns = [
        v["solutionVersionArn"]
        for arn in solution_arns
        for v in _pages(api, "list_solution_versions", "solutionVersions", solutionArn=arn)
    ]
    _group_members(api, ctx, group_arn, out, version_arns)
    return out


def _listed(api: Any, op: str, key: str, group_arn: str) -> list[dict[str, Any]]:
    """The group's members of one kind (none when the target does not answer the List
    operation), leaving out those being deleted."""
    try:
        members = _pages(api, op, key, datasetGroupArn=group_arn)
    except ClientError:
        return []
    return [m for m in members if not str(m.get("status", "")).startswith("DELETE")]


def _group_members(
    api: Any, ctx: Context, group_arn: str, out: Exported, version_arns: list[str]
) -> None:
    """Filters, the event tracker, recommenders and the metric attribution of the group
    into ``out.document``; batch jobs into ``out.not_declared`` (they are runs the service
    keeps, not resources to reconcile: a declared one would run again)."""
    doc = out.document
    filters = {}
    for f in _listed(api, "list_filters", "Filters", group_arn):
        raw = api.describe_filter(filterArn=f["filterArn"])["filter"]
        entry: dict[str, Any] = {"expression": raw["filterExpression"]}
        _tags(entry, ctx.read_tags(raw["filterArn"]))
        filters[raw["name"]] = entry
    if filters:
        doc["filters"] = filters
    trackers = _listed(api, "list_event_trackers", "eventTrackers", group_arn)
    if trackers:
        tracker: dict[str, Any] = {"name": trackers[0]["name"]}
        _tags(tracker, ctx.read_tags(trackers[0]["eventTrackerArn"]))
        doc["eventTracker"] = tracker
    recommenders = {}
    for r in _listed(api, "list_recommenders", "recommenders", group_arn):
        raw = api.describe_recommender(recommenderArn=r["recommenderArn"])["recommender"]
        recipe = raw["recipeArn"]
        entry = {
            "recipe": recipe[len(RECIPE_ARN_PREFIX) :]
            if recipe.startswith(RECIPE_ARN_PREFIX)
            else recipe
        }
        if raw.get("recommenderConfig"):
            entry["recommenderConfig"] = canonical(raw["recommenderConfig"])
        if raw.get("status") in ("INACTIVE", "STOP PENDING", "STOP IN_PROGRESS"):
            entry["state"] = "STOPPED"
        _tags(entry, ctx.read_tags(raw["recommenderArn"]))
        recommenders[raw["name"]] = entry
    if recommenders:
        doc["recommenders"] = recommenders
    attributions = {}
    for m in _listed(api, "list_metric_attributions", "metricAttributions", group_arn):
        arn = m["metricAttributionArn"]
        raw = api.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]
        metrics = _pages(
            api, "list_metric_attribution_metrics", "metrics", metricAttributionArn=arn
        )
        attributions[raw["name"]] = {
            "metrics": [
                {k: x[k] for k in ("eventType", "metricName", "expression")} for x in metrics
            ],
            "metricsOutputConfig": raw["metricsOutputConfig"],
        }
    if attributions:
        doc["metricAttributions"] = attributions
    for version_arn in version_arns:
        for what, op, key in (
            ("batch inference job", "list_batch_inference_jobs", "batchInferenceJobs"),
            ("batch segment job", "list_batch_segment_jobs", "batchSegmentJobs"),
        ):
            try:
                jobs = _pages(api, op, key, solutionVersionArn=version_arn)
            except ClientError:
                continue  # a target that does not answer this kind holds none
            for job in jobs:
                out.not_declared.append(
                    f"{what} {job['jobName']} ({job.get('status')}): a run the service keeps; "
                    "declare one under batchInferenceJobs or batchSegmentJobs to run it again"
                )


def render(exported: Exported, command: str, where: str) -> str:
    """The manifest as YAML text: a comment block saying how it was made (``command``,
    ``where``: ``local target (us-east-1)``), what exists but is not declared, and what
    the first plan would still change; then the document."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096
    text = io.StringIO()
    yaml.dump(exported.document, text)
    head = [
        f"# Written by `{command}` from the {where}.",
        "# `preconcile plan` of this file against the same account shows no changes;",
        "# `preconcile apply --adopt` tags what it declares as this manifest's.",
    ]
    if exported.not_declared:
        head += [
            "#",
            "# Not declared here (runs the service keeps, or what a manifest cannot declare;",
            "# plan and apply leave them alone):",
        ]
        head += [f"#   - {line}" for line in exported.not_declared]
    if exported.warnings:
        head += ["#", "# The first plan will still change:"]
        head += [f"#   - {line}" for line in exported.warnings]
    return "\n".join(head) + "\n\n" + text.getvalue()


def schema_text(document: Any) -> str:
    """An Avro schema document as the text of its ``.avsc`` file (JSON, indented)."""
    return json.dumps(document, indent=2) + "\n"


def _pages(api: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in api.get_paginator(operation).paginate(**kwargs):
        out.extend(page.get(key, []))
    return out


def _type_order(dtype: str) -> int:
    order = ["Interactions", "Items", "Users", "Actions", "Action_Interactions"]
    return order.index(dtype) if dtype in order else len(order)


def _tags(entry: dict[str, Any], tags: dict[str, str]) -> None:
    """Add the user tags (not preconcile's own, not ``aws:``) under ``tags``."""
    user = {
        k: v
        for k, v in sorted(tags.items())
        if not k.startswith("preconcile:") and not k.lower().startswith("aws:")
    }
    if user:
        entry["tags"] = user


def _solution(raw: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    recipe = raw["recipeArn"]
    entry: dict[str, Any] = {
        "recipe": recipe[len(RECIPE_ARN_PREFIX) :]
        if recipe.startswith(RECIPE_ARN_PREFIX)
        else recipe
    }
    if raw.get("performHPO"):
        entry["performHPO"] = True
    auto = bool(raw.get("performAutoTraining"))
    entry["performAutoTraining"] = auto
    if raw.get("performIncrementalUpdate"):
        entry["performIncrementalUpdate"] = True
    if raw.get("eventType"):
        entry["eventType"] = raw["eventType"]
    config = canonical(dict(raw.get("solutionConfig") or {})) or {}
    schedule = config.pop("autoTrainingConfig", None)
    if auto and schedule:
        entry["autoTrainingConfig"] = schedule
    if config:
        entry["solutionConfig"] = config
    entry["training"] = {"retrain": "ifMissing"}
    _tags(entry, tags)
    return entry


def _campaign(raw: dict[str, Any], solution: str, tags: dict[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "solution": solution,
        "minProvisionedTPS": raw.get("minProvisionedTPS", 1),
    }
    config = {
        k: v
        for k, v in (raw.get("campaignConfig") or {}).items()
        if canonical(v) not in SERVICE_DEFAULTS.get(k, ())
    }
    if (raw.get("solutionVersionArn") or "").endswith(LATEST):
        config["syncWithLatestSolutionVersion"] = True
    if config:
        entry["campaignConfig"] = config
    _tags(entry, tags)
    return entry


def _newest_manual(api: Any, solution_arn: str) -> dict[str, Any] | None:
    """The solution's newest version not trained by the service's auto-training (the
    one plan compares with, ``resources/solution_version.py``), as a List summary."""
    versions = [
        v
        for v in _pages(api, "list_solution_versions", "solutionVersions", solutionArn=solution_arn)
        if v.get("trainingType") != AUTOMATIC
    ]
    return max(versions, key=lambda v: v.get("creationDateTime") or 0, default=None)
