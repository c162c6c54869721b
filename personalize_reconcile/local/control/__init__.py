"""The control plane of the local Personalize: what each operation checks, stores and
answers.

One job: run one personalize (control plane) operation (:func:`call`). Each resource kind
has its own module holding its operations, checks, quotas and Describe shape, registered
by name in ``registry`` when imported below; adding a kind means adding a module and
naming it in :data:`KINDS`. Requests arrive validated against the botocore input shape
(``responses`` does that); answers are plain data in the operation's output shape,
timestamps as epoch seconds. Asynchronous work is scheduled as job rows
(``personalize_reconcile.local.jobs``); what its steps do is in ``lifecycle``, and the
two do not import each other (``LocalService`` hands ``lifecycle`` :func:`describe`).
Callers: ``responses`` (:func:`call`), ``service`` (:func:`describe`).

Shared modules: ``context`` (RequestContext), ``arns``, ``errors`` (the shared refusals),
``registry``, ``descriptions`` (Describe shapes), ``pagination``, ``reads`` (the Describe
and List operations every kind answers alike), ``records`` (find, create, delete, update
a stored resource), ``tags``. Kind modules: ``dataset_groups``, ``schemas``, ``datasets``,
``import_jobs``, ``dataset_export_jobs``, ``data_deletion_jobs``, ``event_trackers``,
``filters``, ``metric_attributions``, ``solutions``, ``solution_versions``,
``campaigns``, ``recommenders``, ``batch_jobs``, ``recipes`` (and ``tags`` for the tag
operations); ``exploration`` holds the itemExplorationConfig rules
campaigns and recommenders share.

Sources: reference §1 (ARNs, names, uniqueness), §2 (fields, statuses, ``latest*Update``,
List vs Describe), §3 (prerequisites, delete preconditions, error codes), §4 (schemas,
UpdateDataset), §5 (imports), §6 (recipes, domain use cases, solution flags, training
modes), §7 (campaigns, recommenders),
§9 (quotas); the botocore model for shapes.

Automatic training is scheduled outside the control plane (``local/autotraining.py``).
Not modeled (said here rather than faked): HPO and AutoML runs (see ``solutions``), the
2-hourly campaign auto-updates, KMS, IAM and S3 permission checks.

Error messages (the service's exact wording is unconfirmed, reference §10): see
``errors``.
"""

from __future__ import annotations

from types import SimpleNamespace

from personalize_reconcile.local.control import (
    batch_jobs,
    campaigns,
    data_deletion_jobs,
    dataset_export_jobs,
    dataset_groups,
    datasets,
    event_trackers,
    filters,
    import_jobs,
    metric_attributions,
    recipes,
    recommenders,
    registry,
    schemas,
    solution_versions,
    solutions,
    tags,
)
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.control.descriptions import describe
from personalize_reconcile.local.exceptions import UnknownOperationException

KINDS = (
    dataset_groups,
    schemas,
    datasets,
    import_jobs,
    dataset_export_jobs,
    data_deletion_jobs,
    event_trackers,
    filters,
    metric_attributions,
    solutions,
    solution_versions,
    campaigns,
    batch_jobs,
    recommenders,
    recipes,
    tags,
)
"""The modules whose operations this package answers (each registers its handlers)."""

HANDLERS = SimpleNamespace(**registry.by_method_name())
"""Every handler as an attribute named like its boto3 client method
(``HANDLERS.create_campaign``): what the local target implements, for readers and tests."""

__all__ = ["HANDLERS", "KINDS", "RequestContext", "call", "describe"]


def call(ctx: RequestContext, op: str, params: dict) -> dict:
    """Run operation ``op`` (``CreateCampaign``) for ``ctx`` with validated ``params``.

    A read-only operation reads on the thread's connection; any other runs in one write
    transaction, after which the job runner is woken for the work it scheduled.

    Returns:
        The operation's output shape as plain data.

    Raises:
        ServiceError: the service's errors (``personalize_reconcile.local.exceptions``);
            UnknownOperationException for an operation the local target does not model.
    """
    found = registry.lookup(op)
    if found is None:
        raise UnknownOperationException(f"The local Personalize target does not implement {op}.")
    store = ctx.service.store
    if found.read_only:
        return found.handler(ctx, store.conn(), params)
    with store.write() as conn:
        out = found.handler(ctx, conn, params)
    ctx.service.runner.wake()
    return out
