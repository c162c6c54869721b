"""Avro schemas the local-target tests create (JSON text, as CreateSchema takes it).

``record(name, fields)`` builds one in the service's form (reference §5: a record in the
``com.amazonaws.personalize.schema`` namespace, version 1.0); the constants are the ones
several test modules share.
"""

from __future__ import annotations

import json

USER_ID = {"name": "USER_ID", "type": "string"}
ITEM_ID = {"name": "ITEM_ID", "type": "string"}
TIMESTAMP = {"name": "TIMESTAMP", "type": "long"}
GENRE = {"name": "GENRE", "type": "string", "categorical": True}


def record_dict(name: str, fields: list[dict]) -> dict:
    """The schema of dataset type ``name`` (``Interactions``, ``Items``...) as a dict."""
    return {
        "type": "record",
        "name": name,
        "namespace": "com.amazonaws.personalize.schema",
        "fields": fields,
        "version": "1.0",
    }


def record(name: str, fields: list[dict]) -> str:
    """:func:`record_dict` as the JSON text CreateSchema takes."""
    return json.dumps(record_dict(name, fields))


INTERACTIONS = record("Interactions", [USER_ID, ITEM_ID, TIMESTAMP])
"""The smallest Interactions schema: USER_ID, ITEM_ID, TIMESTAMP."""
ITEMS = record("Items", [ITEM_ID, GENRE])
ITEMS_V2 = record("Items", [ITEM_ID, GENRE, {"name": "PRICE", "type": ["null", "float"]}])
"""ITEMS plus a nullable field: a compatible change."""
ITEMS_BAD_V2 = record("Items", [ITEM_ID, GENRE, {"name": "PRICE", "type": "float"}])
"""ITEMS plus a required field: an incompatible change."""
