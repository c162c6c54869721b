"""``metricAttributions:`` checks: each bad manifest (an edit of ``examples/domain.yaml``)
gives its exact diagnostics with file:line:col, and exit 1, before any API call."""

from __future__ import annotations

import shutil

import pytest

AT = "domain.yaml:{line}:{col}  metricAttributions.domain-shop-attribution."

CASES = {
    "string-column-and-unknown-function": (
        [
            ("expression: SUM(Items.PRICE)", "expression: SUM(Items.COLOR)"),
            ("expression: SAMPLECOUNT()", "expression: COUNT()"),
        ],
        AT.format(line=58, col=21)
        + "metrics[0].expression: COLOR is a string field of the Items schema "
        "domain-shop-items; SUM needs a numeric one (int, long, float or double)\n"
        "    hint: sum a numeric field, or count events with SAMPLECOUNT()\n"
        + AT.format(line=61, col=21)
        + "metrics[1].expression: expression 'COUNT()' is neither SAMPLECOUNT() nor "
        "SUM(<Interactions|Items>.<COLUMN>)\n"
        "    hint: for example SAMPLECOUNT() or SUM(Items.PRICE)\n",
    ),
    "unknown-column-and-repeated-name": (
        [
            ("expression: SUM(Items.PRICE)", "expression: SUM(Items.WEIGHT)"),
            ("metricName: views", "metricName: revenue"),
        ],
        AT.format(line=58, col=21)
        + "metrics[0].expression: WEIGHT is not a field of the Items schema domain-shop-items\n"
        "    hint: fields there: ITEM_ID, PRICE, CATEGORY_L1, COLOR\n"
        + AT.format(line=60, col=21)
        + "metrics[1].metricName: metric name 'revenue' is already used by metrics[0]\n"
        "    hint: give each metric its own name\n",
    ),
    "users-dataset-and-local-path": (
        [
            ("expression: SUM(Items.PRICE)", "expression: SUM(Users.AGE)"),
            ("path: s3://${bucket}/domain-shop/metrics/", "path: /tmp/metrics/"),
        ],
        AT.format(line=58, col=21)
        + "metrics[0].expression: SUM over Users: a metric sums over Interactions or Items\n"
        "    hint: write SUM(Interactions.AGE) or SUM(Items.AGE)\n"
        + AT.format(line=65, col=15)
        + "metricsOutputConfig.s3DataDestination.path: path '/tmp/metrics/' is not an s3:// "
        "location\n"
        "    hint: write s3://bucket/prefix/\n",
    ),
    "column-of-the-other-dataset": (
        [("expression: SUM(Items.PRICE)", "expression: SUM(Interactions.PRICE)")],
        AT.format(line=58, col=21)
        + "metrics[0].expression: PRICE is not a field of the Interactions schema "
        "domain-shop-interactions\n"
        "    hint: fields there: USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP\n",
    ),
    "no-items-dataset": (
        [
            (
                "  Items:\n    schema: domain-shop-items\n    imports:\n"
                "      - name: domain-shop-items\n"
                "        dataLocation: s3://${bucket}/domain-shop/items.csv\n"
                "        uploadFrom: data/domain/items.csv\n        roleArn: ${role}\n",
                "",
            )
        ],
        AT.format(line=51, col=21)
        + "metrics[0].expression: the manifest declares no Items dataset for "
        "'SUM(Items.PRICE)' to sum over\n"
        "    hint: add datasets.Items, or sum over another dataset\n",
    ),
    "two-per-group": (
        [
            (
                "metricAttributions:\n",
                "metricAttributions:\n  second:\n"
                "    metrics: [{eventType: View, metricName: v, expression: SAMPLECOUNT()}]\n"
                "    metricsOutputConfig: {roleArn: '${role}'}\n",
            )
        ],
        "domain.yaml:53:1  metricAttributions: 2 metricAttributions; the service quota "
        "'metric attributions per dataset group' is 1\n"
        "    hint: remove some metricAttributions; this quota cannot be raised\n",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_metric_attribution(case, cli, repo_root, tmp_path):
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    manifest = tmp_path / "examples" / "domain.yaml"
    edits, expected = CASES[case]
    text = manifest.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    manifest.write_text(text)
    result = cli("validate", "domain.yaml", cwd=manifest.parent)
    assert result.code == 1
    assert result.err.rsplit("\n\n", 1)[0] + "\n" == expected
