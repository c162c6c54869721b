"""Refresh: read the live state of every desired resource, with as few calls as the API
allows and independent reads in parallel.

One job: read-only calls. Stages follow the resource tree (a child's ARN needs its
parent's): dataset group and schemas; datasets and solutions; import jobs (one List per
dataset), solution versions (one Describe of the latest), campaigns, filters (one Describe
each) and the event tracker (one List and one Describe); then batch jobs. Between stages
the names that depend on live data are completed (import jobs, solution versions, batch
jobs). Called by
:mod:`personalize_reconcile.engine.planner`'s caller (the CLI's plan and apply).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from personalize_reconcile.engine.desired import (
    data_fingerprint,
    evolve_schema,
    name_import,
    name_version,
)
from personalize_reconcile.engine.discover import discover
from personalize_reconcile.resources import Context, Desired, Kind, Live
from personalize_reconcile.resources.import_job import later, made_by, seconds
from personalize_reconcile.resources.normalize import parse_json

STAGES = (
    ("dataset_group",),
    ("dataset", "solution", "recommender", "metric_attribution"),
    ("schema", "import", "solution_version", "campaign", "filter", "event_tracker"),
)


AFTER_VERSIONS = ("batch_inference_job", "batch_segment_job")
"""Kinds read once the solution versions are named: a batch job's name covers the ARN of
the version it runs on."""


def refresh(
    ctx: Context, desired: dict[str, Desired], kinds: dict[str, Kind], workers: int = 8
) -> dict[str, Live | None]:
    """Read every resource in ``desired``; return address -> :class:`Live` or ``None``.

    Tags are read (ListTagsForResource) here only for existing resources whose manifest
    entry declares tags; :func:`personalize_reconcile.engine.ownership.mark` reads the
    others' after planning, to tell whose they are (so a no-op plan costs about two reads
    per resource).

    Also fills ``ctx.arns`` for resources that exist (and, for solution versions, only
    when the latest version is the one the manifest wants) and ``ctx.live``.

    Raises:
        botocore.exceptions.ClientError / BotoCoreError: a read failed (no access, no
            network, throttled past the retry budget).
        personalize_reconcile.local.objectstore.ObjectStoreError or the S3 client's
            errors: an import's ``dataLocation`` has no data and no ``uploadFrom``.
    """
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="refresh") as pool:
        fingerprints = [
            pool.submit(data_fingerprint, ctx, d) for d in desired.values() if d.kind == "import"
        ]
        for stage in STAGES:
            if "import" in stage:
                for f in fingerprints:
                    f.result()
                _name_imports(ctx, desired)
            addresses = [a for a, d in desired.items() if d.kind in stage]
            for address, live in zip(
                addresses, pool.map(lambda a: _read(ctx, desired[a], kinds), addresses), strict=True
            ):
                ctx.live[address] = live
        _supersede_imports(ctx, desired, kinds)
        _name_versions(ctx, desired)
        late = [a for a, d in desired.items() if d.kind in AFTER_VERSIONS]
        for address, live in zip(
            late, pool.map(lambda a: _read(ctx, desired[a], kinds), late), strict=True
        ):
            ctx.live[address] = live
        _evolve_schemas(ctx, desired)
        tagged = [
            a
            for a, d in desired.items()
            if d.tags
            and ctx.live.get(a) is not None
            and kinds[d.kind].taggable
            and not kinds[d.kind].create_only
        ]
        for address, tags in zip(
            tagged, pool.map(lambda a: ctx.read_tags(ctx.live[a].arn), tagged), strict=True
        ):
            ctx.live[address].tags = tags
    return {a: ctx.live.get(a) for a in desired}


def refresh_undeclared(
    ctx: Context, desired: dict[str, Desired]
) -> dict[str, tuple[Desired, Live]]:
    """The group's resources that carry this manifest's ownership tag but are no longer
    declared (see :mod:`personalize_reconcile.engine.discover`)."""
    group = next((a for a, d in desired.items() if d.kind == "dataset_group"), None)
    return discover(ctx, desired, group) if group else {}


def _read(ctx: Context, d: Desired, kinds: dict[str, Kind]) -> Live | None:
    live = kinds[d.kind].read(ctx, d)
    if live is not None and d.kind != "solution_version" and not live.raw.get("foreign"):
        ctx.set_arn(d.address, live.arn)
    return live


def _supersede_imports(ctx: Context, desired: dict[str, Desired], kinds: dict[str, Kind]) -> None:
    """Read again the imports whose data was replaced or added to since they ran, in
    manifest order, so that the dataset holds what the manifest declares (FULL replaces
    a dataset's bulk data; INCREMENTAL replaces records with the same ids; reference §5):

    * a FULL import declared before this one ran (or is about to run) after it: this one
      runs again after it;
    * a FULL job one of these imports made for other data (say, data it held before and
      holds again now) was made after this one: this one runs again, and so does each
      import after it;
    * this import made a job for other data after this one: it runs again.

    Imports made outside the manifest (a data pipeline's, say) are left alone: they are
    the pipeline's data, not drift. The new runs are later attempts of the same imports
    (``ImportJobKind.after_full``)."""
    imports: dict[str, list[Desired]] = {}
    for d in desired.values():  # in manifest order
        if d.kind == "import":
            imports.setdefault(d.extra["dataset_address"], []).append(d)
    kind = kinds["import"]
    for dataset, chain in imports.items():
        live_dataset = ctx.live.get(dataset)
        if live_dataset is None:
            continue
        current = {live.arn for d in chain if (live := ctx.live.get(d.address)) is not None}
        jobs = [
            j
            for j in kind.jobs_of(ctx, live_dataset.arn)  # type: ignore[attr-defined]
            if j.get("status") != "CREATE FAILED" and j["datasetImportJobArn"] not in current
        ]
        other_full = _newest(jobs, [d.extra["base_name"] for d in chain], full_only=True)
        full: tuple[str, object] | None = None  # the latest FULL before: (what, its time)
        if other_full is not None:
            full = ("a FULL import of other data", other_full)
        for d in chain:
            live = ctx.live.get(d.address)
            if live is not None:
                made = live.raw.get("creationDateTime")
                own = _newest(jobs, [d.extra["base_name"]], full_only=False)
                # superseded when such a job was made after this one (a tie counts as
                # before: this import is made only once the one before it is done)
                if full is not None and (full[1] is None or later(full[1], made)):
                    why, since = full
                elif own is not None and later(own, made):
                    why, since = "an import of other data by this import", own
                else:
                    why, since = "", made
                if why:
                    live = kind.after_full(ctx, d, why, since)  # type: ignore[attr-defined]
                    ctx.live[d.address] = live
                    if live is None:
                        ctx.arns.pop(d.address, None)
                    else:
                        ctx.set_arn(d.address, live.arn)
            if d.fields.get("importMode") == "FULL":  # its job is the latest FULL now
                made = live.raw.get("creationDateTime") if live is not None else None
                full = (f"{d.address} (importMode FULL)", made)


def _newest(jobs: list[dict], bases: list[str], full_only: bool) -> object | None:
    """The creationDateTime of the newest of ``jobs`` that imports named ``bases`` made
    (FULL ones only, with ``full_only``), or ``None``."""
    return max(
        (
            j.get("creationDateTime")
            for j in jobs
            if made_by(j.get("jobName", ""), bases)
            and (not full_only or j.get("importMode", "FULL") == "FULL")
        ),
        key=seconds,
        default=None,
    )


def _evolve_schemas(ctx: Context, desired: dict[str, Desired]) -> None:
    for d in desired.values():
        live = ctx.live.get(d.address)
        if (
            d.kind != "schema"
            or live is None
            or live.fields.get("schema") == d.fields.get("schema")
        ):
            continue
        if evolve_schema(ctx, d, parse_json(live.raw.get("schema"))):
            ctx.live[d.address] = None
            ctx.arns.pop(d.address, None)


def _name_imports(ctx: Context, desired: dict[str, Desired]) -> None:
    # The first attempt's name; ImportJobKind.read moves on to later attempts when
    # earlier ones failed.
    for d in desired.values():
        if d.kind == "import":
            dataset = ctx.live.get(d.extra["dataset_address"])
            if dataset is not None:
                name_import(d, dataset.raw.get("creationDateTime"))


def _name_versions(ctx: Context, desired: dict[str, Desired]) -> None:
    for d in desired.values():
        if d.kind != "solution_version":
            continue
        live = ctx.live.get(d.address)
        name_version(d, [desired[i].name for i in d.extra["imports"]], live)
        if live is None or live.status.endswith(("FAILED", "STOPPED")):
            continue
        if live.fields.get("name") == d.name or (
            d.extra["retrain"] == "ifMissing" and live.status == "ACTIVE"
        ):
            ctx.set_arn(d.address, live.arn)
