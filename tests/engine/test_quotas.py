"""The region's dataset-group quota (reference §9: 5, adjustable) is counted at plan time,
so plan never promises a create that apply then fails with LimitExceededException."""

from __future__ import annotations

import pytest
from edits import replaced

from personalize_reconcile.backends.local import local_client
from personalize_reconcile.engine.plan import Change, Plan
from personalize_reconcile.engine.quotas import QuotaRefused, refuse_over_quota

REFUSED = (
    "Error: creating dataset group segment-workshop would make 6 dataset groups; the service "
    "quota 'active dataset groups per region' is 5, so the service would refuse it "
    "(LimitExceededException); nothing was changed.\n"
    "  Dataset groups in us-east-1 now: other-0, other-1, other-2, other-3, other-4.\n"
    "  To go on, delete a dataset group that is no longer needed (preconcile destroy with its "
    "manifest); the local target keeps the service's default quotas.\n"
)


def _groups(state, count: int) -> object:
    client = local_client("personalize", state_dir=state)
    for i in range(count):
        client.create_dataset_group(name=f"other-{i}")
    return client


def _names(client) -> list[str]:
    return sorted(g["name"] for g in client.list_dataset_groups()["datasetGroups"])


def test_plan_and_apply_refuse_a_sixth_dataset_group_and_change_nothing(pc, state):
    client = _groups(state, 5)
    planned = pc("plan")
    assert (planned.code, planned.out, planned.err) == (1, "", REFUSED)
    applied = pc("apply", "--auto-approve")
    assert (applied.code, applied.out, applied.err) == (1, "", REFUSED)
    assert _names(client) == [f"other-{i}" for i in range(5)]


def test_the_local_target_keeps_the_default_whatever_the_manifest_declares(
    pc, cli, workshop, state
):
    _groups(state, 5)
    raised = workshop.with_name("raised.yaml")
    raised.write_text(
        replaced(
            workshop.read_text(),
            "\ndatasetGroup:\n",
            "\nquotas:\n  datasetGroupsPerRegion: 6\n\ndatasetGroup:\n",
        )
    )
    assert cli("validate", str(raised)).code == 0
    planned = pc("plan", manifest=raised)
    assert (planned.code, planned.err) == (1, REFUSED)


def test_groups_being_deleted_and_the_manifests_own_group_leave_room(pc, state):
    assert pc("apply", "--auto-approve").code == 0
    client = _groups(state, 4)  # five with the manifest's own
    again = pc("plan", "--detailed-exitcode")
    assert (again.code, again.err) == (0, "")
    assert again.out.startswith("No changes.")

    other = local_client("personalize", state_dir=state.with_name("other-state"))
    for i in range(5):
        other.create_dataset_group(name=f"other-{i}")
    arn = other.list_dataset_groups()["datasetGroups"][0]["datasetGroupArn"]
    other.delete_dataset_group(datasetGroupArn=arn)
    fresh = pc("plan", "--state-dir", str(state.with_name("other-state")))
    assert fresh.code == 0, fresh.err
    assert "Plan: 7 to create, 0 to update, 0 to replace, 0 to delete." in fresh.out
    assert len(_names(client)) == 5


def _plan(*actions: list[str]) -> Plan:
    plan = Plan(target="aws", region="eu-west-1", manifest="m.yaml", manifest_name="m")
    plan.changes = [
        Change(address="dataset_group.shop", type="dataset_group", name="shop", actions=a)
        for a in actions
    ]
    return plan


@pytest.mark.parametrize(
    "actions,groups,raised,expected",
    [
        # no create, or a replacement that deletes the old group first: the count stays
        (["no-op"], 5, None, None),
        (["delete", "create"], 5, None, None),
        (["create"], 4, None, None),
        (["create"], 5, 6, None),
        (
            ["create"],
            5,
            None,
            "creating dataset group shop would make 6 dataset groups; the service quota "
            "'active dataset groups per region' is 5, so the service would refuse it "
            "(LimitExceededException); nothing was changed.\n"
            "  Dataset groups in eu-west-1 now: g-00, g-01, g-02, g-03, g-04.\n"
            "  To go on, delete a dataset group that is no longer needed, or if the account's "
            "quota was raised in Service Quotas, declare it: quotas: {datasetGroupsPerRegion: "
            "<new value>}.",
        ),
        (
            ["create", "delete"],
            12,
            12,
            "creating dataset group shop would make 13 dataset groups; the service quota "
            "'active dataset groups per region' is 12 (quotas.datasetGroupsPerRegion), so the "
            "service would refuse it (LimitExceededException); nothing was changed.\n"
            "  Dataset groups in eu-west-1 now: g-00, g-01, g-02, g-03, g-04, g-05, g-06, g-07, "
            "g-08, g-09 and 2 more.\n"
            "  To go on, delete a dataset group that is no longer needed, or raise the quota in "
            "Service Quotas and update quotas.datasetGroupsPerRegion.",
        ),
    ],
)
def test_quota_decision_on_aws(actions, groups, raised, expected):
    names = [f"g-{i:02d}" for i in range(groups)]
    if expected is None:
        refuse_over_quota(_plan(actions), names, raised, "aws")
        return
    with pytest.raises(QuotaRefused) as refused:
        refuse_over_quota(_plan(actions), names, raised, "aws")
    assert str(refused.value) == expected


def test_nothing_is_refused_when_the_groups_were_not_read():
    refuse_over_quota(_plan(["create"]), None, None, "aws")
