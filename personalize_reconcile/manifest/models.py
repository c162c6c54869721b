"""The manifest's data model (pydantic v2): shapes, types and per-field documentation.

One job: describe what a manifest may contain. Structural validation (types, required
keys, unknown keys, enums) comes from these models; rules that need more than one field or
the service's catalogue live in :mod:`personalize_reconcile.manifest.checks`. The JSON
Schema printed by ``preconcile schema`` and the manifest reference in docs/ are generated
from these classes.

Resource fields use the Personalize API's own names (camelCase). References between
resources use names, never ARNs. The top level is a set of maps keyed by resource name, so
filters, event trackers and recommenders can be added later as further maps without
reshaping what exists (``filters`` and ``eventTracker`` are such additions).

Callers: ``manifest/loader.py`` (validation) and the JSON Schema for editors (``preconcile
schema``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from personalize_reconcile.rules.limits import (
    CAMPAIGNS_PER_GROUP,
    DATASET_GROUPS_PER_REGION,
    FILTERS_PER_GROUP,
    SOLUTIONS_PER_GROUP,
)

Tags = dict[str, str]


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"must be a whole number, not {str(value).lower()}")
    return value


WholeNumber = Annotated[int, BeforeValidator(_not_a_boolean)]
"""An int that YAML's true/false may not stand in for (pydantic would take them as 1/0)."""


def _ignore(fields: str) -> Any:
    return Field(
        default_factory=list,
        description=(
            "Fields plan leaves alone when the live resource differs (changed outside "
            f"preconcile): {fields}. Used when creating the resource; never updated after."
        ),
    )


_TAGS = Field(
    default_factory=dict,
    description=(
        "Tags for the resource (key 1-128 characters, value 0-256). preconcile adds "
        "`preconcile:manifest=<name>` itself."
    ),
)


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=False,  # only the documented keys: datasetGroup, not dataset_group
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class DatasetGroup(_Model):
    """The dataset group that holds everything in the manifest (CreateDatasetGroup)."""

    name: str = Field(description="Dataset group name: 1-63 letters, digits, '-' or '_'.")
    domain: Literal["ECOMMERCE", "VIDEO_ON_DEMAND", "CUSTOM"] | None = Field(
        None,
        description=(
            "Domain of a domain dataset group; `CUSTOM` (the console's word) or left out for "
            "a custom group, which is created without a domain."
        ),
    )
    kms_key_arn: str | None = Field(None, description="KMS key that encrypts the group's data.")
    role_arn: str | None = Field(
        None,
        description=(
            "IAM role Personalize assumes to use the KMS key (only together with kmsKeyArn)."
        ),
    )
    tags: Tags = _TAGS
    ignore_changes: list[str] = _ignore("tags")


class Schema(_Model):
    """An Avro schema (CreateSchema): from a file or written inline, exactly one of the two."""

    file: str | None = Field(
        None,
        description=(
            "Path of an Avro schema file (.avsc, JSON), relative to the manifest's folder."
        ),
    )
    definition: dict[str, Any] | str | None = Field(
        None, description=("The Avro schema inline, as a mapping or a JSON string.")
    )

    @model_validator(mode="after")
    def _one_source(self) -> Schema:
        if (self.file is None) == (self.definition is None):
            raise ValueError("give exactly one of `file` or `definition`")
        return self


class Import(_Model):
    """A bulk import into a dataset (CreateDatasetImportJob).

    The job name used at apply time is ``<name>-<fingerprint of the data>``, so unchanged
    data is never imported twice and changed data is imported once.
    """

    name: str = Field(
        description=(
            "Base name of the import job: 1-54 letters, digits, '-' or '_' (a 9-character "
            "content fingerprint is appended)."
        )
    )
    data_location: str = Field(
        description=(
            "s3://bucket/key.csv of one file, or s3://bucket/prefix/ for every file under it."
        )
    )
    upload_from: str | None = Field(
        None,
        description=(
            "A local CSV file (relative to the manifest) uploaded to dataLocation first, only "
            "when its content differs from what is there."
        ),
    )
    role_arn: str | None = Field(None, description="IAM role Personalize uses to read the data.")
    import_mode: Literal["FULL", "INCREMENTAL"] = Field(
        "FULL",
        description=(
            "FULL replaces the dataset's bulk data, so the imports declared after it run "
            "again after it whenever it runs; INCREMENTAL adds and replaces records, and "
            "only after an earlier import into the dataset (plan refuses it as the first "
            "import of a dataset it creates). A dataset's imports run in the order declared."
        ),
    )
    publish_attribution_metrics_to_s3: bool | None = Field(
        None, description=("Publish metric attribution results for this import to S3.")
    )
    tags: Tags = _TAGS


