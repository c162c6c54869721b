"""Load a manifest file into a validated :class:`LoadedManifest`, or report every problem.

One job: run the loading pipeline — parse (with positions), resolve variables, interpolate,
check structure with the pydantic models, run the cross-checks, then check a sound
manifest's event filters against the data it uploads (``datachecks``) — and turn every
failure into a :class:`Diagnostic` with ``file:line:col``. Called by the CLI and the engine.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from personalize_reconcile.manifest.checks import Checker
from personalize_reconcile.manifest.datachecks import event_type_problems, import_data_problems
from personalize_reconcile.manifest.diagnostics import Diagnostic, ManifestError
from personalize_reconcile.manifest.interpolate import Budget, interpolate, resolve_variables
from personalize_reconcile.manifest.models import Manifest, json_schema
from personalize_reconcile.manifest.source import Source, SourceError, read_source
from personalize_reconcile.rules.problems import dotted, shown


@dataclass
class LoadedManifest:
    """A manifest that passed every check.

    Attributes:
        path: the manifest file.
        base_dir: its folder, against which relative paths resolve.
        manifest: the validated model.
        schemas: schema name -> parsed Avro document.
        variables: the variables in effect (declared defaults overridden by ``--var``).
    """

    path: Path
    base_dir: Path
    manifest: Manifest
    schemas: dict[str, dict] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)

    def resolve(self, relative: str) -> Path:
        """Return ``relative`` resolved against the manifest's folder."""
        return (self.base_dir / relative).resolve()


