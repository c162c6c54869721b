"""Hostile and broken input: each case gives its exact diagnostics and exit 1, fast.

Here: a value of hundreds of kilobytes is cut to 80 characters in messages, so an error
never prints megabytes. Each runs ``preconcile validate`` on the shop manifest of
``shop_files`` with one edit; the expected text is the whole of stderr.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest
from shop_files import write_shop

from personalize_reconcile.manifest import Diagnostic


def laughs(indent: str, levels: int = 9) -> str:
    """YAML lines of the "billion laughs": each anchor repeats the one before 9 times, so
    the last expands to 9**levels strings (under 600 bytes of text)."""
    lines = [f'{indent}a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"{indent}a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def closing(n: int, file: str = "shop.yaml") -> str:
    return f"\n{n} problem{'s' if n != 1 else ''} found in {file}.\n"


def check(cli, folder, expected: str, *args: str, file: str = "shop.yaml"):
    """Run validate; expect exit 1, nothing on stdout and exactly ``expected`` on stderr
    followed by the count of its problems."""
    result = cli("validate", file, *args, cwd=folder)
    assert (result.code, result.out) == (1, "")
    n = sum(1 for line in expected.splitlines() if not line.startswith("    hint: "))
    assert result.err == expected + closing(n, file)


class Case(NamedTuple):
    """Edits to the shop manifest (and its schema file), extra arguments, and the whole of
    stderr expected but the closing count."""

    manifest: list[tuple[str, str]]
    expected: str
    schema: list[tuple[str, str]] = ()
    args: list[str] = ()


CASES = {
    # -- long values are cut in messages -------------------------------------------------
    "long-recipe-is-cut": Case(
        [
            (
                "recipe: aws-user-personalization-v2",
                "recipe: arn:aws:personalize:::recipe/" + "r" * 300_000,
            )
        ],
        f"shop.yaml:20:13  solutions.shop-solution.recipe: unknown recipe '{'r' * 80}…' (300000 characters)\n    hint: known recipes: aws-user-personalization-v2, aws-user-personalization, aws-popularity-count, aws-trending-now, aws-personalized-ranking-v2, aws-personalized-ranking, aws-similar-items, aws-sims, aws-semantic-similarity, aws-next-best-action, aws-item-affinity, aws-item-attribute-affinity\n",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_manifest(case, tmp_path, cli):
    c = CASES[case]
    write_shop(tmp_path, c.manifest, c.schema)
    check(cli, tmp_path, c.expected, *c.args)


# -- files that are not regular files, or too large ----------------------------------------


def test_diagnostic_text_is_capped():
    """The last guard: whatever a rule forgot to cut, a diagnostic keeps 1000 characters."""
    d = Diagnostic("shop.yaml", 1, 1, "p" * 1200, "m" * 5000, "h" * 1001)
    assert d.message == "m" * 1000 + "… (5,000 characters)"
    assert d.path == "p" * 1000 + "… (1,200 characters)"
    assert d.hint == "h" * 1000 + "… (1,001 characters)"
    assert Diagnostic("f", 0, 0, "", "short").render() == "f  short"