class Dataset(_Model):
    """A dataset of the group (CreateDataset); its type is the key it is written under."""

    name: str | None = Field(
        None, description=("Dataset name; defaults to `<dataset group>-<type in lower case>`.")
    )
    schema_name: str = Field(alias="schema", description="Name of a schema under `schemas`.")
    imports: list[Import] = Field(
        default_factory=list, description=("Bulk imports, applied in order.")
    )
    tags: Tags = _TAGS
    ignore_changes: list[str] = _ignore("tags")


class Datasets(_Model):
    """The group's datasets, at most one of each type."""

    interactions: Dataset | None = Field(None, alias="Interactions")
    items: Dataset | None = Field(None, alias="Items")
    users: Dataset | None = Field(None, alias="Users")
    actions: Dataset | None = Field(None, alias="Actions")
    action_interactions: Dataset | None = Field(None, alias="Action_Interactions")

    def by_type(self) -> dict[str, Dataset]:
        """Return the declared datasets keyed by API dataset type, in declaration order."""
        return {
            info.alias: d
            for f, info in type(self).model_fields.items()
            if (d := getattr(self, f)) is not None
        }


class TrainingPolicy(_Model):
    """When apply trains a new solution version."""

    training_mode: Literal["FULL", "UPDATE"] = Field(
        "FULL",
        description=(
            "trainingMode of new versions. UPDATE only for aws-user-personalization, once a FULL "
            "version exists."
        ),
    )
    retrain: Literal["onChange", "ifMissing"] = Field(
        "onChange",
        description=(
            "onChange: train a new version when the data or the solution's configuration changed "
            "since the active one. ifMissing: only when there is no active version."
        ),
    )


class Solution(_Model):
    """A solution (CreateSolution) and the policy for training its versions."""

    recipe: str = Field(
        description=(
            "Recipe short name (aws-user-personalization-v2) or ARN "
            "(arn:aws:personalize:::recipe/...)."
        )
    )
    perform_hpo: bool = Field(
        False, alias="performHPO", description=("Hyperparameter optimisation when training.")
    )
    perform_auto_training: bool = Field(
        False,
        description=(
            "Let the service train new versions on a schedule. preconcile sends false unless "
            "this is true (the service's own default is true, which costs money)."
        ),
    )
    perform_incremental_update: bool | None = Field(
        None, description=("Incremental updates (aws-semantic-similarity only).")
    )
    auto_training_config: dict[str, Any] | None = Field(
        None,
        description=(
            "Shorthand for solutionConfig.autoTrainingConfig, e.g. "
            "{schedulingExpression: 'rate(7 days)'}."
        ),
    )
    event_type: str | None = Field(None, description="Train only on this event type.")
    solution_config: dict[str, Any] | None = Field(
        None,
        description=(
            "Passed through as CreateSolution's solutionConfig; checked against the service model."
        ),
    )
    training: TrainingPolicy = Field(default_factory=TrainingPolicy)
    tags: Tags = _TAGS
    ignore_changes: list[str] = _ignore(
        "performAutoTraining, performIncrementalUpdate, autoTrainingConfig, tags"
    )


class Rollout(_Model):
    """Rollout gates: the metrics (GetSolutionMetrics) a new solution version must reach
    before apply moves the campaign to it. A version that misses stays trained and is not
    deployed; `apply --skip-rollout-gates` deploys it anyway."""

    minimums: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "Metric name -> the lowest value the new version may have, e.g. "
            "{normalized_discounted_cumulative_gain_at_10: 0.2}."
        ),
    )
    max_regression: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "Metric name -> how far below the version the campaign serves now the new "
            "version may be, e.g. {precision_at_25: 0.02}. Not checked when the campaign is "
            "created (nothing serves yet)."
        ),
    )


