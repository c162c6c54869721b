"""docs/architecture.md names real modules: every module path in backticks on the page
(``local/control/campaigns.py``, ``engine/``, ``personalize_reconcile.local.seams``) must
exist, so the page fails its test when a module it names is moved or removed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "personalize_reconcile"
PAGE = ROOT / "docs" / "architecture.md"

_CODE = re.compile(r"`([^`\s]+)`")
_PATH = re.compile(r"[\w./-]+(\.py|/)")
_DOTTED = re.compile(r"personalize_reconcile(\.\w+)+")


def named_modules(text: str) -> list[str]:
    """The module paths (``x/y.py``, ``x/``) and dotted module names in backticks."""
    return [
        token for token in _CODE.findall(text) if _PATH.fullmatch(token) or _DOTTED.fullmatch(token)
    ]


def missing(names: list[str]) -> list[str]:
    """The names that match no file or package: paths are tried from the repository root
    and from the package, dotted names as modules or packages of the package."""
    gone = []
    for name in names:
        if _DOTTED.fullmatch(name):
            base = ROOT / name.replace(".", "/")
            found = base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()
        else:
            found = any((where / name).exists() for where in (ROOT, PACKAGE))
        if not found:
            gone.append(name)
    return gone


def test_the_page_names_the_modules_of_each_part():
    names = named_modules(PAGE.read_text(encoding="utf-8"))
    assert len(names) > 60
    for part in ("cli.py", "engine/", "resources/", "backends/target.py", "rules/"):
        assert part in names, part
    for kind in ("dataset_groups", "schemas", "datasets", "campaigns", "tags"):
        assert f"local/control/{kind}.py" in names, kind


def test_every_module_the_page_names_exists():
    names = named_modules(PAGE.read_text(encoding="utf-8"))
    assert missing(names) == []


@pytest.mark.parametrize(
    "gone",
    ["`local/models.py`", "`local/control/nothing.py`", "`personalize_reconcile.local.models`"],
)
def test_a_module_that_is_gone_is_reported(gone):
    text = f"The control plane lives in {gone}, beside `local/store.py`."
    assert missing(named_modules(text)) == [gone.strip("`")]
