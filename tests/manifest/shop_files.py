"""The small valid manifest ("shop") that the manifest tests edit, and how to write it.

``write_shop(folder, manifest_edits, schema_edits)`` writes ``shop.yaml``, the schema file
``interactions.avsc`` and the ``uploadFrom`` file ``interactions.csv`` into ``folder``,
after applying each ``(old, new)`` edit once (an edit whose ``old`` text is missing fails
the test, so an edit can never silently do nothing).
"""

from __future__ import annotations

from pathlib import Path

BASE = "version: 1\nname: shop\nvariables:\n  bucket: my-bucket\ndatasetGroup:\n  name: shop\nschemas:\n  shop-interactions:\n    file: interactions.avsc\ndatasets:\n  Interactions:\n    schema: shop-interactions\n    imports:\n      - name: shop-interactions\n        dataLocation: s3://${bucket}/interactions.csv\n        uploadFrom: interactions.csv\n        roleArn: arn:aws:iam::123456789012:role/PersonalizeRole\nsolutions:\n  shop-solution:\n    recipe: aws-user-personalization-v2\ncampaigns:\n  shop-campaign:\n    solution: shop-solution\n    minProvisionedTPS: 1\n"

AVSC = '{\n  "type": "record",\n  "name": "Interactions",\n  "namespace": "com.amazonaws.personalize.schema",\n  "fields": [\n    {"name": "USER_ID", "type": "string"},\n    {"name": "ITEM_ID", "type": "string"},\n    {"name": "EVENT_TYPE", "type": "string"},\n    {"name": "TIMESTAMP", "type": "long"}\n  ],\n  "version": "1.0"\n}\n'


def write_shop(
    folder: Path,
    manifest_edits: list[tuple[str, str]] = (),
    schema_edits: list[tuple[str, str]] = (),
) -> Path:
    """Write the shop files into ``folder`` with the edits applied; return the manifest."""
    manifest, schema = BASE, AVSC
    for old, new in manifest_edits:
        assert old in manifest, old
        manifest = manifest.replace(old, new, 1)
    for old, new in schema_edits:
        assert old in schema, old
        schema = schema.replace(old, new, 1)
    (folder / "shop.yaml").write_text(manifest)
    (folder / "interactions.avsc").write_text(schema)
    (folder / "interactions.csv").write_text("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n")
    return folder / "shop.yaml"


def write_large(folder: Path, n: int) -> Path:
    """Write the shop manifest grown to ``n`` imports, ``n`` solutions and ``n`` campaigns
    (every one valid, the quotas raised to match) into ``folder``; return the manifest.
    About 360 bytes per ``n``."""
    write_shop(folder)
    imports = "".join(
        f"      - name: part-{i}\n"
        f"        dataLocation: s3://${{bucket}}/part-{i}.csv\n"
        "        roleArn: arn:aws:iam::123456789012:role/PersonalizeRole\n"
        for i in range(n)
    )
    solutions = "".join(
        f"  solution-{i}:\n    recipe: aws-user-personalization-v2\n"
        "    solutionConfig:\n      algorithmHyperParameters: {hidden_dimension: '64'}\n"
        "    tags: {team: ml}\n"
        for i in range(n)
    )
    campaigns = "".join(
        f"  campaign-{i}:\n    solution: solution-{i}\n    minProvisionedTPS: 2\n" for i in range(n)
    )
    head, _, _ = BASE.partition("    imports:\n")
    text = (
        f"{head}    imports:\n{imports}solutions:\n{solutions}campaigns:\n{campaigns}"
        f"quotas:\n  solutionsPerDatasetGroup: {n}\n  campaignsPerDatasetGroup: {n}\n"
    )
    path = folder / "large.yaml"
    path.write_text(text)
    return path