class Campaign(_Model):
    """A campaign serving a solution's active version (CreateCampaign)."""

    solution: str = Field(description="Name of a solution under `solutions`.")
    min_provisioned_tps: WholeNumber = Field(
        1,
        alias="minProvisionedTPS",
        ge=1,
        description=("Minimum provisioned transactions per second (TPS), at least 1."),
    )
    campaign_config: dict[str, Any] | None = Field(
        None,
        description=(
            "Passed through as campaignConfig; checked against the service model. "
            "syncWithLatestSolutionVersion: true deploys <solution>/$LATEST and needs a "
            "solution with performAutoTraining: true."
        ),
    )
    rollout: Rollout | None = Field(
        None, description="Rollout gates a new version must pass before the campaign moves."
    )
    tags: Tags = _TAGS
    ignore_changes: list[str] = _ignore("minProvisionedTPS, campaignConfig, tags")


class Filter(_Model):
    """A filter of recommendations (CreateFilter). The service has no UpdateFilter: a
    changed expression deletes the filter and creates it again under the same name."""

    expression: str = Field(
        description=(
            "The filter expression, e.g. `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN "
            '("purchase")`: INCLUDE or EXCLUDE, then ItemID, UserID or ActionID, then WHERE '
            "and conditions on `<dataset type>.<column>` of datasets the manifest declares; "
            "at most 2500 characters."
        )
    )
    tags: Tags = _TAGS


class EventTracker(_Model):
    """The dataset group's event tracker (CreateEventTracker; one per group). Its tracking
    ID, which PutEvents needs, is shown by apply when it is created and by `preconcile
    output`."""

    name: str = Field(description="Event tracker name: 1-63 letters, digits, '-' or '_'.")
    tags: Tags = _TAGS


class Recommender(_Model):
    """A recommender of a domain dataset group (CreateRecommender): a use case of the
    group's domain, trained and served by the service."""

    recipe: str = Field(
        description=(
            "Domain use case, short name (aws-ecomm-recommended-for-you) or recipe ARN "
            "(arn:aws:personalize:::recipe/...); changing it replaces the recommender."
        )
    )
    recommender_config: dict[str, Any] | None = Field(
        None,
        description=(
            "Passed through as recommenderConfig (itemExplorationConfig, "
            "minRecommendationRequestsPerSecond, trainingDataConfig, "
            "enableMetadataWithRecommendations); checked against the service model and "
            "updated in place with UpdateRecommender."
        ),
    )
    state: Literal["ACTIVE", "STOPPED"] = Field(
        "ACTIVE",
        description=(
            "ACTIVE serves (and is billed); STOPPED is stopped with StopRecommender and "
            "started again with StartRecommender when set back to ACTIVE."
        ),
    )
    tags: Tags = _TAGS


class Metric(_Model):
    """One metric of a metric attribution: what an event type is worth."""

    event_type: str = Field(description="The event type the metric measures (EVENT_TYPE).")
    metric_name: str = Field(description="Name of the metric, unique in the attribution.")
    expression: str = Field(
        description=(
            "SAMPLECOUNT() (how many events) or SUM(<Interactions|Items>.<COLUMN>) over a "
            "numeric field of that dataset's schema, e.g. SUM(Items.PRICE)."
        )
    )


class S3Destination(_Model):
    """An S3 location the service writes to."""

    path: str = Field(description="s3://bucket/prefix/ the service writes to.")
    kms_key_arn: str | None = Field(None, description="KMS key that encrypts the output.")


class MetricsOutputConfig(_Model):
    """Where a metric attribution publishes its reports."""

    role_arn: str = Field(
        description="IAM role Personalize uses to write to S3 (and to CloudWatch)."
    )
    s3_data_destination: S3Destination | None = Field(
        None, description="Where the reports are written in S3; left out, CloudWatch only."
    )


class MetricAttribution(_Model):
    """The dataset group's metric attribution (CreateMetricAttribution): how much each
    event type is worth, reported to CloudWatch and S3. Metrics and the output config
    update in place (UpdateMetricAttribution); it carries no tags, and is this manifest's
    when its dataset group is."""

    metrics: list[Metric] = Field(description="1 to 10 metrics, each with its own name.")
    metrics_output_config: MetricsOutputConfig = Field(
        description="Where the reports go (roleArn, s3DataDestination.path)."
    )