def parse_var(text: str) -> tuple[str, str]:
    """Split a ``--var name=value`` argument.

    Raises:
        ValueError: no ``=`` or an empty name; the message says how to write it.
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"--var {shown(text)} must look like name=value")
    return name.strip(), value


def load_manifest(
    path: str | Path,
    variables: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    target: str = "local",
    read_data: bool = False,
) -> LoadedManifest:
    """Load, interpolate and validate the manifest at ``path``.

    Args:
        path: the manifest file (YAML).
        variables: ``--var`` overrides, name -> value.
        environ: the environment for ``${env:NAME}`` (default ``os.environ``).
        target: ``local`` or ``aws``, the target the manifest is for; on ``aws`` the
            local target's own hyperparameters are refused (they are not AWS's).
        read_data: also read every ``uploadFrom`` file with its import job's rules
            (``preconcile validate``; plan reads only the data it would import).

    Raises:
        ManifestError: with every problem found, each located ``file:line:col``.
    """
    path = Path(path)
    try:
        src = read_source(path)
    except SourceError as e:
        raise ManifestError([e.diagnostic]) from None
    if src.data is None:
        raise ManifestError(
            [src.diagnostic((), "the manifest is empty", "start from examples/workshop.yaml")]
        )
    if not isinstance(src.data, dict):
        raise ManifestError(
            [
                src.diagnostic(
                    (),
                    "a manifest must be a YAML mapping (version:, name:, datasetGroup:, ...)",
                    "start from examples/workshop.yaml",
                )
            ]
        )
    diags: list[Diagnostic] = []
    declared = src.data.get("variables")
    declared = declared if isinstance(declared, dict) else {}
    budget = Budget()
    values, problems = resolve_variables(declared, dict(variables or {}), environ, budget)
    used: set[str] = set()
    data, more = interpolate(
        src.data, values, environ, skip=("variables",), used=used, budget=budget
    )
    for name in variables or {}:
        if name not in declared and name not in used:
            close = difflib.get_close_matches(name, sorted(set(declared) | used), n=1, cutoff=0.6)
            diags.append(
                Diagnostic(
                    src.file,
                    0,
                    0,
                    "",
                    f"--var {name[:80]}=...: the manifest neither declares nor uses a "
                    f"variable {shown(name)}",
                    f"did you mean --var {close[0]}=...?"
                    if close
                    else "declare it under variables:, or drop the --var",
                )
            )
    quiet: set[str] = set()  # uses of a variable whose own error is reported
    for p_path, message, hint in problems + more:
        if message is None:
            quiet.add(src.diagnostic(p_path, "").path)
        else:
            diags.append(src.diagnostic(p_path, message, hint))
    model = None
    try:
        model = Manifest.model_validate(data)
    except ValidationError as e:
        explained = {d.path for d in diags} | quiet  # already explained by a reference
        diags.extend(d for d in _model_diagnostics(e, src, data) if d.path not in explained)
    base_dir = path.resolve().parent
    checker = Checker(src, data, base_dir, target=target)
    unresolved = {d.path for d in diags} | quiet
    diags.extend(d for d in checker.run() if d.path not in unresolved)
    if not diags and model is not None:
        # only a manifest sound in itself is checked against the data it uploads
        diags.extend(event_type_problems(model, src, base_dir))
        if read_data:
            docs = {n: d.data for n, d in checker.schema_docs.items()}
            diags.extend(import_data_problems(model, src, base_dir, docs))
    if diags or model is None:
        raise ManifestError(_unique(diags))
    return LoadedManifest(
        path, base_dir, model, {n: d.data for n, d in checker.schema_docs.items()}, values
    )


def _unique(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen, out = set(), []
    for d in diags:
        key = (d.file, d.line, d.column, d.path, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _type(value: Any) -> str:
    return {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        dict: "a mapping",
        list: "a list",
        type(None): "empty",
    }.get(type(value), "a value")


def _model_diagnostics(error: ValidationError, src: Source, data: Any) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    done: set[tuple] = set()
    for err in error.errors(include_url=False):
        path, node = (), data
        for part in err["loc"]:  # keep the parts that index into the document
            if isinstance(node, dict) and part in node:
                path, node = path + (part,), node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                path, node = path + (part,), node[part]
            elif err["type"] in ("missing", "extra_forbidden") and part == err["loc"][-1]:
                path = path + (part,)
            else:
                break
        kind = err["type"]
        if path in done and kind != "missing":
            continue
        done.add(path)
        last = path[-1] if path else ""
        value = err.get("input")
        key = False
        hint = None
        if kind == "missing":
            message = f"required key {shown(last)} is missing"
            hint = f"add `{last}:`"
            line, col = src.position(path[:-1])
            out.append(Diagnostic(src.file, line, col, dotted(path), message, hint))
            continue
        if kind == "extra_forbidden":
            allowed = _allowed_keys(path[:-1])
            close = difflib.get_close_matches(str(last), allowed, n=1, cutoff=0.6)
            message = f"unknown key {shown(last)}"
            hint = (
                f"did you mean {shown(close[0])}?"
                if close
                else ("allowed keys here: " + ", ".join(allowed) if allowed else None)
            )
            key = True
        elif kind == "literal_error":
            expected = err["ctx"]["expected"]
            message = f"must be {expected}, not {shown(value)}"
        elif kind == "string_type":
            message = f"must be a string, not {_type(value)}"
            if isinstance(value, (int, float, bool)):
                hint = f'quote it: "{value}"'
        elif kind in ("int_parsing", "int_type", "int_from_float"):
            message = f"must be a whole number, not {shown(value)}"
        elif kind in ("bool_parsing", "bool_type"):
            message = f"must be true or false, not {shown(value)}"
        elif kind in ("dict_type", "model_type", "model_attributes_type"):
            message = f"must be a mapping, not {_type(value)}"
            if path == ("eventTracker",) and isinstance(value, list):  # reference §9
                hint = (
                    "a dataset group has at most one event tracker: write "
                    "eventTracker: {name: NAME}"
                )
        elif kind == "list_type":
            message = f"must be a list, not {_type(value)}"
            hint = "write each entry on its own line starting with '- '"
        elif kind == "greater_than_equal":
            message = f"must be at least {err['ctx']['ge']}, not {shown(value)}"
        elif kind == "value_error":
            message = str(err["ctx"]["error"])
        else:
            message = err["msg"][0].lower() + err["msg"][1:]
        if len(path) == 2 and path[0] == "variables":
            message = f"must be a string, a number or true/false, not {_type(value)}"
        elif len(err["loc"]) > len(path) and kind in ("string_type", "dict_type"):
            # a union member that did not match: say what the union accepts
            message = f"must be a mapping or a string, not {_type(value)}"
        out.append(src.diagnostic(path, message, hint, key=key))
    return out


@functools.lru_cache(maxsize=1)
def _schema() -> dict:
    return json_schema()


def _allowed_keys(path: tuple) -> list[str]:
    """Keys the JSON Schema allows in the mapping at ``path`` (for "did you mean")."""
    root = _schema()

    def deref(node: dict) -> dict:
        while True:
            if "$ref" in node:
                node = root["$defs"][node["$ref"].split("/")[-1]]
            elif "anyOf" in node:
                options = [deref(o) for o in node["anyOf"]]
                node = next(
                    (
                        o
                        for o in options
                        if o.get("type") in ("object", "array") or "properties" in o
                    ),
                    options[0],
                )
            else:
                return node

    node = deref(root)
    for part in path:
        props = node.get("properties", {})
        if isinstance(part, str) and part in props:
            node = deref(props[part])
        elif isinstance(node.get("additionalProperties"), dict):
            node = deref(node["additionalProperties"])
        elif isinstance(part, int) and "items" in node:
            node = deref(node["items"])
        else:
            return []
    return list(node.get("properties", {}))
