"""``${...}`` interpolation in manifest strings.

One job: replace ``${name}`` with a variable (the manifest's ``variables``, overridden by
``--var name=value``) and ``${env:NAME}`` with an environment variable, in every string of
the document. ``$${`` writes a literal ``${``. A string that is exactly one ``${name}`` takes
the variable's own type (so ``minProvisionedTPS: ${tps}`` with ``tps: 2`` is a number).
Called by :mod:`personalize_reconcile.manifest.loader`.

Expansion is bounded, so variables that repeat each other cannot blow up memory: one value
may expand to at most :data:`MAX_VALUE_CHARS` characters and a whole manifest (its
variables included) to at most :data:`MAX_EXPANDED_CHARS`, each checked while the value is
built. A ``${`` that no ``}`` closes within :data:`MAX_REF_CHARS` characters is an error.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import deque
from collections.abc import Mapping
from typing import Any

from personalize_reconcile.rules.problems import SHOWN_MAX, PathPart, listed, shown

MAX_VALUE_CHARS = 100_000
"""The longest a value may become once its references are replaced (the longest string
the service takes, a schema, has 20,000 characters)."""

MAX_EXPANDED_CHARS = 2_000_000
"""How many characters references may produce in one manifest, variables included."""

MAX_REF_CHARS = 256
"""The longest text between ``${`` and ``}``; longer is taken as an unclosed reference
(which also keeps the scan linear in the length of the string)."""


def _text(value: Any) -> str:
    """A variable's value as it reads inside a longer string: booleans in YAML's spelling
    (``true``, not Python's ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_REF = re.compile(r"\$\$\{|\$\{([^}]{0," + str(MAX_REF_CHARS) + r"})\}")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_UNCLOSED_HINT = "close it: ${name}, or write $${ for a literal '${'"


class Unresolved(tuple):
    """(path, message, hint) of a reference that could not be resolved.

    ``message`` is ``None`` for a use of a variable whose own error is reported under
    ``variables`` (a cycle, a value too long): the path is explained, nothing is shown.
    """


class Budget:
    """How many characters references have produced so far (see :data:`MAX_EXPANDED_CHARS`).

    One budget is shared by :func:`resolve_variables` and :func:`interpolate` for one
    manifest; once spent, further values are left as written and reported once.
    """

    def __init__(self, limit: int = MAX_EXPANDED_CHARS):
        self.limit = limit
        self.used = 0
        self.reported = False


class _Overflow(Exception):
    """A value grew past a bound while it was built (the problem is already recorded)."""


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_MAX else text[:SHOWN_MAX] + "…"


def interpolate(
    data: Any,
    variables: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    skip: tuple[PathPart, ...] | None = None,
    used: set[str] | None = None,
    budget: Budget | None = None,
    what: str = "this value",
) -> tuple[Any, list[Unresolved]]:
    """Return ``data`` with every reference replaced, and the references left unresolved.

    Args:
        data: plain document data (dicts, lists, scalars).
        variables: name -> value.
        environ: the environment (default ``os.environ``).
        skip: a top-level key whose subtree is left alone (the ``variables`` block itself).
        used: if given, the names of the variables referenced are added to it.
        budget: the characters references may still produce (default: a fresh
            :class:`Budget`).
        what: how messages name a value that grows too long (``variable 'x'``).

    Returns:
        ``(new_data, problems)``; each problem is ``Unresolved((path, message, hint))``.
        An unresolved reference is left in the string as written; so is a whole string
        that would grow past :data:`MAX_VALUE_CHARS` or past the budget, or that holds a
        ``${`` without its ``}``.
    """
    env = os.environ if environ is None else environ
    budget = Budget() if budget is None else budget
    problems: list[Unresolved] = []

    def spend(n: int, path: tuple, ref: str) -> None:
        if budget.used + n > budget.limit:
            if not budget.reported:
                budget.reported = True
                problems.append(
                    Unresolved(
                        (
                            path,
                            f"references in this manifest expand to more than "
                            f"{budget.limit:,} characters in all (here through "
                            f"${{{_cut(ref)}}})",
                            "use fewer or shorter variables",
                        )
                    )
                )
            raise _Overflow
        budget.used += n

    def sub_str(s: str, path: tuple) -> Any:
        whole = _REF.fullmatch(s)
        if whole and whole.group(1) is not None:
            ok, value = resolve(whole.group(1), path)
            if not ok:
                return s
            try:
                spend(len(value) if isinstance(value, str) else 0, path, whole.group(1).strip())
            except _Overflow:
                return s
            return value
        pieces: list[str] = []
        size, last, limit = 0, 0, max(MAX_VALUE_CHARS, len(s))
        try:
            for m in _REF.finditer(s):
                unclosed(s, last, m.start(), path)
                ref = m.group(1)
                if ref is None:
                    piece = "${"
                else:
                    ok, value = resolve(ref, path)
                    piece = _text(value) if ok else m.group(0)
                size += m.start() - last + len(piece)
                if size > limit:
                    problems.append(
                        Unresolved(
                            (
                                path,
                                f"{what} expands to more than {limit:,} "
                                f"characters (here through ${{{_cut(ref.strip())}}})",
                                "use fewer or shorter variables in it",
                            )
                        )
                    )
                    raise _Overflow
                if ref is not None:
                    spend(len(piece), path, ref.strip())
                pieces += [s[last : m.start()], piece]
                last = m.end()
            unclosed(s, last, len(s), path)
        except _Overflow:
            return s
        return "".join(pieces) + s[last:]

    def unclosed(s: str, start: int, end: int, path: tuple) -> None:
        at = s.find("${", start, end)
        if at >= 0 and s.find("}", at) >= 0:  # closed, but too long to be a reference
            problems.append(
                Unresolved(
                    (
                        path,
                        f"{shown(s[at : at + 40], length=False)} is a reference of more than "
                        f"{MAX_REF_CHARS} characters between '${{' and '}}'",
                        "a reference names one variable (${name}) or environment variable "
                        "(${env:NAME}); check where its braces open and close",
                    )
                )
            )
            raise _Overflow
        if at >= 0:
            problems.append(
                Unresolved(
                    (
                        path,
                        f"{shown(s[at : at + 40], length=False)} starts a reference with "
                        f"'${{' that no '}}' closes",
                        _UNCLOSED_HINT,
                    )
                )
            )
            raise _Overflow

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
                        f"environment variable {shown(name)} is not set",
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
                        f"'${{{_cut(ref)}}}' is not a valid reference",
                        "write ${name} for a variable, ${env:NAME} for the "
                        "environment, or $${ for a literal '${'",
                    )
                )
            )
            return False, None
        if used is not None:
            used.add(ref)
        if ref in variables:
            value = variables[ref]
            if isinstance(value, _Unusable):
                problems.append(Unresolved((path, None, None)))
                return False, None
            return True, value
        close = difflib.get_close_matches(ref, list(variables), n=1, cutoff=0.6)
        hint = (f"did you mean ${{{close[0]}}}? " if close else "") + (
            f"define it under variables: or pass --var {_cut(ref)}=VALUE"
        )
        problems.append(Unresolved((path, f"variable {shown(ref)} is not set", hint)))
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


