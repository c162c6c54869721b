"""Amazon Personalize's own rules, as plain functions with no I/O.

One job: encode the service's validation rules (names, recipes, Avro schemas, request
shapes) once, so that the manifest validator (``personalize_reconcile.manifest``) and the
embedded local Personalize (``personalize_reconcile.local``) check exactly the same things.
Every rule cites its source in ``shared/reference/personalize-api.md`` (section numbers)
or the botocore service model.
"""

from personalize_reconcile.rules.problems import Problem

__all__ = ["Problem"]
