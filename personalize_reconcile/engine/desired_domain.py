"""Desired state of the manifest's recommenders, metric attribution and batch jobs.

One job: turn ``recommenders:`` entries into :class:`Desired` resources (recipe ARN,
whole ``recommenderConfig``, ``state``), depending on the dataset group and on every
import (a recommender trains on the group's data as soon as it is created, so the data
must be in first; reference §3), and ``metricAttributions:`` entries (metrics by name,
output config), depending on the group and its datasets (the expressions name them), and
``batchInferenceJobs:`` / ``batchSegmentJobs:`` entries (content-addressed jobs named at
refresh, depending on their solution's version; a local ``uploadFrom`` file is hashed).
Called by :func:`personalize_reconcile.engine.desired.build`, which adds them after the
campaigns.
"""

from __future__ import annotations

from personalize_reconcile.manifest import LoadedManifest
from personalize_reconcile.resources import UNKNOWN, Desired
from personalize_reconcile.resources.fingerprint import file_etag, short
from personalize_reconcile.resources.metric_attribution import metrics_by_name
from personalize_reconcile.resources.normalize import canonical
from personalize_reconcile.rules.recipes import recipe_arn


def recommenders(loaded: LoadedManifest, group_address: str, imports: list[str]) -> dict:
    """``{"recommender.<name>": Desired}`` for every entry of ``recommenders:``.

    Args:
        loaded: the validated manifest.
        group_address: the dataset group's address.
        imports: the addresses of every import (created before any recommender).

    Fields: ``recipeArn`` (a short name expanded to the recipe ARN), ``recommenderConfig``
    (canonical; the manifest's keys only) and ``state`` (``ACTIVE`` or ``STOPPED``).
    """
    out: dict[str, Desired] = {}
    for name, rec in loaded.manifest.recommenders.items():
        address = f"recommender.{name}"
        config = dict(rec.recommender_config or {})
        out[address] = Desired(
            address,
            "recommender",
            name,
            canonical(
                {
                    "recipeArn": recipe_arn(rec.recipe),
                    "recommenderConfig": config,
                    "state": rec.state,
                }
            ),
            tags=dict(rec.tags),
            depends_on=[group_address, *imports],
            replace_with=[group_address],
            extra={
                "group_address": group_address,
                "config": config,
                "config_keys": list(config),
            },
        )
    return out


def metric_attributions(loaded: LoadedManifest, group_address: str, datasets: list[str]) -> dict:
    """``{"metric_attribution.<name>": Desired}`` for the entry of ``metricAttributions:``.

    Fields: ``metrics`` as ``{metricName: {eventType, expression}}`` and
    ``metricsOutputConfig`` (canonical); ``extra`` keeps the API forms (``metrics`` list,
    ``output``) that create and update send.
    """
    out: dict[str, Desired] = {}
    for name, spec in loaded.manifest.metric_attributions.items():
        address = f"metric_attribution.{name}"
        metrics = [m.model_dump(by_alias=True) for m in spec.metrics]
        output = spec.metrics_output_config.model_dump(by_alias=True, exclude_none=True)
        out[address] = Desired(
            address,
            "metric_attribution",
            name,
            canonical({"metrics": metrics_by_name(metrics), "metricsOutputConfig": output}),
            depends_on=[group_address, *datasets],
            replace_with=[group_address],
            extra={"group_address": group_address, "metrics": metrics, "output": output},
        )
    return out


def batch_jobs(loaded: LoadedManifest) -> dict:
    """``{"batch_inference_job.<name>" | "batch_segment_job.<name>": Desired}`` for every
    entry of ``batchInferenceJobs:`` and ``batchSegmentJobs:``.

    The name is :data:`UNKNOWN` until refresh completes it
    (:class:`~personalize_reconcile.resources.batch_job.BatchJobKind`); fields are
    ``jobInput``, ``jobOutput``, ``numResults`` and ``roleArn``. An ``uploadFrom`` file is
    hashed (MD5 and size) to fingerprint the input.
    """
    out: dict[str, Desired] = {}
    m = loaded.manifest
    for kind, section in (
        ("batch_inference_job", m.batch_inference_jobs),
        ("batch_segment_job", m.batch_segment_jobs),
    ):
        for name, job in section.items():
            address = f"{kind}.{name}"
            v_addr = f"solution_version.{job.solution}"
            extra: dict = {"base_name": name, "version_address": v_addr}
            if job.upload_from:
                path = loaded.resolve(job.upload_from)
                etag, size = file_etag(path)
                extra.update(
                    upload_path=str(path),
                    upload_from=job.upload_from,
                    upload_etag=etag,
                    upload_size=size,
                    data_fp=short([(job.job_input, etag, size)]),
                )
            out[address] = Desired(
                address,
                kind,
                UNKNOWN,
                canonical(
                    {
                        "jobInput": job.job_input,
                        "jobOutput": job.job_output,
                        "numResults": job.num_results,
                        "roleArn": job.role_arn,
                    }
                ),
                tags=dict(job.tags),
                depends_on=[v_addr],
                extra=extra,
            )
    return out
