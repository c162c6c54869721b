"""Hostile and broken input: each case gives its exact diagnostics and exit 1, fast.

Billion laughs, recursive aliases, merge keys, ``!!omap``, deep nesting, NUL and control
characters, FIFOs, devices and directories where a file belongs, files over the size
limit, variables that expand without bound or leave a ``${`` unclosed, and values that
would print megabytes in a message. Each runs ``preconcile validate`` on the shop
manifest of ``shop_files`` with one edit; the expected text is the whole of stderr.
"""

from __future__ import annotations

import os
import sys
from typing import NamedTuple

import pytest
from shop_files import write_shop

from personalize_reconcile.manifest import Diagnostic

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")


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


LAUGHS_HINT = "    hint: each alias repeats its anchor's whole value, so aliases of aliases multiply (the 'billion laughs' pattern); write the values out, or use fewer aliases\n"
NOT_REGULAR_HINT = "    hint: give the path of a regular file\n"
UNCLOSED_HINT = "    hint: close it: ${name}, or write $${ for a literal '${'\n"
DEPTH_HINT = "    hint: a manifest needs about 10 levels; flatten this value\n"
TOO_BIG = "is larger than 1,048,576 bytes (1 MiB), the limit for a manifest or schema file\n    hint: check that this is the right file: a manifest of hundreds of resources takes a few hundred KiB, a schema at most 20,000 characters\n"