class BatchJob(_Model):
    """A batch job over a solution's trained version (CreateBatchInferenceJob,
    CreateBatchSegmentJob), run as content-addressed: its job name is
    ``<name>-<fingerprint of the input data, the solution version and the configuration>``,
    so apply runs it when any of those changed and never twice for the same inputs."""

    solution: str = Field(description="Name of a solution under `solutions`.")
    job_input: str = Field(
        description="s3://bucket/key.jsonl of one JSON Lines file, or s3://bucket/prefix/."
    )
    upload_from: str | None = Field(
        None,
        description=(
            "A local JSON Lines file (relative to the manifest) uploaded to jobInput first, "
            "only when its content differs from what is there."
        ),
    )
    job_output: str = Field(description="s3://bucket/prefix/ the job writes its output to.")
    num_results: WholeNumber | None = Field(
        None, ge=1, le=500, description="Items per input line, 1-500 (service default 25)."
    )
    role_arn: str = Field(description="IAM role Personalize uses to read and write S3.")
    tags: Tags = _TAGS


class Quotas(_Model):
    """Personalize quotas raised for the account (in Service Quotas); `preconcile validate`
    counts the manifest's solutions, campaigns and filters against these instead of the
    service's defaults, and `plan` the region's dataset groups. Leave out what was not
    raised."""

    dataset_groups_per_region: WholeNumber = Field(
        DATASET_GROUPS_PER_REGION.default,
        ge=1,
        description=(
            "Active dataset groups per region, when the account's quota was raised "
            f"(default {DATASET_GROUPS_PER_REGION.default}); plan counts the region's dataset "
            "groups against it before it creates the manifest's (the local target keeps "
            "the default)."
        ),
    )

    solutions_per_dataset_group: WholeNumber = Field(
        SOLUTIONS_PER_GROUP.default,
        ge=1,
        description=(
            "Active solutions per dataset group, when the account's quota was raised "
            f"(default {SOLUTIONS_PER_GROUP.default})."
        ),
    )
    campaigns_per_dataset_group: WholeNumber = Field(
        CAMPAIGNS_PER_GROUP.default,
        ge=1,
        description=(
            "Active campaigns per dataset group, when the account's quota was raised "
            f"(default {CAMPAIGNS_PER_GROUP.default})."
        ),
    )
    filters_per_dataset_group: WholeNumber = Field(
        FILTERS_PER_GROUP.default,
        ge=1,
        description=(
            "Filters per dataset group, when the account's quota was raised "
            f"(default {FILTERS_PER_GROUP.default})."
        ),
    )


class Manifest(_Model):
    """A preconcile manifest: one dataset group and everything in it."""

    version: Literal[1] = Field(description="Manifest format version; 1.")
    name: str = Field(
        description=("Manifest id, used in the ownership tag preconcile:manifest=<name>.")
    )
    variables: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description=("Defaults for ${name} references; --var name=value overrides them."),
    )
    dataset_group: DatasetGroup
    schemas: dict[str, Schema] = Field(
        default_factory=dict, description=("Avro schemas by schema name.")
    )
    datasets: Datasets = Field(default_factory=Datasets)
    solutions: dict[str, Solution] = Field(
        default_factory=dict, description=("Solutions by solution name.")
    )
    campaigns: dict[str, Campaign] = Field(
        default_factory=dict, description=("Campaigns by campaign name.")
    )
    filters: dict[str, Filter] = Field(
        default_factory=dict, description=("Filters by filter name.")
    )
    event_tracker: EventTracker | None = Field(
        None, description="The dataset group's event tracker (at most one per group)."
    )
    recommenders: dict[str, Recommender] = Field(
        default_factory=dict,
        description=("Recommenders by name (domain dataset groups only)."),
    )
    metric_attributions: dict[str, MetricAttribution] = Field(
        default_factory=dict,
        description=("The metric attribution by name (at most one per dataset group)."),
    )
    batch_inference_jobs: dict[str, BatchJob] = Field(
        default_factory=dict,
        description=(
            "Batch inference jobs by base name (1-54 characters; a 9-character fingerprint "
            "is appended)."
        ),
    )
    batch_segment_jobs: dict[str, BatchJob] = Field(
        default_factory=dict,
        description=(
            "Batch segment jobs (USER_SEGMENTATION solutions) by base name (1-54 "
            "characters; a 9-character fingerprint is appended)."
        ),
    )
    quotas: Quotas = Field(default_factory=Quotas)


def json_schema() -> dict[str, Any]:
    """Return the manifest's JSON Schema (draft 2020-12), as used by editors."""
    schema = Manifest.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "preconcile manifest"
    return schema
