"""Saved plans: ``plan FILE --out PLAN`` writes one, ``apply PLAN`` applies exactly it.

One job: the plan file and its staleness checks (Terraform's ``plan -out`` and stale
plan). A plan file is UTF-8 JSON whose first key is ``"preconcile_plan"`` (the file
format's version, :data:`PLAN_FILE_VERSION`); it holds the versioned JSON plan (``plan``)
and what is needed to apply that plan again and to notice that it went stale:

- the manifest's path as given (relative paths are read from the current folder), its
  text and SHA-256; the SHA-256 of every file it reads (schema ``file:``, ``uploadFrom``),
  by the path written in the manifest; a SHA-256 of each environment variable it names
  (``${env:NAME}``, ``null`` when unset); the ``--var`` values given to ``plan``;
- the target, region, state dir (local) and account (when known);
- the live state the plan was computed from: per resource the ARN, status, creation time,
  compared fields and tags as refresh read them, plus the data fingerprint of imports
  that read ``s3://`` data without ``uploadFrom``, and the SHA-256 of all of it.

``apply PLAN`` (see the CLI) calls :func:`read`, :func:`check_options`,
:func:`check_inputs`, loads the manifest, refreshes and plans again, then
:func:`check_live`; each raises :class:`SavedPlanError` (or :class:`StalePlan`) with the
whole message. ``--allow-replace``/``--allow-delete``/``--adopt`` are not recorded: apply
checks them with the flags given to it. Nothing here prints.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personalize_reconcile import __version__
from personalize_reconcile.engine import Prepared
from personalize_reconcile.manifest import LoadedManifest

PLAN_FILE_VERSION = 1
"""The plan file format this preconcile writes and reads."""

MARKER = "preconcile_plan"
"""The plan file's first key; its value is the format version."""

_PLAN_START = re.compile(rb'\s*\{\s*"' + MARKER.encode() + rb'"\s*:')
MAX_PLAN_BYTES = 64 * 1024 * 1024
"""The largest plan file read, in bytes (a plan of hundreds of resources takes a few KiB)."""
_ENV_REF = re.compile(r"\$\$\{|\$\{\s*env:([^}]*)\}")
_MOST_MOVES = 8
"""How many moved resources a stale-plan message names before it says "and N more"."""


class SavedPlanError(Exception):
    """The file cannot be applied as a saved plan: it is damaged, of an unknown format
    version, a ``plan --json`` document, or made for another target; ``str()`` is the
    whole message (what, and what to do)."""


class StalePlan(SavedPlanError):
    """Something moved since the plan was made (the manifest, a file or environment
    variable it reads, the live state); ``str()`` says what, and to plan again."""


@dataclass
class SavedPlan:
    """The content of a plan file (see the module docstring).

    Attributes:
        source: the plan file's path as given to ``apply`` (for messages; not stored).
        manifest_path: the manifest's path as given to ``plan``.
        manifest_text: its text; ``manifest_sha256`` the SHA-256 hex of its bytes.
        files: path written in the manifest (relative to its folder) -> SHA-256 hex.
        environment: name of each ``${env:NAME}`` -> SHA-256 hex of its value, or
            ``None`` when it was unset.
        variables: the ``--var`` values given to ``plan``, name -> value.
        target, region: where the plan was made (``local``/``aws``).
        state_dir: the local target's state dir (absolute), ``None`` on AWS.
        account: the account id, ``None`` when it was not known (nothing existed on AWS).
        live: ``{"sha256": hex, "resources": {address: entry or None}, "data": {address:
            {"location", "fingerprint"}}}`` (see :func:`live_state`).
        plan: the versioned JSON plan (the document ``plan --json`` prints).
        created: when the plan was made (ISO 8601, UTC).
        made_by: the preconcile version that made it.
    """

    manifest_path: str
    manifest_text: str
    manifest_sha256: str
    files: dict[str, str]
    environment: dict[str, str | None]
    variables: dict[str, str]
    target: str
    region: str
    state_dir: str | None
    account: str | None
    live: dict[str, Any]
    plan: dict[str, Any]
    created: str = ""
    made_by: str = __version__
    source: str = field(default="", compare=False)

    def to_json(self) -> dict[str, Any]:
        """The plan file's document (the marker first, so that :func:`read` can tell a plan
        file from a manifest by its first bytes)."""
        return {
            MARKER: PLAN_FILE_VERSION,
            "made_by": self.made_by,
            "created": self.created,
            "manifest": {
                "path": self.manifest_path,
                "sha256": self.manifest_sha256,
                "text": self.manifest_text,
            },
            "files": self.files,
            "environment": self.environment,
            "variables": self.variables,
            "target": {
                "name": self.target,
                "region": self.region,
                "state_dir": self.state_dir,
                "account": self.account,
            },
            "live": self.live,
            "plan": self.plan,
        }


