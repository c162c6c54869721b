"""Allow ``python -m personalize_reconcile``."""

from personalize_reconcile.cli import main

main()
