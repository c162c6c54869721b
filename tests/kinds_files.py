"""A manifest with Users, Items and Interactions datasets, two filters and an event
tracker, written next to a copy of the workshop example by the tests that use it.

``write_kinds(workshop)`` writes ``kinds.yaml``, the Users and Items schemas and their
CSV files (one row per user and per item of the workshop's interactions, generated here)
into the folder of ``workshop.yaml``; it returns the manifest's path.
"""

from __future__ import annotations

import csv
from pathlib import Path

FILTER_PURCHASED = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Order Completed")'
FILTER_CATEGORY = "INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)"

MANIFEST = f"""version: 1
name: kinds-shop

variables:
  bucket: personalize-data-000000000000
  role: arn:aws:iam::000000000000:role/service-role/PersonalizeExecutionRole

datasetGroup:
  name: kinds-shop

schemas:
  kinds-shop-interactions:
    file: schemas/interactions.avsc
  kinds-shop-users:
    file: schemas/users.avsc
  kinds-shop-items:
    file: schemas/items.avsc

datasets:
  Interactions:
    schema: kinds-shop-interactions
    imports:
      - name: kinds-shop-interactions
        dataLocation: s3://${{bucket}}/kinds/interactions.csv
        uploadFrom: data/interactions.csv
        roleArn: ${{role}}
  Users:
    schema: kinds-shop-users
    imports:
      - name: kinds-shop-users
        dataLocation: s3://${{bucket}}/kinds/users.csv
        uploadFrom: data/users.csv
        roleArn: ${{role}}
  Items:
    schema: kinds-shop-items
    imports:
      - name: kinds-shop-items
        dataLocation: s3://${{bucket}}/kinds/items.csv
        uploadFrom: data/items.csv
        roleArn: ${{role}}

solutions:
  kinds-shop-solution:
    recipe: aws-user-personalization-v2

campaigns:
  kinds-shop-campaign:
    solution: kinds-shop-solution

filters:
  kinds-shop-not-purchased:
    expression: '{FILTER_PURCHASED}'
  kinds-shop-category:
    expression: {FILTER_CATEGORY}
    tags: {{team: web}}

eventTracker:
  name: kinds-shop-events
"""

USERS_AVSC = """{
  "type": "record",
  "name": "Users",
  "namespace": "com.amazonaws.personalize.schema",
  "fields": [
    {"name": "USER_ID", "type": "string"},
    {"name": "MEMBERSHIP", "type": "string", "categorical": true}
  ],
  "version": "1.0"
}
"""

ITEMS_AVSC = """{
  "type": "record",
  "name": "Items",
  "namespace": "com.amazonaws.personalize.schema",
  "fields": [
    {"name": "ITEM_ID", "type": "string"},
    {"name": "CATEGORY", "type": "string", "categorical": true},
    {"name": "PRICE", "type": "float"}
  ],
  "version": "1.0"
}
"""

MEMBERSHIPS = ("basic", "plus", "gold")
CATEGORIES = ("shirts", "coats", "shoes", "hats")


def write_kinds(workshop: Path) -> Path:
    """Write the manifest, schemas and Users/Items CSVs beside ``workshop``; return the
    manifest's path. Users and items are those of ``data/interactions.csv``."""
    folder = workshop.parent
    with (folder / "data" / "interactions.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    users = sorted({r["USER_ID"] for r in rows})
    items = sorted({r["ITEM_ID"] for r in rows})
    (folder / "schemas" / "users.avsc").write_text(USERS_AVSC)
    (folder / "schemas" / "items.avsc").write_text(ITEMS_AVSC)
    (folder / "data" / "users.csv").write_text(
        "USER_ID,MEMBERSHIP\n"
        + "".join(f"{u},{MEMBERSHIPS[i % len(MEMBERSHIPS)]}\n" for i, u in enumerate(users))
    )
    (folder / "data" / "items.csv").write_text(
        "ITEM_ID,CATEGORY,PRICE\n"
        + "".join(
            f"{item},{CATEGORIES[i % len(CATEGORIES)]},{10 + i}.5\n" for i, item in enumerate(items)
        )
    )
    path = folder / "kinds.yaml"
    path.write_text(MANIFEST)
    return path