def capture(
    prepared: Prepared,
    loaded: LoadedManifest,
    manifest_path: str,
    variables: dict[str, str],
    state_dir: Path | None,
) -> SavedPlan:
    """A :class:`SavedPlan` of a plan just made.

    Args:
        prepared: what :func:`personalize_reconcile.engine.prepare` returned.
        loaded: the manifest it was made from.
        manifest_path: the manifest's path as given (the plan's ``manifest.path``).
        variables: the ``--var`` values given, name -> value.
        state_dir: the local target's state dir, ``None`` on AWS.

    Raises:
        OSError: a file the manifest reads cannot be read.
    """
    data = Path(manifest_path).read_bytes()
    plan = prepared.plan
    return SavedPlan(
        manifest_path=manifest_path,
        manifest_text=data.decode("utf-8", errors="replace"),
        manifest_sha256=hashlib.sha256(data).hexdigest(),
        files={rel: _file_sha256(loaded.resolve(rel)) for rel in _files_read(loaded)},
        environment=_environment(data.decode("utf-8", errors="replace")),
        variables=dict(variables),
        target=plan.target,
        region=plan.region,
        state_dir=str(state_dir.resolve()) if state_dir is not None else None,
        account=prepared.ctx.account,
        live=live_state(prepared),
        plan=plan.to_json(),
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )


def write(saved: SavedPlan, path: Path) -> None:
    """Write ``saved`` to ``path`` atomically (a temporary file in the same folder, then a
    rename), readable and writable by its owner only (mode 0600).

    Raises:
        OSError: the folder does not exist or cannot be written.
    """
    text = json.dumps(saved.to_json(), indent=2, ensure_ascii=False) + "\n"
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.chmod(tmp, 0o600)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(path: Path) -> SavedPlan | None:
    """Read ``path`` if it is a plan file; ``None`` when it is something else (a manifest,
    or a file that cannot be read: the manifest loader reports that).

    Raises:
        SavedPlanError: the file starts like a plan file but is damaged or of another
            format version; or it is a ``plan --json`` document; or it is not UTF-8 text
            at all (neither a manifest nor a plan).
    """
    if not _is_regular(path):
        return None  # a FIFO, a device, a folder: the manifest loader names it
    try:
        with path.open("rb") as f:
            data = f.read(MAX_PLAN_BYTES + 1)
    except OSError:
        return None
    if not _PLAN_START.match(data[:200]):
        if len(data) <= MAX_PLAN_BYTES:
            _not_a_plan(path, data)
        return None
    if len(data) > MAX_PLAN_BYTES:
        raise SavedPlanError(
            f"{path} starts like a saved plan but is larger than {MAX_PLAN_BYTES:,} bytes, "
            "which no saved plan is; save the plan again with "
            "`preconcile plan MANIFEST --out PLAN`."
        )
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SavedPlanError(
            f"{path} is a damaged saved plan ({e}); save it again with "
            "`preconcile plan MANIFEST --out PLAN`."
        ) from None
    except RecursionError:
        raise SavedPlanError(
            f"{path} is a damaged saved plan (its JSON nests deeper than Python can read); "
            "save it again with `preconcile plan MANIFEST --out PLAN`."
        ) from None
    version = doc.get(MARKER) if isinstance(doc, dict) else None
    if type(version) is not int or version != PLAN_FILE_VERSION:
        made_by = doc.get("made_by") if isinstance(doc, dict) else None
        if type(version) is not int:
            raise SavedPlanError(
                f"{path} is a damaged saved plan (its format version is {_brief(version)}, "
                "not a whole number); save it again with `preconcile plan MANIFEST --out PLAN`."
            )
        raise SavedPlanError(
            f"{path} is a saved plan of format version {version}, which this preconcile "
            f"({__version__}) cannot read (it reads version {PLAN_FILE_VERSION}); apply it with "
            f"the preconcile that made it ({made_by or 'unknown version'}), or run plan again."
        )
    try:
        manifest, target = _mapping(doc["manifest"]), _mapping(doc["target"])
        saved = SavedPlan(
            manifest_path=_str(manifest["path"]),
            manifest_text=_str(manifest["text"]),
            manifest_sha256=_str(manifest["sha256"]),
            files=_mapping(doc["files"]),
            environment=_mapping(doc["environment"]),
            variables=_mapping(doc["variables"]),
            target=_str(target["name"]),
            region=_str(target["region"]),
            state_dir=target["state_dir"],
            account=target["account"],
            live=_mapping(doc["live"]),
            plan=_mapping(doc["plan"]),
            created=str(doc.get("created", "")),
            made_by=str(doc.get("made_by", "")),
            source=str(path),
        )
        for key, check in (("resources", _mapping), ("data", _mapping), ("sha256", _str)):
            check(saved.live[key])
        for value in (saved.state_dir, saved.account):
            if value is not None:
                _str(value)
        for change in _list(saved.plan.get("resource_changes", [])):
            _mapping(change)
    except (KeyError, TypeError) as e:
        missing = f"no {e.args[0]!r}" if isinstance(e, KeyError) else str(e)
        raise SavedPlanError(
            f"{path} is a damaged saved plan ({missing}); save it again with "
            "`preconcile plan MANIFEST --out PLAN`."
        ) from None
    return saved


