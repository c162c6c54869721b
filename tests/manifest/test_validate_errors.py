"""Every kind of bad manifest gives its exact diagnostics, with file:line:col, and exit 1.

Each case edits a valid manifest (and its schema file) and runs ``preconcile validate`` in
the manifest's folder. The expected text is the whole of stderr but the closing count line.
"""

from __future__ import annotations

import pytest
from shop_files import write_shop

# id: (manifest edits, schema-file edits, extra arguments, expected stderr)
CASES = {
    "yaml-unclosed-flow": (
        [("name: shop\n", "name: [shop\n")],
        [],
        [],
        "shop.yaml:3:10  invalid YAML: expected ',' or ']', but got ':'\n    hint: check indentation, colons and quoting around this place\n",
    ),
    "yaml-tab-indent": (
        [("  name: shop\n", "\tname: shop\n")],
        [],
        [],
        "shop.yaml:6:1  invalid YAML: found character '\\t' that cannot start any token\n    hint: check indentation, colons and quoting around this place\n",
    ),
    "yaml-list-item-before-a-key": (
        [("solutions:\n  shop-solution:\n", "solutions:\n  - oops\n  shop-solution:\n")],
        [],
        [],
        "shop.yaml:20:3  invalid YAML: expected the end of the block, but found a key "
        "(name: value)\n    hint: check indentation, colons and quoting around this place\n",
    ),
    "yaml-duplicate-key": (
        [("name: shop\nvariables", "name: shop\nname: other\nvariables")],
        [],
        [],
        'shop.yaml:3:1  invalid YAML: found duplicate key "name"\n    hint: each key may appear once in a mapping; remove or rename one\n',
    ),
    "yaml-explicit-tag": (
        [("  bucket: my-bucket", "  bucket: !!python/object:os.system my-bucket")],
        [],
        [],
        "shop.yaml:4:11  variables.bucket: explicit YAML tag tag:yaml.org,2002:python/object:os.system is not allowed\n    hint: remove the tag; write the value as plain YAML\n",
    ),
    "not-a-mapping": (
        [
            (
                "version: 1\nname: shop\nvariables:\n  bucket: my-bucket\ndatasetGroup:\n  name: shop\nschemas:\n  shop-interactions:\n    file: interactions.avsc\ndatasets:\n  Interactions:\n    schema: shop-interactions\n    imports:\n      - name: shop-interactions\n        dataLocation: s3://${bucket}/interactions.csv\n        uploadFrom: interactions.csv\n        roleArn: arn:aws:iam::123456789012:role/PersonalizeRole\nsolutions:\n  shop-solution:\n    recipe: aws-user-personalization-v2\ncampaigns:\n  shop-campaign:\n    solution: shop-solution\n    minProvisionedTPS: 1\n",
                "- version: 1\n",
            )
        ],
        [],
        [],
        "shop.yaml:1:1  a manifest must be a YAML mapping (version:, name:, datasetGroup:, ...)\n    hint: start from examples/workshop.yaml\n",
    ),
    "empty-file": (
        [
            (
                "version: 1\nname: shop\nvariables:\n  bucket: my-bucket\ndatasetGroup:\n  name: shop\nschemas:\n  shop-interactions:\n    file: interactions.avsc\ndatasets:\n  Interactions:\n    schema: shop-interactions\n    imports:\n      - name: shop-interactions\n        dataLocation: s3://${bucket}/interactions.csv\n        uploadFrom: interactions.csv\n        roleArn: arn:aws:iam::123456789012:role/PersonalizeRole\nsolutions:\n  shop-solution:\n    recipe: aws-user-personalization-v2\ncampaigns:\n  shop-campaign:\n    solution: shop-solution\n    minProvisionedTPS: 1\n",
                "",
            )
        ],
        [],
        [],
        "shop.yaml:1:1  the manifest is empty\n    hint: start from examples/workshop.yaml\n",
    ),
    "wrong-version": (
        [("version: 1", "version: 2")],
        [],
        [],
        "shop.yaml:1:10  version: must be 1, not 2\n",
    ),
    "missing-dataset-group": (
        [("datasetGroup:\n  name: shop\n", "")],
        [],
        [],
        "shop.yaml:1:1  datasetGroup: required key 'datasetGroup' is missing\n    hint: add `datasetGroup:`\n",
    ),
    "unknown-top-level-key": (
        [("campaigns:", "campaign:")],
        [],
        [],
        "shop.yaml:21:1  campaign: unknown key 'campaign'\n    hint: did you mean 'campaigns'?\n",
    ),
    "unknown-solution-key": (
        [("    recipe: aws", "    recipie: aws")],
        [],
        [],
        "shop.yaml:20:5  solutions.shop-solution.recipe: required key 'recipe' is missing\n    hint: add `recipe:`\nshop.yaml:20:5  solutions.shop-solution.recipie: unknown key 'recipie'\n    hint: did you mean 'recipe'?\n",
    ),
    "wrong-type-tps": (
        [("minProvisionedTPS: 1", "minProvisionedTPS: many")],
        [],
        [],
        "shop.yaml:24:24  campaigns.shop-campaign.minProvisionedTPS: must be a whole number, not 'many'\n",
    ),
    "tps-zero": (
        [("minProvisionedTPS: 1", "minProvisionedTPS: 0")],
        [],
        [],
        "shop.yaml:24:24  campaigns.shop-campaign.minProvisionedTPS: must be at least 1, not 0\n",
    ),
    "wrong-type-bool": (
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    performHPO: maybe\n",
            )
        ],
        [],
        [],
        "shop.yaml:21:17  solutions.shop-solution.performHPO: must be true or false, not 'maybe'\n",
    ),
    "wrong-type-imports": (
        [
            (
                "    imports:\n      - name: shop-interactions\n        dataLocation: s3://${bucket}/interactions.csv\n        uploadFrom: interactions.csv\n        roleArn: arn:aws:iam::123456789012:role/PersonalizeRole\n",
                "    imports: s3://x/y.csv\n",
            )
        ],
        [],
        [],
        "shop.yaml:13:14  datasets.Interactions.imports: must be a list, not a string\n    hint: write each entry on its own line starting with '- '\n",
    ),
    "unknown-dataset-type": (
        [("  Interactions:", "  interaction:")],
        [],
        [],
        "shop.yaml:11:3  datasets.interaction: unknown key 'interaction'\n    hint: did you mean 'Interactions'?\nshop.yaml:20:13  solutions.shop-solution.recipe: recipe aws-user-personalization-v2 trains on an Interactions dataset, and the manifest declares none\n    hint: add datasets.Interactions\n",
    ),
    "bad-import-mode": (
        [("        roleArn: arn", "        importMode: PARTIAL\n        roleArn: arn")],
        [],
        [],
        "shop.yaml:17:21  datasets.Interactions.imports[0].importMode: must be 'FULL' or 'INCREMENTAL', not 'PARTIAL'\n",
    ),
    "name-with-space": (
        [("datasetGroup:\n  name: shop", "datasetGroup:\n  name: my shop")],
        [],
        [],
        "shop.yaml:6:9  datasetGroup.name: name 'my shop' contains ' '; only letters, digits, '-' and '_' are allowed\n    hint: use 1-63 letters, digits, '-' or '_', starting with a letter or digit\n",
    ),
    "name-too-long": (
        [
            (
                "datasetGroup:\n  name: shop",
                "datasetGroup:\n  name: ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss",
            )
        ],
        [],
        [],
        "shop.yaml:6:9  datasetGroup.name: name 'ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss' is 64 characters long; the limit is 63\n    hint: use 1-63 letters, digits, '-' or '_', starting with a letter or digit\nshop.yaml:11:3  datasets.Interactions: the default dataset name 'ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss-interactions' is longer than 63 characters\n    hint: set `name:` for this dataset\n",
    ),
    "name-leading-dash": (
        [("  shop-campaign:", "  -shop-campaign:")],
        [],
        [],
        "shop.yaml:22:3  campaigns.-shop-campaign: name '-shop-campaign' must start with a letter or a digit\n    hint: use 1-63 letters, digits, '-' or '_', starting with a letter or digit\n",
    ),
    "import-name-too-long": (
        [
            (
                "      - name: shop-interactions",
                "      - name: iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii",
            )
        ],
        [],
        [],
        "shop.yaml:14:15  datasets.Interactions.imports[0].name: import name 'iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii' is 55 characters long; the limit is 54\n    hint: shorten it to 54 characters or fewer\n",
    ),
    "duplicate-import-name": (
        [
            (
                "    imports:\n",
                "    imports:\n      - name: shop-interactions\n        dataLocation: s3://${bucket}/old.csv\n",
            )
        ],
        [],
        [],
        "shop.yaml:16:15  datasets.Interactions.imports[1].name: import name 'shop-interactions' is already used at datasets.Interactions.imports[0]\n    hint: give each import its own name\n",
    ),
    "schema-both-sources": (
        [("    file: interactions.avsc\n", "    file: interactions.avsc\n    definition: {}\n")],
        [],
        [],
        "shop.yaml:9:5  schemas.shop-interactions: give exactly one of `file` or `definition`\n",
    ),
    "schema-file-missing": (
        [("file: interactions.avsc", "file: nope.avsc")],
        [],
        [],
        "shop.yaml:9:11  schemas.shop-interactions.file: schema file 'nope.avsc': file not found\n    hint: check the path; it is relative to the manifest's folder\n",
    ),
    "schema-invalid-json": (
        [],
        [('"version": "1.0"\n', '"version": "1.0",,\n')],
        [],
        "interactions.avsc:11:20  invalid JSON: expected the node content, but found ','\n    hint: check the brackets, commas, colons and double quotes around this place (a missing or extra comma, or an unclosed { or [)\n",
    ),
    "avro-not-record": (
        [],
        [('"type": "record"', '"type": "enum"')],
        [],
        'interactions.avsc:2:11  type: the schema type must be "record", not \'enum\'\n    hint: set "type": "record"\n',
    ),
    "avro-nested-type": (
        [],
        [
            (
                '{"name": "EVENT_TYPE", "type": "string"}',
                '{"name": "EVENT_TYPE", "type": {"type": "array", "items": "string"}}',
            )
        ],
        [],
        'interactions.avsc:8:36  fields[2].type: field \'EVENT_TYPE\' uses a nested or complex type\n    hint: Personalize allows only string, int, long, float, double, boolean and null, or a union such as ["null", "string"]\n',
    ),
    "avro-unknown-type": (
        [],
        [('{"name": "EVENT_TYPE", "type": "string"}', '{"name": "EVENT_TYPE", "type": "date"}')],
        [],
        "interactions.avsc:8:36  fields[2].type: field 'EVENT_TYPE' has type 'date', which Personalize does not accept\n    hint: use string, int, long, float, double or boolean (arrays, maps, records and enums are not allowed)\n",
    ),
    "avro-required-field-with-a-typo-in-its-type": (
        [],
        [('{"name": "TIMESTAMP", "type": "long"}', '{"name": "TIMESTAMP", "type": "lnog"}')],
        [],
        "interactions.avsc:9:35  fields[3].type: field 'TIMESTAMP' has type 'lnog', which Personalize does not accept\n    hint: use string, int, long, float, double or boolean (arrays, maps, records and enums are not allowed)\n",
    ),
    "avro-timestamp-int": (
        [],
        [('{"name": "TIMESTAMP", "type": "long"}', '{"name": "TIMESTAMP", "type": "int"}')],
        [],
        'interactions.avsc:9:35  fields[3].type: reserved field \'TIMESTAMP\' must have type "long", not "int" (used by datasets.Interactions)\n    hint: set "type": "long"\n',
    ),
    "avro-missing-item-id": (
        [],
        [('    {"name": "ITEM_ID", "type": "string"},\n', "")],
        [],
        'interactions.avsc:5:13  fields: an Interactions schema needs the field \'ITEM_ID\' (used by datasets.Interactions)\n    hint: add {"name": "ITEM_ID", "type": "string"}\n',
    ),
    "avro-categorical-event-type": (
        [],
        [
            (
                '{"name": "EVENT_TYPE", "type": "string"}',
                '{"name": "EVENT_TYPE", "type": "string", "categorical": true}',
            )
        ],
        [],
        "interactions.avsc:8:61  fields[2].categorical: reserved field 'EVENT_TYPE' must not be categorical (used by datasets.Interactions)\n    hint: remove \"categorical\": true\n",
    ),
    "avro-textual-in-interactions": (
        [],
        [
            (
                '{"name": "EVENT_TYPE", "type": "string"}',
                '{"name": "EVENT_TYPE", "type": "string"},\n    {"name": "NOTE", "type": "string", "textual": true}',
            )
        ],
        [],
        'interactions.avsc:9:51  fields[3].textual: "textual" fields are only allowed in Items schemas, not Interactions (used by datasets.Interactions)\n    hint: remove "textual": true\n',
    ),
    "avro-duplicate-field": (
        [],
        [('{"name": "EVENT_TYPE", "type": "string"}', '{"name": "USER_ID", "type": "string"}')],
        [],
        "interactions.avsc:8:14  fields[2].name: field 'USER_ID' is defined twice (first at fields[0])\n    hint: remove one of them\n",
    ),
    "avro-separator-collision": (
        [],
        [
            (
                '{"name": "EVENT_TYPE", "type": "string"}',
                '{"name": "EVENT_TYPE", "type": "string"},\n    {"name": "DEVICE_TYPE", "type": "string"},\n    {"name": "DEVICETYPE", "type": "string"}',
            )
        ],
        [],
        "interactions.avsc:10:14  fields[4].name: field 'DEVICETYPE' collides with 'DEVICE_TYPE' once separators are removed\n    hint: rename one of them\n",
    ),
    "avro-too-many-metadata": (
        [],
        [
            (
                '{"name": "EVENT_TYPE", "type": "string"}',
                '{"name": "EVENT_TYPE", "type": "string"},\n    {"name": "M0", "type": "string", "categorical": true},\n    {"name": "M1", "type": "string", "categorical": true},\n    {"name": "M2", "type": "string", "categorical": true},\n    {"name": "M3", "type": "string", "categorical": true},\n    {"name": "M4", "type": "string", "categorical": true},\n    {"name": "M5", "type": "string", "categorical": true}',
            )
        ],
        [],
        "interactions.avsc:5:13  fields: an Interactions schema may have at most 5 metadata fields, this one has 6 (used by datasets.Interactions)\n    hint: remove some fields\n",
    ),
    "avro-mixed-union": (
        [],
        [
            (
                '{"name": "EVENT_TYPE", "type": "string"}',
                '{"name": "EVENT_TYPE", "type": "string"},\n    {"name": "PRICE", "type": ["int", "string"]}',
            )
        ],
        [],
        'interactions.avsc:9:31  fields[3].type: field \'PRICE\' mixes several types ["int", "string"]\n    hint: a union may only add null to one type\n',
    ),
    "avro-categorical-on-number": (
        [],
        [
            (
                '{"name": "EVENT_TYPE", "type": "string"}',
                '{"name": "EVENT_TYPE", "type": "string"},\n    {"name": "PRICE", "type": "float", "categorical": true}',
            )
        ],
        [],
        'interactions.avsc:9:55  fields[3].categorical: "categorical" is only allowed on string fields\n    hint: remove "categorical" or make \'PRICE\' a string\n',
    ),
    "avro-items-no-metadata": (
        [
            (
                "  Interactions:\n    schema: shop-interactions\n",
                "  Items:\n    schema: shop-items\n  Interactions:\n    schema: shop-interactions\n",
            ),
            (
                "schemas:\n",
                "schemas:\n  shop-items:\n    definition:\n      type: record\n      name: Items\n      fields:\n        - {name: ITEM_ID, type: string}\n",
            ),
        ],
        [],
        [],
        'shop.yaml:13:9  schemas.shop-items.definition.fields: an Items schema needs at least one metadata field besides ITEM_ID (used by datasets.Items)\n    hint: add a field such as {"name": "CATEGORY", "type": "string", "categorical": true}\n',
    ),
    "legacy-recipe-hrnn": (
        [("recipe: aws-user-personalization-v2", "recipe: aws-hrnn")],
        [],
        [],
        "shop.yaml:20:13  solutions.shop-solution.recipe: recipe 'aws-hrnn' is a legacy recipe that the service no longer offers\n    hint: use aws-user-personalization-v2 instead\n",
    ),
    "legacy-recipe-coldstart": (
        [
            (
                "recipe: aws-user-personalization-v2",
                "recipe: arn:aws:personalize:::recipe/aws-hrnn-coldstart",
            )
        ],
        [],
        [],
        "shop.yaml:20:13  solutions.shop-solution.recipe: recipe 'aws-hrnn-coldstart' is a legacy recipe that the service no longer offers\n    hint: use aws-user-personalization instead\n",
    ),
    "unknown-recipe": (
        [("recipe: aws-user-personalization-v2", "recipe: aws-user-personalisation")],
        [],
        [],
        "shop.yaml:20:13  solutions.shop-solution.recipe: unknown recipe 'aws-user-personalisation'\n    hint: did you mean aws-user-personalization or aws-user-personalization-v2 or aws-personalized-ranking?\n",
    ),
    "domain-recipe-in-solution": (
        [("recipe: aws-user-personalization-v2", "recipe: aws-ecomm-recommended-for-you")],
        [],
        [],
        "shop.yaml:20:13  solutions.shop-solution.recipe: recipe 'aws-ecomm-recommended-for-you' is an ECOMMERCE domain use case, which only a recommender can use\n    hint: pick a custom recipe such as aws-user-personalization-v2 for a solution\n",
    ),
    "segmentation-recipe-campaign": (
        [("recipe: aws-user-personalization-v2", "recipe: aws-item-affinity")],
        [],
        [],
        "shop.yaml:23:15  campaigns.shop-campaign.solution: solution 'shop-solution' uses aws-item-affinity, a USER_SEGMENTATION recipe that serves batch segment jobs only; a campaign cannot deploy it\n    hint: remove the campaign, or pick another recipe\n",
    ),
    "attribute-affinity-without-items": (
        [("recipe: aws-user-personalization-v2", "recipe: aws-item-attribute-affinity")],
        [],
        [],
        "shop.yaml:20:13  solutions.shop-solution.recipe: recipe aws-item-attribute-affinity trains on an Items dataset, and the manifest declares none\n    hint: add datasets.Items\n"
        "shop.yaml:23:15  campaigns.shop-campaign.solution: solution 'shop-solution' uses aws-item-attribute-affinity, a USER_SEGMENTATION recipe that serves batch segment jobs only; a campaign cannot deploy it\n    hint: remove the campaign, or pick another recipe\n",
    ),
    "dangling-campaign-solution": (
        [("    solution: shop-solution", "    solution: shop-soluton")],
        [],
        [],
        "shop.yaml:23:15  campaigns.shop-campaign.solution: solution 'shop-soluton' is not declared under `solutions`\n    hint: did you mean 'shop-solution'?\n",
    ),
    "dangling-dataset-schema": (
        [("    schema: shop-interactions", "    schema: shop-interaction")],
        [],
        [],
        "shop.yaml:12:13  datasets.Interactions.schema: schema 'shop-interaction' is not declared under `schemas`\n    hint: did you mean 'shop-interactions'?\nshop.yaml:20:13  solutions.shop-solution.recipe: recipe aws-user-personalization-v2 trains on an Interactions dataset, and the manifest declares none\n    hint: add datasets.Interactions\n",
    ),
    "unset-variable": (
        [("s3://${bucket}/", "s3://${bukcet}/")],
        [],
        [],
        "shop.yaml:15:23  datasets.Interactions.imports[0].dataLocation: variable 'bukcet' is not set\n    hint: did you mean ${bucket}? define it under variables: or pass --var bukcet=VALUE\n",
    ),
    "unset-env-variable": (
        [("s3://${bucket}/", "s3://${env:PRECONCILE_TEST_UNSET_BUCKET}/")],
        [],
        [],
        "shop.yaml:15:23  datasets.Interactions.imports[0].dataLocation: environment variable 'PRECONCILE_TEST_UNSET_BUCKET' is not set\n    hint: export PRECONCILE_TEST_UNSET_BUCKET=... before running, or use a manifest variable with a default\n",
    ),
    "bad-reference": (
        [("s3://${bucket}/", "s3://${}/")],
        [],
        [],
        "shop.yaml:15:23  datasets.Interactions.imports[0].dataLocation: '${}' is not a valid reference\n    hint: write ${name} for a variable, ${env:NAME} for the environment, or $${ for a literal '${'\n",
    ),
    "solution-config-unknown-key": (
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    solutionConfig:\n      algorithmHyperParametrs: {}\n",
            )
        ],
        [],
        [],
        "shop.yaml:22:7  solutions.shop-solution.solutionConfig.algorithmHyperParametrs: unknown key 'algorithmHyperParametrs'\n    hint: did you mean 'algorithmHyperParameters'?\n",
    ),
    "solution-config-pattern": (
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    performAutoTraining: true\n    solutionConfig:\n      autoTrainingConfig: {schedulingExpression: rate(7 weeks)}\n",
            )
        ],
        [],
        [],
        "shop.yaml:23:50  solutions.shop-solution.solutionConfig.autoTrainingConfig.schedulingExpression: must satisfy regular expression pattern: rate\\(\\d+ days?\\)\n",
    ),
    "hyperparameter-not-string": (
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    solutionConfig:\n      algorithmHyperParameters:\n        hidden_dimension: 64\n",
            )
        ],
        [],
        [],
        "shop.yaml:23:27  solutions.shop-solution.solutionConfig.algorithmHyperParameters.hidden_dimension: must be a string, not an integer\n    hint: quote the value: the service takes these as strings\n",
    ),
    "solution-config-enum": (
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    solutionConfig:\n      optimizationObjective: {itemAttribute: PRICE, objectiveSensitivity: EXTREME}\n",
            )
        ],
        [],
        [],
        "shop.yaml:22:75  solutions.shop-solution.solutionConfig.optimizationObjective.objectiveSensitivity: must satisfy enum value set: [LOW, MEDIUM, HIGH, OFF]\n",
    ),
    "auto-training-config-without-auto-training": (
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    autoTrainingConfig: {schedulingExpression: rate(7 days)}\n",
            )
        ],
        [],
        [],
        "shop.yaml:21:25  solutions.shop-solution.autoTrainingConfig: autoTrainingConfig has no effect unless performAutoTraining is true\n    hint: set performAutoTraining: true, or remove autoTrainingConfig\n",
    ),
    "training-mode-update-v2": (
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    training: {trainingMode: UPDATE}\n",
            )
        ],
        [],
        [],
        "shop.yaml:21:30  solutions.shop-solution.training.trainingMode: trainingMode UPDATE is only available for aws-user-personalization, not aws-user-personalization-v2\n    hint: use trainingMode: FULL\n",
    ),
    "exploration-weight-range": (
        [
            (
                "    minProvisionedTPS: 1\n",
                '    minProvisionedTPS: 1\n    campaignConfig:\n      itemExplorationConfig: {explorationWeight: "1.5"}\n',
            ),
            ("recipe: aws-user-personalization-v2", "recipe: aws-user-personalization"),
        ],
        [],
        [],
        "shop.yaml:26:50  campaigns.shop-campaign.campaignConfig.itemExplorationConfig.explorationWeight: explorationWeight must be between 0 and 1, not 1.5\n",
    ),
    "campaign-config-sync-latest": (
        [
            (
                "    minProvisionedTPS: 1\n",
                "    minProvisionedTPS: 1\n    campaignConfig: {syncWithLatestSolutionVersion: true}\n",
            )
        ],
        [],
        [],
        "shop.yaml:25:53  campaigns.shop-campaign.campaignConfig.syncWithLatestSolutionVersion: syncWithLatestSolutionVersion follows the versions solution 'shop-solution' trains on its own, and it does not train automatically\n    hint: set performAutoTraining: true on solution shop-solution, or remove syncWithLatestSolutionVersion to have apply move the campaign to each version it trains\n",
    ),
    "rollout-unknown-metric": (
        [
            (
                "    minProvisionedTPS: 1\n",
                "    minProvisionedTPS: 1\n    rollout:\n      minimums: {precision_at_20: 0.1}\n"
                "      maxRegression: {ndcg_at_10: 0.02}\n",
            )
        ],
        [],
        [],
        "shop.yaml:26:18  campaigns.shop-campaign.rollout.minimums.precision_at_20: unknown metric 'precision_at_20': GetSolutionMetrics reports no such metric\n    hint: did you mean 'precision_at_25'?\n"
        "shop.yaml:27:23  campaigns.shop-campaign.rollout.maxRegression.ndcg_at_10: unknown metric 'ndcg_at_10': GetSolutionMetrics reports no such metric\n    hint: use one of coverage, mean_reciprocal_rank_at_25, normalized_discounted_cumulative_gain_at_5, normalized_discounted_cumulative_gain_at_10, normalized_discounted_cumulative_gain_at_25, precision_at_5, precision_at_10, precision_at_25\n",
    ),
    "rollout-out-of-range": (
        [
            (
                "    minProvisionedTPS: 1\n",
                "    minProvisionedTPS: 1\n    rollout:\n      minimums: {coverage: 1.5}\n"
                "      maxRegression: {precision_at_25: -0.1}\n",
            )
        ],
        [],
        [],
        "shop.yaml:26:28  campaigns.shop-campaign.rollout.minimums.coverage: coverage must be from 0 to 1, not 1.5\n"
        "shop.yaml:27:40  campaigns.shop-campaign.rollout.maxRegression.precision_at_25: precision_at_25 must be 0 or more, not -0.1\n",
    ),
    "bad-role-arn": (
        [
            (
                "arn:aws:iam::123456789012:role/PersonalizeRole",
                "arn:aws:iam::1234:role/PersonalizeRole",
            )
        ],
        [],
        [],
        "shop.yaml:17:18  datasets.Interactions.imports[0].roleArn: must satisfy regular expression pattern: arn:([a-z\\d-]+):iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+\n    hint: use arn:aws:iam::<12-digit account>:role/<name>\n",
    ),
    "data-location-not-s3": (
        [("dataLocation: s3://${bucket}/interactions.csv", "dataLocation: /data/interactions.csv")],
        [],
        [],
        "shop.yaml:15:23  datasets.Interactions.imports[0].dataLocation: dataLocation '/data/interactions.csv' is not an s3:// URI\n    hint: write s3://bucket/key.csv, or s3://bucket/prefix/ for a folder\n",
    ),
    "upload-from-missing": (
        [("uploadFrom: interactions.csv", "uploadFrom: data/missing.csv")],
        [],
        [],
        "shop.yaml:16:21  datasets.Interactions.imports[0].uploadFrom: uploadFrom file 'data/missing.csv' does not exist (looked for data/missing.csv)\n    hint: give the path of a CSV file, relative to the manifest's folder\n",
    ),
    "reserved-tag-prefix": (
        [
            (
                "datasetGroup:\n  name: shop\n",
                'datasetGroup:\n  name: shop\n  tags: {"aws:team": ml}\n',
            )
        ],
        [],
        [],
        "shop.yaml:7:10  datasetGroup.tags.aws:team: tag key 'aws:team' uses the reserved prefix 'aws:'\n    hint: choose another key\n",
    ),
    "bad-bucket-name-from-var": (
        [],
        [],
        ["--var", "bucket=My_Bucket"],
        "shop.yaml:15:23  datasets.Interactions.imports[0].dataLocation: bucket name 'My_Bucket': bucket names use only lower-case letters, digits, dots and hyphens, and start and end with a letter or digit\n    hint: use the name of an existing S3 bucket\n",
    ),
    "data-location-climbs-out": (
        [("s3://${bucket}/interactions.csv", "s3://${bucket}/../secret.csv")],
        [],
        [],
        "shop.yaml:15:23  datasets.Interactions.imports[0].dataLocation: object key '../secret.csv': the segment \"..\" is not allowed (keys may not climb out of their bucket)\n    hint: write s3://bucket/folder/file.csv\n",
    ),
    "var-option-for-no-variable": (
        [],
        [],
        ["--var", "bukcet=other"],
        "shop.yaml  --var bukcet=...: the manifest neither declares nor uses a variable 'bukcet'\n    hint: did you mean --var bucket=...?\n",
    ),
    "tps-boolean": (
        [("minProvisionedTPS: 1", "minProvisionedTPS: true")],
        [],
        [],
        "shop.yaml:24:24  campaigns.shop-campaign.minProvisionedTPS: must be a whole number, not true\n",
    ),
    "variable-cycle": (
        [("  bucket: my-bucket\n", "  bucket: ${other}\n  other: ${bucket}\n")],
        [],
        [],
        "shop.yaml:4:11  variables.bucket: variable 'bucket' is part of a cycle: bucket, other refer to each other\n    hint: give one of them a plain value\nshop.yaml:5:10  variables.other: variable 'other' is part of a cycle: bucket, other refer to each other\n    hint: give one of them a plain value\n",
    ),
    "variable-refers-to-itself": (
        [("  bucket: my-bucket\n", "  bucket: b-${bucket}\n")],
        [],
        [],
        "shop.yaml:4:11  variables.bucket: variable 'bucket' refers to itself\n    hint: give it a plain value\n",
    ),
    "variable-not-a-scalar": (
        [("  bucket: my-bucket\n", "  bucket: {name: my-bucket}\n")],
        [],
        [],
        "shop.yaml:4:11  variables.bucket: must be a string, a number or true/false, not a mapping\n",
    ),
    "tag-bad-characters": (
        [("datasetGroup:\n  name: shop\n", 'datasetGroup:\n  name: shop\n  tags: {"te#am": ml}\n')],
        [],
        [],
        "shop.yaml:7:10  datasetGroup.tags.te#am: tag key 'te#am' has characters the service does not allow in tags\n    hint: use letters, digits, spaces and _ . : / = + - @\n",
    ),
    "tag-value-not-string": (
        [
            (
                "datasetGroup:\n  name: shop\n",
                "datasetGroup:\n  name: shop\n  tags: {cost-centre: 42}\n",
            )
        ],
        [],
        [],
        'shop.yaml:7:23  datasetGroup.tags.cost-centre: must be a string, not a number\n    hint: quote it: "42"\n',
    ),
    "role-without-kms": (
        [
            (
                "datasetGroup:\n  name: shop\n",
                "datasetGroup:\n  name: shop\n  roleArn: arn:aws:iam::123456789012:role/KmsRole\n",
            )
        ],
        [],
        [],
        "shop.yaml:7:12  datasetGroup.roleArn: roleArn is only used together with kmsKeyArn\n    hint: add kmsKeyArn, or remove roleArn\n",
    ),
    "actions-in-domain-group": (
        [
            ("datasetGroup:\n  name: shop\n", "datasetGroup:\n  name: shop\n  domain: ECOMMERCE\n"),
            (
                "  Interactions:\n    schema: shop-interactions\n",
                "  Actions:\n    schema: shop-interactions\n  Interactions:\n    schema: shop-interactions\n",
            ),
        ],
        [],
        [],
        'interactions.avsc:5:13  fields: an Actions schema needs the field \'ACTION_ID\' (used by datasets.Actions)\n    hint: add {"name": "ACTION_ID", "type": "string"}\nshop.yaml:12:3  datasets.Actions: an ECOMMERCE domain dataset group cannot have an Actions dataset\n    hint: remove it, or use a custom dataset group (no domain)\n',
    ),
    "actions-in-custom-group": (
        [
            ("datasetGroup:\n  name: shop\n", "datasetGroup:\n  name: shop\n  domain: CUSTOM\n"),
            (
                "  Interactions:\n    schema: shop-interactions\n",
                "  Actions:\n    schema: shop-interactions\n  Interactions:\n    schema: shop-interactions\n",
            ),
        ],
        [],
        [],
        'interactions.avsc:5:13  fields: an Actions schema needs the field \'ACTION_ID\' (used by datasets.Actions)\n    hint: add {"name": "ACTION_ID", "type": "string"}\n',
    ),
    "bad-var-option": (
        [],
        [],
        ["--var", "bucket"],
        "Error: --var 'bucket' must look like name=value; for example --var bucket=my-bucket\n",
    ),
}


