"""Solution metrics: what GetSolutionMetrics reports for a trained version (reference §6).

One job: read one version's metrics for the rollout gates, or say that it has none yet.
Callers: ``engine/rollout.py``.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from personalize_reconcile.resources.base import Context, error_code


def solution_metrics(ctx: Context, version_arn: str) -> dict[str, float] | None:
    """The ``metrics`` of the solution version ``version_arn`` (metric name -> number), or
    ``None`` when the version is not ACTIVE (ResourceInUseException, reference §3) or does
    not exist.

    Raises:
        botocore.exceptions.ClientError / BotoCoreError: any other failed read.
    """
    try:
        answer = ctx.personalize.get_solution_metrics(solutionVersionArn=version_arn)
    except ClientError as e:
        if error_code(e) in ("ResourceInUseException", "ResourceNotFoundException"):
            return None
        raise
    return {k: float(v) for k, v in (answer.get("metrics") or {}).items()}
