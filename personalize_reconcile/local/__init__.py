"""The embedded, offline Amazon Personalize ("the local target"), reached only through boto3.

Layout (one job per module; docs/architecture.md draws it):

* ``config`` - state dir, account, minimum durations.
* ``store`` - SQLite state (resources, tags, spent names, job queue).
* ``statuses`` - the status words the control plane and the status machine share.
* ``control`` - the control plane: one module per resource kind (what each operation
  checks, stores and answers), and the shared pieces (ARNs, request context, refusals,
  pagination, the operation registry).
* ``lifecycle`` - the status machine run by jobs (create, update, stop, delete steps).
* ``jobs`` - the durable job runner (claims, leases, workers, crash recovery); it knows
  jobs, not resource kinds.
* ``seams`` - contracts with the import, training and runtime modules.
* ``exceptions`` - the service's error codes, messages and HTTP statuses.
* ``responses`` - the wire protocol (JSON 1.1 control plane, rest-json runtime).
* ``transport`` - the in-process botocore hook; ``server`` - the same over HTTP.
* ``service`` - one running target per state dir.
* ``metering`` - opt-in log of answered calls (``PRECONCILE_LOCAL_CALL_LOG``).
* ``objectstore``, ``csvimport``, ``datastore`` - s3:// objects, CSV import, stored rows.
* ``training`` - training algorithms and metrics (reads only ``datastore``);
  ``runtime`` - personalize-runtime, reading models through ``training.serving``.

This package never imports the engine, manifest or CLI; it may import
``personalize_reconcile.rules``. Clients: ``personalize_reconcile.backends`` and
``personalize_reconcile.cli_local``. The import-linter contracts in pyproject.toml hold
these rules (``lint-imports``).
"""