class _Unusable:
    """Stands in for a variable whose value could not be built (a cycle, or longer than
    :data:`MAX_VALUE_CHARS`); its uses are left as written."""


def _needs(value: Any, pending: Mapping[str, Any]) -> set[str]:
    if not isinstance(value, str):
        return set()
    refs = {r.strip() for r in _REF.findall(value) if r}
    return {r for r in refs if r in pending and not r.startswith("env:")}


def resolve_variables(
    declared: Mapping[str, Any],
    overrides: Mapping[str, str],
    environ: Mapping[str, str] | None = None,
    budget: Budget | None = None,
) -> tuple[dict[str, Any], list[Unresolved]]:
    """Merge the manifest's ``variables`` with ``--var`` overrides.

    A declared default may use ``${env:NAME}`` and other variables (``prefix: ${env}-x``);
    one that is a mapping or a list cannot be used (its uses are left quiet: the model check
    reports it);
    they are resolved in dependency order (linear time: each variable once, after the ones
    it uses), and a cycle is reported as such. A value longer than
    :data:`MAX_VALUE_CHARS` once expanded (or given so with ``--var``) is an error naming
    the variable, and every use of it is reported too.

    Returns:
        ``(variables, problems)`` with paths under ``("variables", name)``.
    """
    budget = Budget() if budget is None else budget
    merged: dict[str, Any] = {}
    problems: list[Unresolved] = []
    for name, value in overrides.items():
        if len(value) > MAX_VALUE_CHARS:
            problems.append(
                Unresolved(
                    (
                        ("variables", name),
                        f"--var {_cut(name)}=...: the value has {len(value):,} "
                        f"characters; the limit is {MAX_VALUE_CHARS:,}",
                        "pass a shorter value",
                    )
                )
            )
            merged[name] = _Unusable()
        else:
            merged[name] = value
    for name, value in declared.items():
        if isinstance(value, (dict, list)) and name not in overrides:
            merged[name] = _Unusable()  # the model check reports it; its uses stay quiet
    pending = {
        n: v for n, v in declared.items() if n not in overrides and not isinstance(v, (dict, list))
    }
    needs = {n: _needs(v, pending) for n, v in pending.items()}
    users: dict[str, list[str]] = {}
    for name, deps in needs.items():
        for dep in deps:
            users.setdefault(dep, []).append(name)
    waiting = {n: len(deps) for n, deps in needs.items()}
    ready = deque(n for n, count in waiting.items() if count == 0)
    while ready:
        name = ready.popleft()
        new, probs = interpolate(
            pending[name], merged, environ, budget=budget, what=f"variable {shown(name)}"
        )
        problems += [Unresolved((("variables", name) + p[0], p[1], p[2])) for p in probs]
        if isinstance(new, str) and len(new) > MAX_VALUE_CHARS:
            new = _Unusable()
            problems.append(
                Unresolved(
                    (
                        ("variables", name),
                        f"variable {shown(name)} has more than {MAX_VALUE_CHARS:,} characters",
                        "use fewer or shorter variables in its value",
                    )
                )
            )
        elif probs:  # reported here; its uses stay quiet instead of repeating it
            new = _Unusable()
        merged[name] = new
        for user in users.get(name, ()):
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    stuck = [n for n, count in waiting.items() if count > 0]
    for name in stuck:  # what is left refers to itself, directly or in a loop
        message = (
            f"variable {shown(name)} refers to itself"
            if stuck == [name]
            else f"variable {shown(name)} is part of a cycle: "
            f"{listed([str(n) for n in stuck])} refer to each other"
        )
        fix = "give it a plain value" if stuck == [name] else "give one of them a plain value"
        problems.append(Unresolved((("variables", name), message, fix)))
        merged[name] = _Unusable()
    return merged, problems
