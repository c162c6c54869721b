"""Statuses over time in the local target: CREATE PENDING -> CREATE IN_PROGRESS ->
ACTIVE, asynchronous deletes, updates in ``latest*Update``, minimum durations and how
they are configured (reference §2, §3)."""

from __future__ import annotations

import json
import time

import pytest

from personalize_reconcile.backends.local import local_client
from personalize_reconcile.local.config import ConfigError, load_config, parse_durations

P = "arn:aws:personalize:us-east-1:000000000000:"


def status_or_gone(describe, key):
    """``describe()[key]["status"]``, or ``"<gone>"`` once it is not found."""
    try:
        return describe()[key]["status"]
    except Exception as exc:  # noqa: BLE001
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException":
            return "<gone>"
        raise


def statuses_step_by_step(describe, key, arn, fast_forward, steps):
    """The status now, then after each of ``steps`` one-step fast-forwards of ``arn``."""
    seen = [status_or_gone(describe, key)]
    for _ in range(steps):
        fast_forward(arn, one_step=True)
        seen.append(status_or_gone(describe, key))
    return seen


def test_create_goes_through_pending_and_in_progress(make_client, fast_forward):
    c = make_client(durations={"dataset-group": 60})
    arn = c.create_dataset_group(name="g")["datasetGroupArn"]
    seen = statuses_step_by_step(
        lambda: c.describe_dataset_group(datasetGroupArn=arn), "datasetGroup", arn, fast_forward, 2
    )
    assert seen == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]


def test_a_create_takes_at_least_its_minimum_duration(make_client, wait):
    c = make_client(durations={"dataset-group": 0.6})
    t0 = time.monotonic()
    arn = c.create_dataset_group(name="g")["datasetGroupArn"]
    wait(lambda: c.describe_dataset_group(datasetGroupArn=arn), "datasetGroup")
    assert time.monotonic() - t0 >= 0.6


def test_fast_forward_drops_the_rest_of_the_duration(make_client, fast_forward):
    c = make_client(durations={"dataset-group": 60})
    arn = c.create_dataset_group(name="g")["datasetGroupArn"]
    out = fast_forward(arn)
    assert out.startswith(f"create start of {arn}: due now (was in ")
    assert out.endswith("1 step(s) brought forward.\n")
    assert c.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "ACTIVE"
    assert fast_forward(arn) == "0 step(s) brought forward.\n"


def test_fast_forward_refuses_what_is_not_an_arn(state_dir, cli):
    result = cli("local", "fast-forward", "--state-dir", str(state_dir), "not-an-arn")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "Error: 'not-an-arn' is not the ARN of a Personalize resource; write one such as "
        "arn:aws:personalize:us-east-1:000000000000:campaign/NAME\n"
    )


def test_fast_forward_of_a_resource_that_does_not_exist_says_so(state_dir, cli, personalize):
    personalize.list_dataset_groups()  # the state dir exists
    arn = "arn:aws:personalize:us-east-1:000000000000:campaign/nope"
    result = cli("local", "fast-forward", "--state-dir", str(state_dir), arn)
    assert (result.code, result.out) == (1, "0 step(s) brought forward.\n")
    assert result.err == (
        f"{arn}: no such resource in {state_dir.resolve()}; check the ARN, or the "
        "--state-dir and the account (PRECONCILE_ACCOUNT_ID) it was made with\n"
    )


def test_fast_forward_refuses_an_arn_longer_than_the_service_allows(state_dir, cli):
    arn = "arn:aws:personalize:us-east-1:000000000000:campaign/" + "c" * 100_000
    result = cli("local", "fast-forward", "--state-dir", str(state_dir), arn)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"Error: {arn[:80]!r}… (100052 characters) is not the ARN of a Personalize resource; "
        "write one such as arn:aws:personalize:us-east-1:000000000000:campaign/NAME\n"
    )


def test_delete_is_asynchronous_and_visible(make_client, fast_forward):
    fast = make_client()
    g = fast.create_dataset_group(name="g")["datasetGroupArn"]
    slow = make_client(durations={"dataset-group": 60, "filter": 60})
    f = fast.create_filter(
        name="f", datasetGroupArn=g, filterExpression='EXCLUDE ItemID WHERE Items.A IN ("b")'
    )["filterArn"]
    slow.delete_filter(filterArn=f)
    assert [x["status"] for x in slow.list_filters(datasetGroupArn=g)["Filters"]] == [
        "DELETE PENDING"
    ]
    describe = lambda: slow.describe_filter(filterArn=f)  # noqa: E731
    assert statuses_step_by_step(describe, "filter", f, fast_forward, 2) == [
        "DELETE PENDING",
        "DELETE IN_PROGRESS",
        "<gone>",
    ]
    slow.delete_dataset_group(datasetGroupArn=g)
    # dataset groups show only DELETE PENDING (reference §2)
    describe = lambda: slow.describe_dataset_group(datasetGroupArn=g)  # noqa: E731
    assert statuses_step_by_step(describe, "datasetGroup", g, fast_forward, 2) == [
        "DELETE PENDING",
        "DELETE PENDING",
        "<gone>",
    ]
    assert slow.list_dataset_groups()["datasetGroups"] == []


