"""Views of plans and apply progress for people (rich markup) — the JSON view is
:meth:`personalize_reconcile.engine.plan.Plan.to_json`."""
