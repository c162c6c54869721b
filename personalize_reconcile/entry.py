"""The ``preconcile`` console script, kept tiny so that Ctrl-C or SIGTERM arriving while the
command line is still being imported ends quietly too (exit 1, "Interrupted."), never with
a traceback. Everything else is :func:`personalize_reconcile.cli.main`.

Callers: ``python -m personalize_reconcile`` (``__main__.py``) and the ``preconcile``
script.
"""

from __future__ import annotations

import signal
import sys


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Run the command line; SIGTERM is handled like Ctrl-C."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from personalize_reconcile.cli import main as run

        run()
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(1)
    finally:
        # The command is over; a signal now would only interrupt the interpreter's own
        # shutdown (joining worker threads) and print a traceback of it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
