"""Starting child processes that tests interrupt with SIGINT (Ctrl-C)."""

from __future__ import annotations

import signal


def with_default_sigint() -> None:
    """``preexec_fn`` for ``subprocess.Popen``: give the child the default SIGINT action.

    A test run started in the background by a shell script (as CI may start it) has SIGINT
    ignored, and children inherit that; Python then keeps it ignored, and a test's Ctrl-C
    would never arrive.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
