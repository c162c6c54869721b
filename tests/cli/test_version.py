"""``preconcile --version`` and ``-V``: the package's version, from its one definition."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from personalize_reconcile import __version__


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(cli, flag):
    result = cli(flag)
    assert (result.code, result.out, result.err) == (0, f"preconcile {__version__}\n", "")
    assert __version__ == version("personalize-reconcile")  # the installed metadata agrees
