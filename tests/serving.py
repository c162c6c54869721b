"""Start ``preconcile local serve`` in a subprocess on a port it picks itself.

``--port 0`` lets the server bind any free port and print it ("listening on
http://127.0.0.1:PORT"); reading that line avoids the race of choosing a free port first
and binding it seconds later in another process.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from processes import with_default_sigint

_LISTENING = re.compile(r"listening on (http://[^ ]+:(\d+)) ")


@dataclass
class Served:
    """A running ``local serve``: its process, URL and port; its stderr is collected by a
    thread (so a chatty server never blocks on a full pipe)."""

    proc: subprocess.Popen
    url: str
    port: int
    lines: list[str]
    reader: threading.Thread

    def stop(self, sig: int = signal.SIGINT) -> str:
        """Stop the server (``sig``, then SIGKILL after 60 s); return all of its stderr."""
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(60)
        return "".join(self.lines)


def serve_command(state_dir: Path, *args: str) -> list[str]:
    """The command line of ``preconcile local serve --state-dir STATE_DIR ARGS...``."""
    return [
        sys.executable,
        "-m",
        "personalize_reconcile",
        "local",
        "serve",
        "--state-dir",
        str(state_dir),
        *args,
    ]


def start_serve(
    state_dir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> Served:
    """Run ``preconcile local serve --port 0 --state-dir STATE_DIR ARGS...`` and wait (at most
    ``timeout`` s) until it says where it listens.

    Raises:
        AssertionError: the server exited or said nothing in time (its stderr is shown).
    """
    proc = subprocess.Popen(
        serve_command(state_dir, "--port", "0", *args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=with_default_sigint,
    )
    lines: list[str] = []
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        for line in proc.stderr:
            lines.append(line)
            found = _LISTENING.search(line)
            if found:
                reader = threading.Thread(target=lines.extend, args=(proc.stderr,), daemon=True)
                reader.start()
                return Served(proc, found.group(1), int(found.group(2)), lines, reader)
    finally:
        timer.cancel()
    proc.wait()
    raise AssertionError("local serve did not start:\n" + "".join(lines))
