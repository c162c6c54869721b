"""Settings of the local target: where its state lives, which account it plays, how long
its asynchronous work takes.

One job: resolve configuration from arguments, environment and the state dir's
``local.json`` into one immutable :class:`LocalConfig`. Callers: ``service`` (builds the
running target), ``personalize_reconcile.backends.local`` and ``cli_local``.

Precedence, highest first: explicit arguments, environment, ``<state_dir>/local.json``,
defaults. A source overrides the same key of a lower one; for durations, a kind's own
entry always beats ``*``.

- State dir: ``PRECONCILE_STATE_DIR``; default ``.preconcile`` in the working directory.
- Account: ``PRECONCILE_ACCOUNT_ID``; default ``000000000000`` (reference §1).
- Minimum durations: ``PRECONCILE_LOCAL_DURATIONS="solution-version=30,campaign=5,*=0.5"``
  (seconds per resource kind, ``*`` for every kind), or ``{"durations": {...}}`` in
  ``local.json``. Default 0: resources settle as soon as their work is done.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_STATE_DIR = ".preconcile"

KINDS = (
    "dataset-group",
    "schema",
    "dataset",
    "dataset-import-job",
    "event-tracker",
    "filter",
    "metric-attribution",
    "solution",
    "solution-version",
    "campaign",
    "batch-inference-job",
    "batch-segment-job",
    "dataset-export-job",
    "data-deletion-job",
    "recommender",
)
"""Resource kinds, spelt as in their ARNs (reference §1)."""


class ConfigError(ValueError):
    """A setting has a value the local target cannot use; the message says which."""


def parse_durations(text: str) -> dict[str, float]:
    """Parse ``"kind=seconds,kind=seconds"`` (``*`` = every kind) into a dict.

    Raises:
        ConfigError: an entry is not ``kind=number``, the kind is unknown or the number
            is negative.
    """
    out: dict[str, float] = {}
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        kind, sep, value = item.partition("=")
        kind = kind.strip()
        if not sep:
            raise ConfigError(f"duration {item!r} is not kind=seconds")
        out[kind] = _seconds(kind, value.strip())
    _check_kinds(out)
    return out


def _seconds(kind: str, value: object) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"duration for {kind!r} is {value!r}, not a number of seconds") from None
    if seconds < 0 or seconds != seconds:
        raise ConfigError(f"duration for {kind!r} must be 0 or more seconds, not {value!r}")
    return seconds


def _check_kinds(durations: dict[str, float]) -> None:
    for kind in durations:
        if kind != "*" and kind not in KINDS:
            raise ConfigError(
                f"unknown resource kind {kind!r} in durations; known kinds: {', '.join(KINDS)} or *"
            )


_ACCOUNT_RE = re.compile(r"\d{12}")


@dataclass(frozen=True)
class LocalConfig:
    """The resolved settings of one local target.

    Attributes:
        state_dir: absolute directory holding ``state.db`` and the object store.
        account_id: the 12-digit account that ARNs carry.
        durations: minimum seconds from Create/Update/Delete to the settled state, per
            resource kind (``*`` = default for kinds not listed).
    """

    state_dir: Path
    account_id: str = DEFAULT_ACCOUNT
    durations: dict[str, float] = field(default_factory=dict)

    def duration(self, kind: str) -> float:
        """Minimum seconds for ``kind``'s asynchronous work (0 when unset)."""
        if kind in self.durations:
            return self.durations[kind]
        return self.durations.get("*", 0.0)

    @property
    def db_path(self) -> Path:
        """The SQLite database file."""
        return self.state_dir / "state.db"


def resolve_state_dir(state_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the absolute state dir: the argument, else ``PRECONCILE_STATE_DIR``, else
    ``.preconcile`` in the working directory."""
    raw = state_dir if state_dir is not None else os.environ.get("PRECONCILE_STATE_DIR")
    return Path(raw or DEFAULT_STATE_DIR).expanduser().resolve()


def load_config(
    state_dir: str | os.PathLike[str] | None = None,
    *,
    account_id: str | None = None,
    durations: dict[str, float] | None = None,
) -> LocalConfig:
    """Resolve the settings (arguments, then environment, then ``local.json``).

    Raises:
        ConfigError: a malformed ``local.json``, account id or duration.
    """
    root = resolve_state_dir(state_dir)
    file_settings: dict = {}
    cfg_file = root / "local.json"
    if cfg_file.is_file():
        try:
            file_settings = json.loads(cfg_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{cfg_file} is not valid JSON: {exc}") from None
        except RecursionError:
            raise ConfigError(
                f"{cfg_file} is not valid JSON: it nests deeper than Python can read"
            ) from None
        if not isinstance(file_settings, dict):
            raise ConfigError(f"{cfg_file} must hold a JSON object")
    account, source = next(
        (value, source)
        for value, source in (
            (account_id, "--account-id"),
            (os.environ.get("PRECONCILE_ACCOUNT_ID"), "PRECONCILE_ACCOUNT_ID"),
            (file_settings.get("accountId"), f"accountId in {cfg_file}"),
            (DEFAULT_ACCOUNT, "the default"),
        )
        if value
    )
    if not isinstance(account, str) or not _ACCOUNT_RE.fullmatch(account):
        raise ConfigError(f"account id {account!r} ({source}) must be 12 digits")
    merged: dict[str, float] = {}
    file_durations = file_settings.get("durations") or {}
    if not isinstance(file_durations, dict):
        raise ConfigError(f"{cfg_file}: durations must be an object of kind -> seconds")
    for kind, value in file_durations.items():
        merged[kind] = _seconds(kind, value)
    env = os.environ.get("PRECONCILE_LOCAL_DURATIONS")
    if env:
        try:
            merged.update(parse_durations(env))
        except ConfigError as e:
            raise ConfigError(
                f"PRECONCILE_LOCAL_DURATIONS: {e}; write kind=seconds pairs, for example "
                "solution-version=30,*=1"
            ) from None
    for kind, value in (durations or {}).items():
        merged[kind] = _seconds(kind, value)
    _check_kinds(merged)
    return LocalConfig(state_dir=root, account_id=account, durations=merged)
