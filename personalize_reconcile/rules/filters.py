"""The form of a filter expression (CreateFilter's ``filterExpression``), as plain functions.

One job: read a filter expression far enough to say whether the service would take its
form and which dataset columns it names, without the manifest: each ``|``-separated part
starts ``INCLUDE|EXCLUDE ItemID|UserID|ActionID WHERE`` and a condition; quotes and
parentheses are closed; every ``<dataset>.<column>`` names a dataset type the service
knows (``CurrentUser`` stands for the Users dataset, ``CurrentItem`` for Items). Whether
those datasets and columns exist is the manifest check's business
(``manifest/checks.py``), which calls :func:`expression_problems` and :func:`references`.

Source: the Developer Guide's "Filter expression structure and elements" (general form
``EXCLUDE/INCLUDE ItemID/ActionID/UserID WHERE dataset type.field IN/NOT IN (value)``,
AND/OR, IF CurrentUser, CurrentItem, ``|`` between expressions); reference §1 (1-2500
characters), §9 (fields per filter and per group).
"""

from __future__ import annotations

import re

from personalize_reconcile.rules import filterlang

DATASET_WORDS = {
    "Items": "Items",
    "Users": "Users",
    "Interactions": "Interactions",
    "Actions": "Actions",
    "Action_Interactions": "Action_Interactions",
    "CurrentUser": "Users",
    "CurrentItem": "Items",
}
"""The word before the dot of ``<dataset>.<column>`` -> the dataset type it reads."""

FIELDS_PER_FILTER = 10
"""Reference §9: at most 10 distinct dataset fields in one filter."""

FIELDS_PER_GROUP = 20
"""Reference §9: at most 20 distinct dataset fields across the filters of a group."""

FORM = "INCLUDE or EXCLUDE, then ItemID, UserID or ActionID, then WHERE and a condition"
"""The expected form, in words, for messages."""

_PART = re.compile(r"\s*(INCLUDE|EXCLUDE)\s+(ItemID|UserID|ActionID)\s+WHERE\s+\S.*", re.DOTALL)
_REFERENCE = re.compile(r"(?<![\w.$])([A-Za-z_][A-Za-z_]*)\.([A-Za-z_][A-Za-z0-9_]*)")


def _unquoted(expression: str) -> tuple[str, bool]:
    """``expression`` with every double-quoted value blanked to ``""`` and whether every
    quote is closed."""
    out, inside = [], False
    for ch in expression:
        if ch == '"':
            inside = not inside
            out.append(ch)
        elif not inside:
            out.append(ch)
    return "".join(out), not inside


def _start(part: str) -> str:
    words = part.split()
    return " ".join(words[:4]) if words else ""


def expression_problems(expression: str) -> list[str]:
    """Return why the service would refuse the form of ``expression`` (one sentence each;
    empty when the form is sound).

    Checked: every ``|``-separated part starts ``INCLUDE|EXCLUDE ItemID|UserID|ActionID
    WHERE`` and a condition (keywords in capitals, as the Developer Guide writes them),
    double quotes and parentheses are closed, and each ``<dataset>.<column>`` names a
    dataset type in :data:`DATASET_WORDS`; when all that holds, the whole expression must
    parse with ``rules.filterlang`` (the grammar the local runtime evaluates), e.g. ``it
    cannot be read at position 34: expected IN, NOT IN or a comparison (=, !=, <, <=, >,
    >=), found "LIKE"``.
    """
    text, closed = _unquoted(expression)
    if not closed:
        return ['a quoted value is not closed: every " needs its closing "']
    problems: list[str] = []
    for i, part in enumerate(text.split("|")):
        if not _PART.fullmatch(part):
            where = f"part {i + 1} (after a '|')" if i else "it"
            start = _start(part)
            found = f'starts with "{start}"' if start else "is empty"
            problems.append(f"a filter expression must start with {FORM}; {where} {found}")
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth:
        problems.append("its parentheses do not match: every ( needs its )")
    for word, column in _REFERENCE.findall(text):
        if word not in DATASET_WORDS:
            names = list(DATASET_WORDS)
            problems.append(
                f"{word}.{column}: {word} is not a dataset type; use "
                + ", ".join(names[:-1])
                + f" or {names[-1]}"
            )
    if not problems:
        try:
            filterlang.parse(expression)
        except filterlang.FilterSyntaxError as e:
            problems.append(f"it cannot be read {e}")
    return problems


def references(expression: str) -> list[tuple[str, str, str]]:
    """The dataset columns ``expression`` names: ``(as written, dataset type, column)``,
    e.g. ``("CurrentUser.AGE", "Users", "AGE")``, in order, once each; words that are not
    dataset types and anything inside double quotes are left out."""
    text, _ = _unquoted(expression)
    out: dict[str, tuple[str, str, str]] = {}
    for word, column in _REFERENCE.findall(text):
        if word in DATASET_WORDS:
            out.setdefault(f"{word}.{column}", (f"{word}.{column}", DATASET_WORDS[word], column))
    return list(out.values())