def test_base_manifest_is_valid(tmp_path, cli):
    write_shop(tmp_path)
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "shop.yaml is valid: dataset group shop, 1 schema, 1 dataset, 1 import, "
        "1 solution, 1 campaign.\n"
    )


def test_sync_and_rollout_with_an_auto_training_solution_are_valid(tmp_path, cli):
    write_shop(
        tmp_path,
        [
            (
                "    recipe: aws-user-personalization-v2\n",
                "    recipe: aws-user-personalization-v2\n    performAutoTraining: true\n",
            ),
            (
                "    minProvisionedTPS: 1\n",
                "    minProvisionedTPS: 1\n    campaignConfig: {syncWithLatestSolutionVersion: true}\n"
                "    rollout:\n      minimums: {normalized_discounted_cumulative_gain_at_10: 0.2}\n"
                "      maxRegression: {precision_at_25: 0.02}\n",
            ),
        ],
    )
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")


@pytest.mark.parametrize("case", list(CASES))
def test_bad_manifest(case, tmp_path, cli, monkeypatch):
    manifest_edits, schema_edits, args, expected = CASES[case]
    monkeypatch.delenv("PRECONCILE_TEST_UNSET_BUCKET", raising=False)
    write_shop(tmp_path, manifest_edits, schema_edits)
    result = cli("validate", "shop.yaml", *args, cwd=tmp_path)
    assert result.code == 1
    assert result.out == ""
    assert "Traceback" not in result.err
    body = result.err
    if body.endswith(" found in shop.yaml.\n"):
        count = len([line for line in expected.splitlines() if line.startswith(("shop", "inter"))])
        closing = f"\n{count} problem{'s' if count != 1 else ''} found in shop.yaml.\n"
        assert body.endswith(closing)
        body = body[: -len(closing)]
    assert body == expected
