"""The metric attribution of ``examples/domain.yaml`` on the local target: metrics and the
output config updated in place (removeMetrics / addMetrics from the difference), the
attribution deleted when it leaves the manifest and by destroy before the datasets."""

from __future__ import annotations

import json

import pytest
from edits import replaced
from engine_helpers import plan_json

ADDRESS = "metric_attribution.domain-shop-attribution"


@pytest.fixture
def domain(workshop):
    return workshop.with_name("domain.yaml")


def _apply(pc, domain, *args: str) -> str:
    result = pc("apply", "--auto-approve", *args, manifest=domain)
    assert result.code == 0, result.out + result.err
    return result.out


def _no_changes(pc, domain) -> None:
    result = pc("plan", "--detailed-exitcode", manifest=domain)
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("No changes.")


def _change(doc: dict) -> dict:
    return next(c for c in doc["resource_changes"] if c["address"] == ADDRESS)


def _metrics(state, arn: str) -> list[dict]:
    from personalize_reconcile.backends.local import local_client

    client = local_client("personalize", state_dir=state)
    return client.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"]


def test_metrics_and_output_update_in_place(pc, domain, state):
    _apply(pc, domain)
    text = domain.read_text()
    text = replaced(
        text,
        "      - eventType: View\n        metricName: views\n        expression: SAMPLECOUNT()\n",
        "      - eventType: Purchase\n        metricName: purchases\n"
        "        expression: SAMPLECOUNT()\n",
    )
    text = replaced(text, "expression: SUM(Items.PRICE)", "expression: SUM( Items.PRICE )")
    text = replaced(text, "domain-shop/metrics/", "domain-shop/reports/")
    domain.write_text(text)
    change = _change(plan_json(pc, manifest=domain))
    assert change["actions"] == ["update"]
    assert change["reason"] == (
        "metrics, metricsOutputConfig changed outside preconcile, or in the manifest since "
        "the last apply: the live value differs from what the manifest says"
    )
    assert change["changes"] == [
        {
            "path": "metrics.purchases",
            "before": None,
            "after": {"eventType": "Purchase", "expression": "SAMPLECOUNT()"},
            "forces_replacement": False,
        },
        {
            "path": "metrics.revenue.expression",
            "before": "SUM(Items.PRICE)",
            "after": "SUM( Items.PRICE )",
            "forces_replacement": False,
        },
        {
            "path": "metrics.views",
            "before": {"eventType": "View", "expression": "SAMPLECOUNT()"},
            "after": None,
            "forces_replacement": False,
        },
        {
            "path": "metricsOutputConfig.s3DataDestination.path",
            "before": "s3://personalize-data-000000000000/domain-shop/metrics/",
            "after": "s3://personalize-data-000000000000/domain-shop/reports/",
            "forces_replacement": False,
        },
    ]
    out = _apply(pc, domain)
    assert "Apply complete: 0 created, 1 updated, 0 replaced, 0 deleted." in out
    _no_changes(pc, domain)
    arn = json.loads(pc("output", "--json", manifest=domain).out)["resources"][ADDRESS]["arn"]
    assert sorted((m["metricName"], m["expression"]) for m in _metrics(state, arn)) == [
        ("purchases", "SAMPLECOUNT()"),
        ("revenue", "SUM( Items.PRICE )"),
    ]


def test_metric_order_is_no_change(pc, domain):
    _apply(pc, domain)
    text = domain.read_text()
    revenue = (
        "      - eventType: Purchase\n        metricName: revenue\n"
        "        expression: SUM(Items.PRICE)\n"
    )
    views = (
        "      - eventType: View\n        metricName: views\n        expression: SAMPLECOUNT()\n"
    )
    domain.write_text(replaced(text, revenue + views, views + revenue))
    _no_changes(pc, domain)


def test_an_attribution_taken_out_of_the_manifest_is_deleted(pc, domain):
    _apply(pc, domain)
    text = domain.read_text()
    domain.write_text(text[: text.index("\nmetricAttributions:")] + "\n")
    change = _change(plan_json(pc, manifest=domain))
    assert change["actions"] == ["delete"]
    assert change["reason"] == "no longer in the manifest"
    _apply(pc, domain, "--allow-delete")
    _no_changes(pc, domain)


def test_destroy_deletes_the_attribution_before_the_datasets(pc, domain):
    _apply(pc, domain)
    result = pc("destroy", "--auto-approve", manifest=domain)
    assert result.code == 0, result.out + result.err
    assert (
        "    - metric_attribution.domain-shop-attribution will be deleted: managed by this "
        "manifest\n" in result.out
    )
    assert result.out.index("delete  done     metric_attribution.") < result.out.index(
        "delete  started  dataset.Items"
    )
    assert result.out.rstrip().endswith("Destroy complete: 8 deleted.")
