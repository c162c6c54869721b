"""Schema changes are decided at plan time (reference §4, UpdateDataset).

An Items or Users dataset may switch to a schema that only adds nullable fields, every
existing field unchanged: a new schema and an UpdateDataset. Every other change to the
schema of a dataset that exists is refused by ``plan`` and by ``apply``, naming the field
and the rule, before anything is written.
"""

from __future__ import annotations

from edits import replaced
from engine_helpers import actions, plan_json

from personalize_reconcile.backends.local import local_client
from personalize_reconcile.rules.avro import Field, schema_change_problems

ITEMS_RULE = "an Items schema may only gain nullable fields, every existing field unchanged"
INTERACTIONS_RULE = "an Interactions schema cannot change once its dataset exists"
HINT = (
    "Keep the schema compatible, or, to start the dataset over with the new schema and lose "
    "its imported data, give the dataset a new name and apply with --allow-replace (or "
    "destroy it first).\n"
)


def _error(*problems: str) -> str:
    return (
        "Error: the manifest changes the schema of a dataset that exists in a way the "
        "service does not allow; nothing was changed:\n"
        + "".join(f"  {p}\n" for p in problems)
        + HINT
    )


def _items_schema(name: str, fields: str) -> str:
    return (
        f"  {name}:\n    definition:\n      type: record\n      name: Items\n"
        "      namespace: com.amazonaws.personalize.schema\n      fields:\n"
        "        - {name: ITEM_ID, type: string}\n" + fields
    )


FIELDS = (
    "        - {name: CATEGORY, type: string, categorical: true}\n"
    "        - {name: BRAND, type: string, categorical: true}\n"
    "        - {name: PRICE, type: ['null', float]}\n"
)


def _with_items(text: str, schemas: str, dataset_schema: str = "segment-workshop-items") -> str:
    text = replaced(text, "schemas:\n", "schemas:\n" + schemas)
    return replaced(text, "datasets:\n", f"datasets:\n  Items:\n    schema: {dataset_schema}\n")


def _schema_names(state) -> list[str]:
    client = local_client("personalize", state_dir=state)
    return sorted(s["name"] for s in client.list_schemas()["schemas"])


def _refused(pc, state, expected: str) -> None:
    """plan, plan --json and apply all exit 1 with ``expected`` on stderr, and write
    nothing."""
    before = _schema_names(state)
    for args in (("plan",), ("plan", "--json"), ("apply", "--auto-approve", "--allow-replace")):
        result = pc(*args)
        assert result.code == 1, result.out + result.err
        assert result.out == ""
        assert result.err == expected
    assert _schema_names(state) == before


def test_incompatible_items_change_is_refused_naming_each_field_and_the_rule(pc, workshop, state):
    text = _with_items(workshop.read_text(), _items_schema("segment-workshop-items", FIELDS))
    workshop.write_text(text)
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(
        replaced(
            text,
            FIELDS,
            "        - {name: CATEGORY, type: string}\n"
            "        - {name: PRICE, type: float}\n"
            "        - {name: SIZE, type: string}\n",
        )
    )
    _refused(
        pc,
        state,
        _error(
            f"schema segment-workshop-items: field CATEGORY: categorical changed from true to "
            f"false; {ITEMS_RULE}",
            f"schema segment-workshop-items: field BRAND: removed; {ITEMS_RULE}",
            'schema segment-workshop-items: field PRICE: type changed from ["null", "float"] '
            f'to "float"; {ITEMS_RULE}',
            'schema segment-workshop-items: field SIZE: added with type "string", without '
            f"null; {ITEMS_RULE}",
        ),
    )


def test_switching_an_items_dataset_to_an_incompatible_schema_leaves_no_orphan(pc, workshop, state):
    text = _with_items(workshop.read_text(), _items_schema("segment-workshop-items", FIELDS))
    workshop.write_text(text)
    assert pc("apply", "--auto-approve").code == 0
    other = _items_schema("other-items", "        - {name: GENRE, type: string}\n")
    moved = replaced(text, "schemas:\n", "schemas:\n" + other)
    moved = replaced(moved, "    schema: segment-workshop-items\n", "    schema: other-items\n")
    workshop.write_text(moved)
    _refused(
        pc,
        state,
        _error(
            *(
                f"schema other-items: field {name}: removed; {ITEMS_RULE}"
                for name in ("CATEGORY", "BRAND", "PRICE")
            ),
            f'schema other-items: field GENRE: added with type "string", without null; '
            f"{ITEMS_RULE}",
        ),
    )
    assert "other-items" not in _schema_names(state)


