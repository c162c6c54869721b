"""Hostile and broken input: each case gives its exact diagnostics and exit 1, fast.

Billion laughs, recursive aliases, merge keys, ``!!omap``, deep nesting, NUL and control
characters, FIFOs, devices and directories where a file belongs, files over the size
limit, variables that expand without bound, ``${`` left in names, ARNs and S3 locations,
values the API would refuse (lengths, ranges, quotas) and messages that would print
megabytes. Each runs ``preconcile validate`` on the shop manifest of ``shop_files`` with
one edit; the expected text is the whole of stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
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
UPLOAD_HINT = "    hint: give the path of a CSV file, relative to the manifest's folder\n"
LITERAL_HINT = "    hint: a name, ARN or S3 location cannot hold '${': check the reference's spelling and braces, or remove the $${ that wrote it\n"
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
    "second-document": Case(
        [("minProvisionedTPS: 1\n", "minProvisionedTPS: 1\n---\nname: other\n")],
        "shop.yaml:25:1  invalid YAML: a second document starts here; the file may hold only one\n    hint: remove this '---' and what follows it, or split the file in two\n",
    ),
    "keys-yaml-reads-as-null-boolean-or-number": Case(
        [("datasetGroup:\n", "~: 2\ntrue: 3\n1e3: 4\ndatasetGroup:\n")],
        "shop.yaml:5:1  ~: unknown key '~'\n"
        "    hint: allowed keys here: version, name, variables, datasetGroup, schemas, datasets, solutions, campaigns, filters, eventTracker, recommenders, metricAttributions, batchInferenceJobs, batchSegmentJobs, quotas\n"
        "shop.yaml:6:1  true: unknown key 'true'\n"
        "    hint: allowed keys here: version, name, variables, datasetGroup, schemas, datasets, solutions, campaigns, filters, eventTracker, recommenders, metricAttributions, batchInferenceJobs, batchSegmentJobs, quotas\n"
        "shop.yaml:7:1  1e3: unknown key '1e3'\n"
        "    hint: allowed keys here: version, name, variables, datasetGroup, schemas, datasets, solutions, campaigns, filters, eventTracker, recommenders, metricAttributions, batchInferenceJobs, batchSegmentJobs, quotas\n",
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
    "rollout-gate-nan-and-huge-integer": Case(
        [
            (
                "    minProvisionedTPS: 1\n",
                "    minProvisionedTPS: 1\n    rollout:\n      minimums:\n        precision_at_25: .nan\n"
                "      maxRegression:\n        coverage: 1" + "0" * 400 + "\n",
            )
        ],
        "shop.yaml:27:26  campaigns.shop-campaign.rollout.minimums.precision_at_25: precision_at_25 is .nan, which no metric can be compared with\n"
        "    hint: write a number, e.g. 0.2\n"
        "shop.yaml:29:19  campaigns.shop-campaign.rollout.maxRegression.coverage: input should be a valid number\n",
    ),
    "exploration-nan-and-huge": Case(
        [
            ("aws-user-personalization-v2", "aws-user-personalization"),
            (
                "    minProvisionedTPS: 1\n",
                "    minProvisionedTPS: 1\n    campaignConfig:\n      itemExplorationConfig:\n"
                "        explorationWeight: '"
                + "9" * 500
                + "'\n        explorationItemAgeCutOff: nan\n",
            ),
        ],
        "shop.yaml:27:28  campaigns.shop-campaign.campaignConfig.itemExplorationConfig.explorationWeight: explorationWeight must be between 0 and 1, not "
        + "9" * 80
        + "… (500 characters)\n"
        "shop.yaml:28:35  campaigns.shop-campaign.campaignConfig.itemExplorationConfig.explorationItemAgeCutOff: explorationItemAgeCutOff must be at least 1, not nan\n",
    ),
    "reference-longer-than-any-name": Case(
        [("datasetGroup:\n  name: shop\n", "datasetGroup:\n  name: shop-${" + "a" * 300 + "}\n")],
        "shop.yaml:6:9  datasetGroup.name: '${aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is a reference of more than 256 characters between '${' and '}'\n"
        "    hint: a reference names one variable (${name}) or environment variable (${env:NAME}); check where its braces open and close\n"
        "shop.yaml:11:3  datasets.Interactions: the default dataset name 'shop-${"
        + "a"
        * 73
        + "…' is longer than 63 characters\n"
        "    hint: set `name:` for this dataset\n",
    ),
    "schema-number-json-cannot-hold": Case(
        [],
        "interactions.avsc:11:14  version: infinity is not a number JSON can hold, so the service cannot read the schema\n"
        "    hint: write a finite number, or quote the value to make it a string\n",
        schema=[('  "version": "1.0"\n', '  "version": 1e999\n')],
    ),
    "hyperparameter-range-past-a-float": Case(
        [
            ("aws-user-personalization-v2", "aws-sims"),
            (
                "    recipe: aws-sims\n",
                "    recipe: aws-sims\n    performHPO: true\n    solutionConfig:\n      hpoConfig:\n"
                "        hpoObjective: {type: Maximize, metricName: precision_at_25}\n"
                "        hpoResourceConfig: {maxNumberOfTrainingJobs: '4', maxParallelTrainingJobs: '2'}\n"
                "        algorithmHyperParameterRanges:\n          integerHyperParameterRanges:\n"
                "            - {name: min_cointeraction_count, minValue: 1, maxValue: 1"
                + "0" * 400
                + "}\n",
            ),
        ],
        "shop.yaml:28:70  solutions.shop-solution.solutionConfig.hpoConfig.algorithmHyperParameterRanges.integerHyperParameterRanges[0].maxValue: must be at most 1000000, not 1"
        + "0" * 79
        + "… (401 characters)\n",
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
    "literal-reference-in-s3-location": Case(
        [("s3://${bucket}/interactions.csv", "s3://$${bucket}/interactions.csv")],
        "shop.yaml:15:23  datasets.Interactions.imports[0].dataLocation: dataLocation 's3://${bucket}/interactions.csv' contains '${' after variables are replaced\n"
        + LITERAL_HINT,
    ),
    "literal-reference-in-kms-arn": Case(
        [
            (
                "datasetGroup:\n  name: shop\n",
                "datasetGroup:\n  name: shop\n  kmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/$${id}\n  roleArn: arn:aws:iam::123456789012:role/KmsRole\n",
            )
        ],
        "shop.yaml:7:14  datasetGroup.kmsKeyArn: kmsKeyArn 'arn:aws:kms:us-east-1:123456789012:key/${id}' contains '${' after variables are replaced\n"
        + LITERAL_HINT,
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
    "long-name-is-cut": Case(
        [("datasetGroup:\n  name: shop\n", "datasetGroup:\n  name: " + "s" * 300_000 + "\n")],
        f"shop.yaml:6:9  datasetGroup.name: name '{'s' * 80}…' is 300000 characters long; the limit is 63\n    hint: use 1-63 letters, digits, '-' or '_', starting with a letter or digit\n"
        f"shop.yaml:11:3  datasets.Interactions: the default dataset name '{'s' * 80}…' is longer than 63 characters\n    hint: set `name:` for this dataset\n",
    ),
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
    # -- what the API would refuse later --------------------------------------------------
    "schema-over-20000-characters": Case(
        [],
        "interactions.avsc:1:1  the schema is 20,291 characters long as sent to the service (JSON); the limit is 20,000\n    hint: remove fields or attributes, or shorten names\n",
        schema=[('  "version": "1.0"\n', '  "version": "1.0",\n  "doc": "' + "d" * 20000 + '"\n')],
    ),
    "role-arn-over-256": Case(
        [
            (
                "arn:aws:iam::123456789012:role/PersonalizeRole",
                "arn:aws:iam::123456789012:role/" + "r" * 300,
            )
        ],
        "shop.yaml:17:18  datasets.Interactions.imports[0].roleArn: the value has 331 characters; the limit is 256\n    hint: use arn:aws:iam::<12-digit account>:role/<name>\n",
    ),
    "kms-key-arn-over-2048": Case(
        [
            (
                "datasetGroup:\n  name: shop\n",
                "datasetGroup:\n  name: shop\n  kmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/"
                + "k" * 2100
                + "\n  roleArn: arn:aws:iam::123456789012:role/KmsRole\n",
            )
        ],
        "shop.yaml:7:14  datasetGroup.kmsKeyArn: the value has 2,139 characters; the limit is 2,048\n",
    ),
    "event-type-over-256": Case(
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    eventType: " + "e" * 300 + "\n",
            )
        ],
        "shop.yaml:21:16  solutions.shop-solution.eventType: the value has 300 characters; the limit is 256\n",
    ),
    "min-provisioned-tps-beyond-32-bits": Case(
        [("minProvisionedTPS: 1", "minProvisionedTPS: 2147483648")],
        "shop.yaml:24:24  campaigns.shop-campaign.minProvisionedTPS: must be at most 2147483647, not 2147483648\n",
    ),
    "integer-range-beyond-model": Case(
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization\n    performHPO: true\n    solutionConfig:\n      hpoConfig:\n        algorithmHyperParameterRanges:\n          integerHyperParameterRanges:\n            - {name: hidden_dimension, minValue: 32, maxValue: 9999999999}\n",
            )
        ],
        "shop.yaml:26:64  solutions.shop-solution.solutionConfig.hpoConfig.algorithmHyperParameterRanges.integerHyperParameterRanges[0].maxValue: must be at most 1000000, not 9999999999\n",
    ),
    "weight-not-a-number": Case(
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    solutionConfig:\n      eventsConfig:\n        eventParametersList:\n          - {eventType: click, weight: .nan}\n",
            )
        ],
        "shop.yaml:24:40  solutions.shop-solution.solutionConfig.eventsConfig.eventParametersList[0].weight: must be a finite number, not nan\n",
    ),
    "hpo-resources-out-of-range": Case(
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    performHPO: true\n    solutionConfig:\n      hpoConfig:\n        hpoResourceConfig: {maxNumberOfTrainingJobs: '50', maxParallelTrainingJobs: '0'}\n",
            )
        ],
        "shop.yaml:24:54  solutions.shop-solution.solutionConfig.hpoConfig.hpoResourceConfig.maxNumberOfTrainingJobs: maxNumberOfTrainingJobs must be a whole number from 1 to 40, written as a string, not '50'\n"
        "shop.yaml:24:85  solutions.shop-solution.solutionConfig.hpoConfig.hpoResourceConfig.maxParallelTrainingJobs: maxParallelTrainingJobs must be a whole number from 1 to 10, written as a string, not '0'\n",
    ),
    "auto-training-every-45-days": Case(
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    performAutoTraining: true\n    autoTrainingConfig: {schedulingExpression: rate(45 days)}\n",
            )
        ],
        "shop.yaml:22:48  solutions.shop-solution.autoTrainingConfig.schedulingExpression: the schedule must be every 1 to 30 days, not 45\n    hint: for example rate(7 days)\n",
    ),
    "campaigns-over-quota": Case(
        [
            (
                "    minProvisionedTPS: 1\n",
                "    minProvisionedTPS: 1\n"
                + "".join(f"  c{i}:\n    solution: shop-solution\n" for i in range(5)),
            )
        ],
        "shop.yaml:21:1  campaigns: 6 campaigns; the service quota 'active campaigns per dataset group' is 5\n    hint: remove some, or if the account's quota was raised in Service Quotas, declare it: quotas: {campaignsPerDatasetGroup: <new value>}\n",
    ),
    "solutions-over-raised-quota": Case(
        [
            (
                "campaigns:\n",
                "".join(f"  s{i}:\n    recipe: aws-user-personalization-v2\n" for i in range(11))
                + "campaigns:\n",
            ),
            (
                "    minProvisionedTPS: 1\n",
                "    minProvisionedTPS: 1\nquotas:\n  solutionsPerDatasetGroup: 11\n",
            ),
        ],
        "shop.yaml:18:1  solutions: 12 solutions; the service quota 'active solutions per dataset group' is 11 (quotas.solutionsPerDatasetGroup)\n    hint: remove some, or raise the quota in Service Quotas and update quotas.solutionsPerDatasetGroup\n",
    ),
    "every-problem-in-one-run": Case(
        [
            ("minProvisionedTPS: 1", "minProvisionedTPS: 2147483648"),
            (
                "arn:aws:iam::123456789012:role/PersonalizeRole",
                "arn:aws:iam::123456789012:role/" + "r" * 300,
            ),
            ("s3://${bucket}/interactions.csv", "s3://$${bucket}/interactions.csv"),
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    eventType: " + "e" * 300 + "\n",
            ),
        ],
        "interactions.avsc:1:1  the schema is 20,291 characters long as sent to the service (JSON); the limit is 20,000\n    hint: remove fields or attributes, or shorten names\n"
        "shop.yaml:15:23  datasets.Interactions.imports[0].dataLocation: dataLocation 's3://${bucket}/interactions.csv' contains '${' after variables are replaced\n"
        + LITERAL_HINT
        + "shop.yaml:17:18  datasets.Interactions.imports[0].roleArn: the value has 331 characters; the limit is 256\n    hint: use arn:aws:iam::<12-digit account>:role/<name>\n"
        "shop.yaml:21:16  solutions.shop-solution.eventType: the value has 300 characters; the limit is 256\n"
        "shop.yaml:25:24  campaigns.shop-campaign.minProvisionedTPS: must be at most 2147483647, not 2147483648\n",
        schema=[('  "version": "1.0"\n', '  "version": "1.0",\n  "doc": "' + "d" * 20000 + '"\n')],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_manifest(case, tmp_path, cli):
    c = CASES[case]
    write_shop(tmp_path, c.manifest, c.schema)
    check(cli, tmp_path, c.expected, *c.args)


def test_raised_quota_is_valid(tmp_path, cli):
    write_shop(
        tmp_path,
        [
            (
                "    minProvisionedTPS: 1\n",
                "    minProvisionedTPS: 1\n"
                + "".join(f"  c{i}:\n    solution: shop-solution\n" for i in range(5))
                + "quotas:\n  campaignsPerDatasetGroup: 6\n",
            )
        ],
    )
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out.endswith("1 solution, 6 campaigns.\n")


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
UPLOAD_FROM = (
    "uploadFrom: interactions.csv",
    "shop.yaml:16:21  datasets.Interactions.imports[0].uploadFrom: uploadFrom file",
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
        (
            UPLOAD_FROM,
            "pipe",
            "'pipe' is a FIFO (named pipe), not a regular file (looked for pipe)\n" + UPLOAD_HINT,
        ),
        (
            UPLOAD_FROM,
            "/dev/zero",
            "'/dev/zero' is a character device, not a regular file (looked for /dev/zero)\n"
            + UPLOAD_HINT,
        ),
        (UPLOAD_FROM, ".", "'.' is a folder (looked for .)\n" + UPLOAD_HINT),
    ],
)
def test_not_a_regular_file(field, target, expected, tmp_path, cli):
    """A FIFO, a device or a folder as a schema file or uploadFrom: refused, never opened
    (opening the FIFO would block, reading /dev/zero would never end)."""
    key, where = field
    write_shop(tmp_path, [(key, key.split(":")[0] + f": {target}")])
    if target == "pipe":
        os.mkfifo(tmp_path / target)
    check(cli, tmp_path, f"{where} {expected}")


def test_upload_from_larger_than_an_incremental_import(tmp_path, cli):
    write_shop(
        tmp_path,
        [("        roleArn: arn", "        importMode: INCREMENTAL\n        roleArn: arn")],
    )
    with open(tmp_path / "interactions.csv", "r+b") as f:
        f.truncate(2 * 1024**3)  # sparse: no disk space used
    check(
        cli,
        tmp_path,
        "shop.yaml:16:21  datasets.Interactions.imports[0].uploadFrom: uploadFrom file "
        "'interactions.csv' has 2,147,483,648 bytes; one INCREMENTAL import takes at most "
        "1 GB\n    hint: split the data into several INCREMENTAL imports, or use importMode "
        "FULL\n",
    )


def test_budget_for_all_references(tmp_path, cli):
    """Each value stays under 100,000 characters, but together they pass 2,000,000: the
    first value over the budget is reported, once."""
    many = "".join(f"        t{i}: ${{k}}\n" for i in range(25))
    write_shop(
        tmp_path,
        [
            ("  bucket: my-bucket\n", "  bucket: my-bucket\n  k: " + "k" * 99_000 + "\n"),
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    solutionConfig:\n"
                "      algorithmHyperParameters:\n" + many,
            ),
        ],
    )
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[20:22] == [
        "shop.yaml:44:14  solutions.shop-solution.solutionConfig.algorithmHyperParameters.t20: "
        "references in this manifest expand to more than 2,000,000 characters in all (here "
        "through ${k})",
        "    hint: use fewer or shorter variables",
    ]
    assert lines[19] == (
        "shop.yaml:43:14  solutions.shop-solution.solutionConfig.algorithmHyperParameters.t19: "
        "the value has 99,000 characters; the limit is 1,000"
    )
    assert len(result.err) < 5000


def test_diagnostic_text_is_capped():
    """The last guard: whatever a rule forgot to cut, a diagnostic keeps 1000 characters."""
    d = Diagnostic("shop.yaml", 1, 1, "p" * 1200, "m" * 5000, "h" * 1001)
    assert d.message == "m" * 1000 + "… (5,000 characters)"
    assert d.path == "p" * 1000 + "… (1,200 characters)"
    assert d.hint == "h" * 1000 + "… (1,001 characters)"
    assert Diagnostic("f", 0, 0, "", "short").render() == "f  short"


@posix_only
@pytest.mark.parametrize("command", ["plan", "apply", "destroy"])
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_every_command_refuses_a_special_file_without_opening_it(tmp_path, command, kind):
    """apply and the others first look whether the file is a saved plan: that look must not
    open a FIFO (it would block) or read a device (it would never end)."""
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe.yaml")
        file, what = "pipe.yaml", "is a FIFO (named pipe)"
    else:
        file, what = "/dev/zero", "is a character device"
    result = subprocess.run(
        [sys.executable, "-m", "personalize_reconcile", command, file, "--state-dir", "st"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"{file}  {what}, not a regular file\n{NOT_REGULAR_HINT}\n"
        f"1 problem found in {file}; nothing was changed.\n"
    )


def test_only_the_first_hundred_problems_are_printed(tmp_path, cli):
    """A generated manifest gone wrong can hold thousands of problems: stderr shows 100,
    then how many more and where to see them all; --json still lists every one."""
    extra = "".join(f"x{i}: 1\n" for i in range(150))
    write_shop(tmp_path, [("datasetGroup:\n", extra + "datasetGroup:\n")])
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0] == "shop.yaml:5:1  x0: unknown key 'x0'"
    assert sum(1 for line in lines if line.startswith("shop.yaml:")) == 100
    assert lines[-3:] == [
        "... and 50 more problems, not shown; fix these first, or see them all with "
        "`preconcile validate FILE --json`",
        "",
        "150 problems found in shop.yaml.",
    ]
    planned = cli("plan", "shop.yaml", cwd=tmp_path)
    assert planned.code == 1
    assert planned.err.splitlines()[-1] == "150 problems found in shop.yaml; nothing was changed."
    as_json = cli("validate", "shop.yaml", "--json", cwd=tmp_path)
    assert len(json.loads(as_json.out)["diagnostics"]) == 150


def test_a_boolean_variable_reads_as_yaml_spells_it(tmp_path, cli):
    """Inside a longer string, true stays true (not Python's True)."""
    write_shop(
        tmp_path,
        [
            ("  bucket: my-bucket\n", "  bucket: my-bucket\n  on: true\n"),
            ("datasetGroup:\n  name: shop\n", "datasetGroup:\n  name: shop-${on}\n"),
        ],
    )
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith("shop.yaml is valid: dataset group shop-true, ")


def test_python_style_keys_are_unknown_keys_not_a_crash(tmp_path, cli):
    """The model's field names (dataset_group, interactions) are not the manifest's keys:
    they were accepted and skipped the cross-checks, and plan then crashed."""
    write_shop(
        tmp_path,
        [
            ("datasetGroup:\n", "dataset_group:\n"),
            ("  Interactions:\n", "  interactions:\n"),
        ],
    )
    result = cli("plan", "shop.yaml", "--state-dir", "st", cwd=tmp_path)
    assert (result.code, result.out) == (1, "")
    assert "shop.yaml:5:1  dataset_group: unknown key 'dataset_group'\n" in result.err
    assert "    hint: did you mean 'datasetGroup'?\n" in result.err
    assert "datasets.interactions: unknown key 'interactions'\n" in result.err
    assert "    hint: did you mean 'Interactions'?\n" in result.err
    assert "unexpected" not in result.err
