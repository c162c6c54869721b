"""``${...}`` interpolation in manifest strings.

One job: replace ``${name}`` with a variable (the manifest's ``variables``, overridden by
``--var name=value``) and ``${env:NAME}`` with an environment variable, in every string of
the document. ``$${`` writes a literal ``${``. A string that is exactly one ``${name}`` takes
the variable's own type (so ``minProvisionedTPS: ${tps}`` with ``tps: 2`` is a number).
Called by :mod:`personalize_reconcile.manifest.loader`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from typing import Any

from personalize_reconcile.rules.problems import PathPart

_REF = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


class Unresolved(tuple):
    """(path, message, hint) of a reference that could not be resolved."""


def interpolate(
    data: Any,
    variables: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    skip: tuple[PathPart, ...] | None = None,
    used: set[str] | None = None,
) -> tuple[Any, list[Unresolved]]:
    """Return ``data`` with every reference replaced, and the references left unresolved.

    Args:
        data: plain document data (dicts, lists, scalars).
        variables: name -> value.
        environ: the environment (default ``os.environ``).
        skip: a top-level key whose subtree is left alone (the ``variables`` block itself).
        used: if given, the names of the variables referenced are added to it.

    Returns:
        ``(new_data, problems)``; each problem is ``Unresolved((path, message, hint))``.
        An unresolved reference is left in the string as written.
    """
    env = os.environ if environ is None else environ
    problems: list[Unresolved] = []

    def sub_str(s: str, path: tuple) -> Any:
        whole = _REF.fullmatch(s)
        if whole and whole.group(1) is not None:
            ok, value = resolve(whole.group(1), path)
            return value if ok else s

        def one(m: re.Match) -> str:
            if m.group(1) is None:
                return "${"
            ok, value = resolve(m.group(1), path)
            return str(value) if ok else m.group(0)

        return _REF.sub(one, s)

    def resolve(ref: str, path: tuple) -> tuple[bool, Any]:
        ref = ref.strip()
        if ref.startswith("env:"):
            name = ref[4:]
            if name in env:
                return True, env[name]
            problems.append(
                Unresolved(
                    (
                        path,
                        f"environment variable {name!r} is not set",
                        f"export {name}=... before running, or use a manifest "
                        "variable with a default",
                    )
                )
            )
            return False, None
        if not _VAR_NAME.fullmatch(ref):
            problems.append(
                Unresolved(
                    (
                        path,
                        f"'${{{ref}}}' is not a valid reference",
                        "write ${name} for a variable, ${env:NAME} for the "
                        "environment, or $${ for a literal '${'",
                    )
                )
            )
            return False, None
        if used is not None:
            used.add(ref)
        if ref in variables:
            return True, variables[ref]
        close = difflib.get_close_matches(ref, list(variables), n=1, cutoff=0.6)
        hint = (f"did you mean ${{{close[0]}}}? " if close else "") + (
            f"define it under variables: or pass --var {ref}=VALUE"
        )
        problems.append(Unresolved((path, f"variable {ref!r} is not set", hint)))
        return False, None

    def walk(node: Any, path: tuple) -> Any:
        if isinstance(node, dict):
            return {
                k: (v if skip and path + (k,) == skip else walk(v, path + (k,)))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v, path + (i,)) for i, v in enumerate(node)]
        if isinstance(node, str) and "${" in node:
            return sub_str(node, path)
        return node

    return walk(data, ()), problems


def resolve_variables(
    declared: Mapping[str, Any],
    overrides: Mapping[str, str],
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], list[Unresolved]]:
    """Merge the manifest's ``variables`` with ``--var`` overrides.

    A declared default may use ``${env:NAME}`` and other variables (``prefix: ${env}-x``);
    they are resolved in dependency order, and a cycle is reported as such. Returns
    ``(variables, problems)`` with paths under ``("variables", name)``.
    """
    merged: dict[str, Any] = dict(overrides)
    pending = {n: v for n, v in declared.items() if n not in overrides}
    problems: list[Unresolved] = []
    while pending:
        progressed = False
        for name, value in list(pending.items()):
            needs = (
                {r.strip() for r in _REF.findall(value) if r and not r.strip().startswith("env:")}
                if isinstance(value, str)
                else set()
            )
            if needs & set(pending):
                continue  # wait for the variables it uses
            new, probs = interpolate(value, merged, environ)
            problems += [Unresolved((("variables", name) + p[0], p[1], p[2])) for p in probs]
            merged[name] = new
            del pending[name]
            progressed = True
        if not progressed:  # what is left refers to itself, directly or in a loop
            names = sorted(pending)
            for name in names:
                problems.append(
                    Unresolved(
                        (
                            ("variables", name),
                            f"variable {name!r} is part of a cycle: "
                            f"{', '.join(names)} refer to each other",
                            "give one of them a plain value",
                        )
                    )
                )
                merged[name] = pending[name]
            break
    return merged, problems