CASES = {
    # -- YAML ----------------------------------------------------------------------------
    "billion-laughs-manifest": Case(
        [("datasetGroup:\n", "laughs:\n" + laughs("  ") + "datasetGroup:\n")],
        "shop.yaml:11:28  invalid YAML: alias *a4 brings what aliases repeat to more than 1,000,000 characters, the limit\n"
        + LAUGHS_HINT,
    ),
    "billion-laughs-schema-file": Case(
        [],
        "interactions.avsc:18:32  invalid JSON: alias *a4 brings what aliases repeat to more than 1,000,000 characters, the limit\n"
        + LAUGHS_HINT,
        schema=[
            (
                '  "version": "1.0"\n',
                '  "version": "1.0",\n  "laughs": {\n'
                + laughs('    "').replace(": &", '": &').replace("]\n", "],\n").rstrip(",\n")
                + "\n  }\n",
            )
        ],
    ),
    "recursive-alias": Case(
        [("datasetGroup:\n  name: shop\n", "datasetGroup: &g\n  name: shop\n  tags: *g\n")],
        "shop.yaml:7:9  invalid YAML: alias *g is used inside the value of its own anchor (a recursive alias)\n    hint: an alias may only repeat a value that is complete before it\n",
    ),
    "merge-key": Case(
        [("datasetGroup:\n  name: shop\n", "base: &b\n  name: shop\ndatasetGroup:\n  <<: *b\n")],
        "shop.yaml:8:3  datasetGroup: YAML merge keys (<<) are not supported\n    hint: write the keys out in this mapping; an alias can still repeat a whole value (key: *anchor)\n",
    ),
    "omap": Case(
        [("datasetGroup:\n  name: shop\n", "datasetGroup: !!omap\n  - name: shop\n")],
        "shop.yaml:5:15  datasetGroup: the YAML tag !!omap is not supported\n    hint: remove !!omap and write a plain mapping (key: value lines); key order is kept anyway\n",
    ),
    "deep-nesting": Case(
        [("  bucket: my-bucket\n", "  bucket: " + "[" * 60 + "]" * 60 + "\n")],
        "shop.yaml:4:59  invalid YAML: nesting is deeper than 50 levels\n" + DEPTH_HINT,
    ),
    "deep-nesting-through-alias": Case(
        [
            (
                "  bucket: my-bucket\n",
                "  bucket: my-bucket\n  deep: &d "
                + "[" * 30
                + "]" * 30
                + "\n  deeper: "
                + "[" * 30
                + "*d"
                + "]" * 30
                + "\n",
            )
        ],
        "shop.yaml:6:41  invalid YAML: nesting is deeper than 50 levels once alias *d is expanded\n"
        + DEPTH_HINT,
    ),
    "nul-in-manifest": Case(
        [("name: shop\n", "name: sh\x00op\n")],
        "shop.yaml:2:9  the file contains a NUL character, so it is binary data, not YAML text\n    hint: check that this is the right file, and save it as UTF-8 text\n",
    ),
    "nul-in-schema-file": Case(
        [],
        "interactions.avsc:3:17  the file contains a NUL character, so it is binary data, not JSON text\n    hint: check that this is the right file, and save it as UTF-8 text\n",
        schema=[('"name": "Interactions"', '"name": "Inter\x00actions"')],
    ),
    "control-character": Case(
        [("name: shop\n", "name: sh\x01op\n")],
        "shop.yaml:2:9  invalid YAML: the control character U+0001 is not allowed\n    hint: remove it; the text may hold tabs and line breaks but no other control characters\n",
    ),
    "number-too-long": Case(
        [("minProvisionedTPS: 1", "minProvisionedTPS: " + "9" * 5000)],
        "shop.yaml:24:24  campaigns.shop-campaign.minProvisionedTPS: invalid YAML: '"
        + "9" * 80
        + "…' (5000 characters) cannot be read as an int\n    hint: quote it to make it a string, or check the value\n",
    ),
    # -- variables -----------------------------------------------------------------------
    "variable-chain-blows-up": Case(
        [
            (
                "  bucket: my-bucket\n",
                "  bucket: my-bucket\n  v0: xxxxxxxxxx\n"
                + "".join(f"  v{i}: " + f"${{v{i - 1}}}" * 10 + "\n" for i in range(1, 10)),
            ),
            ("name: shop\nvariables", "name: shop-${v9}\nvariables"),
        ],
        "shop.yaml:10:7  variables.v5: variable 'v5' expands to more than 100,000 characters (here through ${v4})\n    hint: use fewer or shorter variables in it\n",
    ),
    "value-expands-too-far": Case(
        [
            ("  bucket: my-bucket\n", "  bucket: my-bucket\n  k: " + "k" * 1000 + "\n"),
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    eventType: " + "${k}" * 101 + "\n",
            ),
        ],
        "shop.yaml:22:16  solutions.shop-solution.eventType: this value expands to more than 100,000 characters (here through ${k})\n    hint: use fewer or shorter variables in it\n",
    ),
    "var-option-too-long": Case(
        [],
        "shop.yaml:4:11  variables.bucket: --var bucket=...: the value has 100,001 characters; the limit is 100,000\n    hint: pass a shorter value\n",
        args=["--var", "bucket=" + "b" * 100_001],
    ),
    "unclosed-reference-in-role-arn": Case(
        [
            (
                "arn:aws:iam::123456789012:role/PersonalizeRole",
                "arn:aws:iam::123456789012:role/${role",
            )
        ],
        "shop.yaml:17:18  datasets.Interactions.imports[0].roleArn: '${role' starts a reference with '${' that no '}' closes\n"
        + UNCLOSED_HINT,
    ),
    "unclosed-reference-in-variable": Case(
        [("  bucket: my-bucket\n", "  bucket: my-${stage\n")],
        "shop.yaml:4:11  variables.bucket: '${stage' starts a reference with '${' that no '}' closes\n"
        + UNCLOSED_HINT,
    ),
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
    "long-reference-is-cut": Case(
        [("s3://${bucket}/", "s3://${" + "b" * 200 + "}/")],
        f"shop.yaml:15:23  datasets.Interactions.imports[0].dataLocation: variable '{'b' * 80}…' (200 characters) is not set\n    hint: define it under variables: or pass --var {'b' * 80}…=VALUE\n",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_manifest(case, tmp_path, cli):
    c = CASES[case]
    write_shop(tmp_path, c.manifest, c.schema)
    check(cli, tmp_path, c.expected, *c.args)


# -- files that are not regular files, or too large ----------------------------------------


@posix_only
def test_fifo_as_manifest(tmp_path, cli):
    os.mkfifo(tmp_path / "pipe.yaml")
    check(
        cli,
        tmp_path,
        "pipe.yaml  is a FIFO (named pipe), not a regular file\n" + NOT_REGULAR_HINT,
        file="pipe.yaml",
    )


@posix_only
def test_device_as_manifest(tmp_path, cli):
    check(
        cli,
        tmp_path,
        "/dev/zero  is a character device, not a regular file\n" + NOT_REGULAR_HINT,
        file="/dev/zero",
    )


def test_directory_as_manifest(tmp_path, cli):
    (tmp_path / "folder.yaml").mkdir()
    check(
        cli,
        tmp_path,
        "folder.yaml  is a directory, not a file\n" + NOT_REGULAR_HINT,
        file="folder.yaml",
    )


def test_manifest_over_the_size_limit(tmp_path, cli):
    path = write_shop(tmp_path)
    path.write_text(path.read_text() + "# " + "x" * (1 << 20) + "\n")
    check(cli, tmp_path, "shop.yaml  " + TOO_BIG)


def test_schema_file_over_the_size_limit(tmp_path, cli):
    write_shop(tmp_path)
    schema = tmp_path / "interactions.avsc"
    schema.write_text(schema.read_text() + " " * (1 << 20))
    check(
        cli,
        tmp_path,
        "shop.yaml:9:11  schemas.shop-interactions.file: schema file 'interactions.avsc': "
        + TOO_BIG,
    )


SCHEMA_FILE = (
    "file: interactions.avsc",
    "shop.yaml:9:11  schemas.shop-interactions.file: schema file",
)


@posix_only
@pytest.mark.parametrize(
    ("field", "target", "expected"),
    [
        (
            SCHEMA_FILE,
            "pipe",
            "'pipe': is a FIFO (named pipe), not a regular file\n" + NOT_REGULAR_HINT,
        ),
        (
            SCHEMA_FILE,
            "/dev/zero",
            "'/dev/zero': is a character device, not a regular file\n" + NOT_REGULAR_HINT,
        ),
        (SCHEMA_FILE, ".", "'.': is a directory, not a file\n" + NOT_REGULAR_HINT),
    ],
)
def test_not_a_regular_file(field, target, expected, tmp_path, cli):
    """A FIFO, a device or a folder as a schema file: refused, never opened
    (opening the FIFO would block, reading /dev/zero would never end)."""
    key, where = field
    write_shop(tmp_path, [(key, key.split(":")[0] + f": {target}")])
    if target == "pipe":
        os.mkfifo(tmp_path / target)
    check(cli, tmp_path, f"{where} {expected}")


def test_diagnostic_text_is_capped():
    """The last guard: whatever a rule forgot to cut, a diagnostic keeps 1000 characters."""
    d = Diagnostic("shop.yaml", 1, 1, "p" * 1200, "m" * 5000, "h" * 1001)
    assert d.message == "m" * 1000 + "… (5,000 characters)"
    assert d.path == "p" * 1000 + "… (1,200 characters)"
    assert d.hint == "h" * 1000 + "… (1,001 characters)"
    assert Diagnostic("f", 0, 0, "", "short").render() == "f  short"
