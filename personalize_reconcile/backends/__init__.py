"""boto3 client factories for the targets preconcile talks to.

``personalize_reconcile.backends.local.local_client`` makes clients answered by the
embedded local Personalize (no network).
"""
