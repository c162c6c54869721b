"""How often apply and destroy poll a resource they wait for (``--poll-interval``)."""

from __future__ import annotations

import pytest

from personalize_reconcile.engine import WaitPolicy


@pytest.mark.parametrize(
    "target,timeout,first,expected",
    [
        ("aws", None, None, (5.0, 30.0, 4 * 3600.0)),
        ("local", None, None, (0.02, 0.04, 3600.0)),
        ("aws", 60, 0.05, (0.05, 30.0, 60)),
        ("local", None, 0.5, (0.5, 0.5, 3600.0)),
        ("aws", None, 45, (45, 45, 4 * 3600.0)),
    ],
)
def test_policy_for_target(target, timeout, first, expected):
    policy = WaitPolicy.for_target(target, timeout, first)
    assert (policy.first, policy.longest, policy.timeout) == expected


def test_poll_interval_must_be_positive(cli, repo_root):
    result = cli("apply", str(repo_root / "examples" / "workshop.yaml"), "--poll-interval", "0")
    assert result.code == 1
    assert result.err.endswith(
        "Error: Invalid value for '--poll-interval' (env var: 'PRECONCILE_POLL_INTERVAL'): "
        "Input should be greater than or equal to 0.01\n"
    )
