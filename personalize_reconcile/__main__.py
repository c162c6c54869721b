"""Allow ``python -m personalize_reconcile``."""

from personalize_reconcile.entry import main

main()