def test_any_interactions_schema_change_is_refused(pc, workshop, state):
    assert pc("apply", "--auto-approve").code == 0
    avsc = workshop.parent / "schemas" / "interactions.avsc"
    avsc.write_text(
        replaced(
            avsc.read_text(),
            '    {"name": "TIMESTAMP", "type": "long"}\n',
            '    {"name": "TIMESTAMP", "type": "long"},\n'
            '    {"name": "DEVICE", "type": ["null", "string"], "categorical": true}\n',
        )
    )
    _refused(
        pc,
        state,
        _error(f"schema segment-workshop-interactions: field DEVICE: added; {INTERACTIONS_RULE}"),
    )
    destroyed = pc("destroy", "--auto-approve")  # what the hint offers: start over
    assert destroyed.code == 0, destroyed.err
    # the data has no DEVICE column yet: plan says so before anything is created
    planned = pc("plan", "--detailed-exitcode")
    assert (planned.code, planned.out) == (1, "")
    assert planned.err == (
        "Error: the data to import would fail its import; nothing was changed:\n"
        "  import.segment-workshop-interactions: Input CSV data/interactions.csv, line 1, "
        "column DEVICE: the header is missing this column; the header must be "
        "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP,DEVICE\n"
        "  Fix the file (uploadFrom) and plan again.\n"
    )
    data = workshop.parent / "data" / "interactions.csv"
    rows = data.read_text().splitlines()
    data.write_text("\n".join([rows[0] + ",DEVICE"] + [r + ",phone" for r in rows[1:]]) + "\n")
    planned = pc("plan", "--detailed-exitcode")
    assert planned.code == 2, planned.err
    assert "Plan: 7 to create, 0 to update, 0 to replace, 0 to delete." in planned.out


def test_compatible_change_refused_when_the_new_schema_name_would_be_too_long(pc, workshop, state):
    name = "items-" + "x" * 50
    text = _with_items(workshop.read_text(), _items_schema(name, FIELDS), dataset_schema=name)
    workshop.write_text(text)
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(
        replaced(text, FIELDS, FIELDS + "        - {name: SIZE, type: ['null', string]}\n")
    )
    _refused(
        pc,
        state,
        _error(
            f"schema {name}: the new schema would be named {name}-<8 hex>, longer than 63 "
            "characters; use a schema name of at most 54 characters"
        ),
    )


def test_a_renamed_dataset_starts_over_with_the_new_schema(pc, workshop, state):
    assert pc("apply", "--auto-approve").code == 0
    avsc = workshop.parent / "schemas" / "interactions.avsc"
    avsc.write_text(replaced(avsc.read_text(), '"name": "EVENT_TYPE", ', '"name": "EVENT_KIND", '))
    data = workshop.parent / "data" / "interactions.csv"
    data.write_text(replaced(data.read_text(), ",EVENT_TYPE,", ",EVENT_KIND,"))
    assert pc("plan").code == 1
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "    schema: segment-workshop-interactions\n",
            "    name: segment-workshop-interactions-v2\n"
            "    schema: segment-workshop-interactions\n",
        )
    )
    doc = plan_json(pc)
    assert actions(doc)["schema.segment-workshop-interactions"] == "replace"
    assert actions(doc)["dataset.Interactions"] == "replace"
    # the service deletes no dataset while a campaign of the group is active (reference §3)
    campaign = next(c for c in doc["resource_changes"] if c["type"] == "campaign")
    assert campaign["reason"] == (
        "replaced with dataset.Interactions; the campaign answers no requests from its "
        "deletion until its replacement is ACTIVE (to keep serving, make the change in a new "
        "dataset group)"
    )


def test_compatible_change_through_a_new_schema_name_four_runs(pc, workshop, state):
    text = _with_items(workshop.read_text(), _items_schema("segment-workshop-items", FIELDS))
    workshop.write_text(text)
    assert pc("apply", "--auto-approve").code == 0
    grown = _items_schema("items-v2", FIELDS + "        - {name: SIZE, type: ['null', string]}\n")
    moved = replaced(text, "schemas:\n", "schemas:\n" + grown)
    moved = replaced(moved, "    schema: segment-workshop-items\n", "    schema: items-v2\n")
    workshop.write_text(moved)
    planned = pc("plan", "--detailed-exitcode")
    assert planned.code == 2, planned.out + planned.err
    assert "Plan: 1 to create, 1 to update, 0 to replace, 0 to delete." in planned.out
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.err
    assert "Apply complete: 1 created, 1 updated, 0 replaced, 0 deleted." in applied.out
    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    noop = pc("apply", "--auto-approve")
    assert noop.code == 0, noop.err
    assert noop.out.startswith("No changes.")
    client = local_client("personalize", state_dir=state)
    items = "arn:aws:personalize:us-east-1:000000000000:dataset/segment-workshop/ITEMS"
    schema = client.describe_dataset(datasetArn=items)["dataset"]["schemaArn"]
    assert schema.endswith("/items-v2")


def _field(name: str, type_: str = "string", nullable: bool = False, **attrs: bool) -> Field:
    return Field(name, type_, nullable, **attrs)


def test_schema_change_problems_rules():
    old = [_field("ITEM_ID"), _field("GENRE", categorical=True)]
    assert schema_change_problems(old, old + [_field("SIZE", nullable=True)], "Users") == []
    assert schema_change_problems(old, list(reversed(old)), "Items") == []
    assert schema_change_problems(old, [old[0], _field("GENRE", textual=True)], "Items") == [
        f"field GENRE: categorical changed from true to false; {ITEMS_RULE}",
        f"field GENRE: textual changed from false to true; {ITEMS_RULE}",
    ]
    assert schema_change_problems(old, [old[0], _field("GENRE", "int")], "Items") == [
        f'field GENRE: type changed from "string" to "int"; {ITEMS_RULE}',
        f"field GENRE: categorical changed from true to false; {ITEMS_RULE}",
    ]
    assert schema_change_problems(old, list(reversed(old)), "Interactions") == [
        f"the fields changed order; {INTERACTIONS_RULE}"
    ]
    assert schema_change_problems(old, old[:1], "Action_Interactions") == [
        "field GENRE: removed; an Action_Interactions schema cannot change once its dataset exists"
    ]