def test_deleting_twice_is_in_use(make_client, expect_error):
    c = make_client(durations={"dataset-group": 0})
    g = c.create_dataset_group(name="g")["datasetGroupArn"]
    slow = make_client(durations={"dataset-group": 30})
    slow.delete_dataset_group(datasetGroupArn=g)
    expect_error(
        lambda: slow.delete_dataset_group(datasetGroupArn=g),
        "ResourceInUseException",
        f"Resource Arn {g} is in DELETE PENDING state and cannot be deleted.",
    )
    expect_error(
        lambda: slow.create_dataset_group(name="g"),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {g} already exists.",
    )


def test_update_moves_through_latest_update(make_client, fast_forward):
    c = make_client(durations={"dataset": 60})
    fast = make_client()
    g = fast.create_dataset_group(name="g")["datasetGroupArn"]
    items = json.dumps(
        {
            "type": "record",
            "name": "Items",
            "fields": [
                {"name": "ITEM_ID", "type": "string"},
                {"name": "GENRE", "type": "string", "categorical": True},
            ],
        }
    )
    items2 = json.dumps(
        {
            "type": "record",
            "name": "Items",
            "fields": [
                {"name": "ITEM_ID", "type": "string"},
                {"name": "GENRE", "type": "string", "categorical": True},
                {"name": "SIZE", "type": ["null", "string"], "categorical": True},
            ],
        }
    )
    v1 = fast.create_schema(name="v1", schema=items)["schemaArn"]
    v2 = fast.create_schema(name="v2", schema=items2)["schemaArn"]
    d = fast.create_dataset(name="i", datasetGroupArn=g, datasetType="Items", schemaArn=v1)[
        "datasetArn"
    ]
    c.update_dataset(datasetArn=d, schemaArn=v2)
    seen = []
    for step in range(3):
        if step:
            fast_forward(d, one_step=True)
        ds = c.describe_dataset(datasetArn=d)["dataset"]
        seen.append((ds["latestDatasetUpdate"]["status"], ds["schemaArn"]))
    assert seen == [("CREATE PENDING", v1), ("CREATE IN_PROGRESS", v1), ("ACTIVE", v2)]


def test_durations_from_the_environment_and_local_json(tmp_path, monkeypatch):
    monkeypatch.setenv("PRECONCILE_LOCAL_DURATIONS", "solution-version=30, *=0.5")
    cfg = load_config(tmp_path)
    assert (cfg.duration("solution-version"), cfg.duration("campaign")) == (30.0, 0.5)
    (tmp_path / "local.json").write_text(
        json.dumps({"durations": {"campaign": 2, "filter": 1}, "accountId": "111122223333"})
    )
    cfg = load_config(tmp_path, durations={"filter": 3})
    # a source overrides the same key of a lower one; a kind's own entry beats "*"
    assert (cfg.duration("campaign"), cfg.duration("filter"), cfg.duration("dataset")) == (
        2.0,
        3.0,
        0.5,
    )
    assert cfg.account_id == "111122223333"
    monkeypatch.setenv("PRECONCILE_STATE_DIR", str(tmp_path / "envdir"))
    assert load_config().state_dir == tmp_path / "envdir"


@pytest.mark.parametrize(
    "text,message",
    [
        ("campaign", "duration 'campaign' is not kind=seconds"),
        ("campaign=soon", "duration for 'campaign' is 'soon', not a number of seconds"),
        ("campaign=-1", "duration for 'campaign' must be 0 or more seconds, not '-1'"),
        (
            "widget=1",
            "unknown resource kind 'widget' in durations; known kinds: "
            "dataset-group, schema, dataset, dataset-import-job, event-tracker, filter, "
            "metric-attribution, solution, solution-version, campaign, batch-inference-job, "
            "batch-segment-job, dataset-export-job, data-deletion-job, recommender or *",
        ),
    ],
)
def test_bad_durations(text, message):
    with pytest.raises(ConfigError) as info:
        parse_durations(text)
    assert str(info.value) == message


def test_bad_account_and_config_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, account_id="12")
    assert str(info.value) == "account id '12' (--account-id) must be 12 digits"
    (tmp_path / "local.json").write_text("{")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'local.json'} is not valid JSON: ")


def test_local_client_refuses_other_services(tmp_path):
    with pytest.raises(ValueError) as info:
        local_client("s3", state_dir=tmp_path)
    assert str(info.value) == (
        "the local target answers personalize, personalize-runtime, personalize-events, not 's3'"
    )


def test_workers_do_not_spin_while_a_job_runs(state_dir):
    import subprocess
    import sys
    from pathlib import Path

    child = Path(__file__).with_name("local_child.py")
    done = subprocess.run(
        [sys.executable, str(child), "idle", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    cpu = float(done.stdout)
    assert cpu < 0.3, f"{cpu:.2f} s of CPU in 1 s while a job runs"