def is_plan_file(path: Path) -> bool:
    """Whether ``path`` starts like a plan file (for commands other than apply, which
    take only manifests, to say so). ``False`` when it cannot be read."""
    if not _is_regular(path):
        return False
    try:
        with path.open("rb") as f:
            return bool(_PLAN_START.match(f.read(200)))
    except OSError:
        return False


def _is_regular(path: Path) -> bool:
    """Whether ``path`` is a regular file (checked without opening it, so a FIFO or a
    device never blocks or streams)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def check_options(saved: SavedPlan, given: dict[str, tuple[Any, str]]) -> None:
    """Refuse options given to ``apply PLAN`` that name another target than the plan's.

    Args:
        saved: the plan.
        given: for each of ``target``, ``region``, ``state_dir`` that was given (on the
            command line or through the environment): ``(value, how it was given)``,
            e.g. ``("aws", "--target")`` or ``("/tmp/s", "PRECONCILE_STATE_DIR")``.

    Raises:
        SavedPlanError: naming the option, the plan's value and the given one.
    """
    planned = {"target": saved.target, "region": saved.region}
    if saved.target == "local":
        planned["state_dir"] = saved.state_dir
    for key, then in planned.items():
        if key not in given:
            continue
        now, how = given[key]
        if key == "state_dir":
            now = str(Path(now).resolve())
        if now != then:
            what = key.replace("_", " ")
            raise SavedPlanError(
                f"the saved plan {saved.source} was made for the {what} {then}, but {how} says "
                f"{now}; apply it without {how} (the plan's {what} is used), or run plan again "
                f"for {now}."
            )


def check_inputs(saved: SavedPlan) -> None:
    """Check, before the manifest is loaded, that it and what it reads did not change.

    Raises:
        SavedPlanError: the manifest is not there.
        StalePlan: the manifest, a file it reads or an environment variable it names
            changed since the plan was made (each one named).
    """
    path = Path(saved.manifest_path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SavedPlanError(
            f"the saved plan {saved.source} cannot be applied: its manifest {path} cannot be "
            f"read ({e.strerror or e}); apply the plan from the folder it was made in "
            "(relative paths are read from the current folder)."
        ) from None
    moved = []
    if hashlib.sha256(data).hexdigest() != saved.manifest_sha256:
        text = data.decode("utf-8", errors="replace")
        moved.append(
            f"the manifest {path} changed since the plan was made "
            f"({_text_change(saved.manifest_text, text)})"
        )
    else:
        env = _environment(data.decode("utf-8", errors="replace"))
        for name in sorted(set(env) | set(saved.environment)):
            then, now = saved.environment.get(name), env.get(name)
            if then != now:
                how = "is no longer set" if now is None else "changed"
                how = "is set now" if then is None else how
                moved.append(f"the environment variable {name} that the manifest reads {how}")
        for rel, then in sorted(saved.files.items()):
            shown = os.path.normpath(path.parent / rel)
            try:
                now = _file_sha256(path.parent / rel)
            except OSError:
                moved.append(f"the file {shown} that the manifest reads is gone")
                continue
            if now != then:
                moved.append(
                    f"the file {shown} that the manifest reads changed since the plan was made"
                )
    if moved:
        raise StalePlan(_stale(saved, "; ".join(moved)))


def check_live(saved: SavedPlan, prepared: Prepared) -> None:
    """Check that the plan made now, from the same inputs, is the saved one: same
    account, same live state, same changes.

    Raises:
        SavedPlanError: the target is another account.
        StalePlan: the live state moved (each moved resource named, with what moved), or
            the plan differs for a reason not seen above.
    """
    account = prepared.ctx.account
    if saved.account and account and account != saved.account:
        raise SavedPlanError(
            f"the saved plan {saved.source} was made for account {saved.account}, but the "
            f"target is account {account}; run plan again with these credentials."
        )
    live = live_state(prepared)
    if live["sha256"] != saved.live["sha256"]:
        order = [c.get("address") for c in saved.plan.get("resource_changes", [])]
        moved = _live_moves(saved.live, live, order)
        shown = moved[:_MOST_MOVES]
        if len(moved) > _MOST_MOVES:
            shown.append(f"and {len(moved) - _MOST_MOVES} more")
        what = "the live state changed since the plan was made"
        raise StalePlan(_stale(saved, what + (": " + "; ".join(shown) if shown else "")))
    now = _normal(prepared.plan.to_json())
    if now != _normal(saved.plan):
        before = {c["address"]: c for c in saved.plan.get("resource_changes", [])}
        after = {c["address"]: c for c in now.get("resource_changes", [])}
        differ = [
            f"{a} {_actions(before.get(a))} -> {_actions(after.get(a))}"
            for a in list(before) + [a for a in after if a not in before]
            if before.get(a) != after.get(a)
        ]
        raise StalePlan(
            _stale(
                saved,
                "the plan made now differs from the saved one: "
                + ("; ".join(differ) or "its target or summary differs"),
            )
        )


def live_state(prepared: Prepared) -> dict[str, Any]:
    """The live state a plan was computed from, as JSON-ready data.

    Returns:
        ``{"resources": {address: None | {"arn", "status", "updating", "created",
        "failureReason", "fields", "tags"}}, "data": {import or batch job address:
        {"location", "fingerprint"}}, "sha256": hex of the canonical JSON of both}``.
        ``tags`` is present only where refresh read them; ``data`` lists imports and batch
        jobs of ``s3://`` data that have no ``uploadFrom`` (an upload's file is checked as
        a manifest input).
    """
    resources: dict[str, Any] = {}
    for address, live in sorted(prepared.ctx.live.items()):
        if live is None:
            resources[address] = None
            continue
        entry: dict[str, Any] = {
            "arn": live.arn,
            "status": live.status,
            "updating": live.pending_update,
            "created": live.raw.get("creationDateTime"),
            "failureReason": live.failure_reason,
            "fields": live.fields,
        }
        if live.tags is not None:
            entry["tags"] = live.tags
        resources[address] = entry
    data = {
        a: {
            "location": d.fields.get("dataLocation") or d.fields.get("jobInput"),
            "fingerprint": d.extra.get("data_fp"),
        }
        for a, d in sorted(prepared.desired.items())
        if d.kind in DATA_KINDS and "upload_path" not in d.extra
    }
    state = _normal({"resources": resources, "data": data})
    blob = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    state["sha256"] = hashlib.sha256(blob.encode()).hexdigest()
    return state


DATA_KINDS = ("import", "batch_inference_job", "batch_segment_job")
"""Kinds whose ``s3://`` input data a plan records (imports' dataLocation, batch jobs'
jobInput)."""


def _files_read(loaded: LoadedManifest) -> list[str]:
    m = loaded.manifest
    out = [s.file for s in m.schemas.values() if s.file]
    for ds in m.datasets.by_type().values():
        out += [i.upload_from for i in ds.imports if i.upload_from]
    for jobs in (m.batch_inference_jobs, m.batch_segment_jobs):
        out += [j.upload_from for j in jobs.values() if j.upload_from]
    return sorted(set(out))


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _environment(text: str) -> dict[str, str | None]:
    names = {m.group(1).strip() for m in _ENV_REF.finditer(text) if m.group(1) is not None}
    values = {name: os.environ.get(name) for name in sorted(names)}
    return {
        n: None if v is None else hashlib.sha256(v.encode()).hexdigest() for n, v in values.items()
    }


def _text_change(before: str, after: str) -> str:
    """Where two texts first differ, for people: ``line 37: `a` is now `b```."""
    old, new = before.splitlines(), after.splitlines()
    ops = [op for op in difflib.SequenceMatcher(None, old, new).get_opcodes() if op[0] != "equal"]
    if not ops:
        return "its bytes differ"
    tag, i1, i2, j1, j2 = ops[0]
    if tag == "replace":
        first = f"line {j1 + 1}: `{old[i1].strip()}` is now `{new[j1].strip()}`"
    elif tag == "delete":
        first = f"line {i1 + 1} `{old[i1].strip()}` was removed"
    else:
        first = f"line {j1 + 1} `{new[j1].strip()}` was added"
    more = sum(max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in ops) - 1
    return first + (f", and {more} more changed line{'s' if more != 1 else ''}" if more else "")


def _live_moves(before: dict[str, Any], after: dict[str, Any], order: list[str]) -> list[str]:
    """One item per moved resource, in ``order`` (then by address): ``campaign.x
    minProvisionedTPS 1 -> 3``."""
    out = []
    data_moved = set()
    for address in sorted(set(before["data"]) | set(after["data"])):
        then, now = before["data"].get(address), after["data"].get(address)
        if then != now and then is not None and now is not None:
            data_moved.add(address)
            out.append(f"{address} the data at {now['location']} changed")
    old, new = before["resources"], after["resources"]
    rest = sorted((set(old) | set(new)) - set(order))
    for address in [a for a in order if a in old or a in new] + rest:
        then, now = old.get(address), new.get(address)
        if then == now or address in data_moved:
            continue
        if then is None:
            out.append(f"{address} exists now ({now['status']})")
        elif now is None:
            out.append(f"{address} no longer exists")
        elif then["arn"] != now["arn"] or then["created"] != now["created"]:
            out.append(f"{address} was deleted and created again")
        else:
            parts = [
                f"{path} {_shown(a)} -> {_shown(b)}"
                for path, a, b in _differences(then.get("fields", {}), now.get("fields", {}))
            ]
            parts += [
                f"tags.{path} {_shown(a)} -> {_shown(b)}"
                for path, a, b in _differences(then.get("tags") or {}, now.get("tags") or {})
            ]
            if then["status"] != now["status"]:
                parts.append(f"status {then['status']} -> {now['status']}")
            if then["updating"] != now["updating"]:
                parts.append("an update started" if now["updating"] else "an update finished")
            if then["failureReason"] != now["failureReason"]:
                parts.append(f"failureReason {_shown(now['failureReason'])}")
            out.append(f"{address} {', '.join(parts) or 'changed'}")
    return out


def _differences(before: dict, after: dict, prefix: str = "") -> list[tuple[str, Any, Any]]:
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", a, b))
    return out


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _actions(change: dict[str, Any] | None) -> str:
    if change is None:
        return "(absent)"
    return "+".join(change.get("actions", []))


def _stale(saved: SavedPlan, what: str) -> str:
    return f"the saved plan {saved.source} is stale: {what}; run plan again."


def _normal(value: Any) -> Any:
    """``value`` as it reads back from JSON (datetimes as text, tuples as lists)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str, ensure_ascii=False))


def _not_a_plan(path: Path, data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SavedPlanError(
            f"{path} is neither a manifest nor a saved plan: it is not UTF-8 text (byte "
            f"{e.start}); give a manifest (YAML) or a plan file saved by "
            "`preconcile plan MANIFEST --out PLAN`."
        ) from None
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            return
        if isinstance(doc, dict) and "resource_changes" in doc and "format_version" in doc:
            raise SavedPlanError(
                f"{path} is the JSON plan that `plan --json` prints, not a saved plan; save a "
                "plan for apply with `preconcile plan MANIFEST --out PLAN`."
            )


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{_brief(value)} where a string belongs")
    return value


def _mapping(value: Any) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"{_brief(value)} where a mapping belongs")
    return value


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise TypeError(f"{_brief(value)} where a list belongs")
    return value


def _brief(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a damaged plan's message stays short."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"
