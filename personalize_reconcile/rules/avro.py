"""Avro schema rules for Personalize datasets (reference §4).

Three entry points:

* :func:`schema_problems` checks a parsed Avro schema (the JSON document, as ``dict``)
  generally (what CreateSchema checks) and, given a dataset type, against that type's
  required and reserved fields, attribute rules and field-count limits (what CreateDataset
  checks), plus a domain's extra fields when a domain is given.
* :func:`parse_fields` turns a valid schema into :class:`Field` values, used by the CSV
  import of the local target.
* :func:`schema_change_problems` says why a dataset cannot switch from one schema's fields
  to another's (UpdateDataset), used by the planner.

Problem paths point into the schema document (``("fields", 2, "type")``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from personalize_reconcile.rules.problems import Problem, a_or_an, shown

PRIMITIVES = ("string", "int", "long", "float", "double", "boolean")
"""Field types Personalize accepts, besides ``null`` in a union (reference §4)."""

DATASET_TYPES = ("Interactions", "Items", "Users", "Actions", "Action_Interactions")
"""Dataset types as the API spells them (CreateDataset ``datasetType``, case-insensitive)."""

CUSTOM_DOMAIN = "CUSTOM"
"""``datasetGroup.domain`` for a custom dataset group, the console's word for it; the API
has no such value: a custom group is one created without a domain (reference §2)."""

_AVRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Field:
    """One column of a dataset schema.

    Attributes:
        name: the field name (also the CSV header name).
        type: the non-null primitive type (``string``, ``int``, ``long``, ``float``,
            ``double`` or ``boolean``); ``null`` only for a field typed ``"null"`` alone.
        nullable: whether ``null`` is allowed (a union with ``"null"``).
        categorical: ``"categorical": true`` (multi-value with ``|``).
        textual: ``"textual": true`` (Items only).
        item_name: ``"itemName": true`` (Items only).
    """

    name: str
    type: str
    nullable: bool
    categorical: bool = False
    textual: bool = False
    item_name: bool = False


# Exact type sets per dataset type: name -> (allowed types, categorical rule).
# A type is written as the set of primitive names in its union, "null" included.
_S = frozenset({"string"})
_L = frozenset({"long"})
_SN = frozenset({"string", "null"})
_LN = frozenset({"long", "null"})
_FN = frozenset({"float", "null"})

# (required fields, reserved optional fields, max metadata fields, needs >= 1 metadata)
_TYPE_RULES: dict[str, tuple[dict, dict, int, bool]] = {
    "Interactions": (
        {"USER_ID": (_S,), "ITEM_ID": (_S,), "TIMESTAMP": (_L,)},
        {
            "EVENT_TYPE": (_S,),
            "EVENT_VALUE": (frozenset({"float"}), _FN),
            "IMPRESSION": (_S, _SN),
            "RECOMMENDATION_ID": (_S, _SN),
            "EVENT_ATTRIBUTION_SOURCE": (_S, _SN),
        },
        5,
        False,
    ),
    "Users": ({"USER_ID": (_S,)}, {}, 25, True),
    "Items": ({"ITEM_ID": (_S,)}, {"CREATION_TIMESTAMP": (_L,)}, 100, True),
    "Actions": (
        {"ACTION_ID": (_S,)},
        {
            "CREATION_TIMESTAMP": (_L,),
            "VALUE": (_L, _LN),
            "TYPE": (_S, _SN),
            "EXPIRATION_TIMESTAMP": (_L, _LN),
            "REPEAT_FREQUENCY": (_L, _LN),
        },
        10,
        True,
    ),
    "Action_Interactions": (
        {"USER_ID": (_S,), "ACTION_ID": (_S,), "EVENT_TYPE": (_S,), "TIMESTAMP": (_L,)},
        {"IMPRESSION": (_S, _SN), "RECOMMENDATION_ID": (_S, _SN)},
        5,
        False,
    ),
}

# Reserved fields that are plain strings and so must not be categorical (reference §4).
_PLAIN_STRING_RESERVED = {
    "EVENT_TYPE",
    "IMPRESSION",
    "RECOMMENDATION_ID",
    "EVENT_ATTRIBUTION_SOURCE",
    "USER_ID",
    "ITEM_ID",
    "ACTION_ID",
}

# Domain additions (reference §4, "Domain dataset groups").
_DOMAIN_REQUIRED: dict[tuple[str, str], dict[str, tuple[frozenset, ...]]] = {
    ("ECOMMERCE", "Interactions"): {"EVENT_TYPE": (_S,)},
    ("ECOMMERCE", "Items"): {"PRICE": (frozenset({"float"}),), "CATEGORY_L1": (_S, _SN)},
    ("VIDEO_ON_DEMAND", "Interactions"): {"EVENT_TYPE": (_S,)},
    ("VIDEO_ON_DEMAND", "Items"): {"CREATION_TIMESTAMP": (_L,), "GENRES": (_S, _SN)},
}
_DOMAIN_CATEGORICAL = {
    "CATEGORY_L1",
    "CATEGORY_L2",
    "CATEGORY_L3",
    "GENRES",
    "GENRE_L2",
    "GENRE_L3",
}


def api_domain(domain: str | None) -> str | None:
    """The ``domain`` CreateDatasetGroup and CreateSchema take for a manifest's
    ``datasetGroup.domain``: ``None`` (no domain) for a custom group, whether written
    ``CUSTOM`` or left out; ``ECOMMERCE`` and ``VIDEO_ON_DEMAND`` unchanged (reference §2,
    §4)."""
    return None if domain == CUSTOM_DOMAIN else domain


def canonical_dataset_type(dataset_type: str) -> str | None:
    """Return the API spelling of a dataset type given in any case, or ``None`` if unknown."""
    for t in DATASET_TYPES:
        if t.lower() == dataset_type.lower():
            return t
    return None


def _type_set(avro_type: Any) -> frozenset[str] | None:
    if isinstance(avro_type, str):
        return frozenset({avro_type})
    if isinstance(avro_type, list) and all(isinstance(t, str) for t in avro_type):
        return frozenset(avro_type)
    return None


def _show(types: frozenset[str]) -> str:
    if len(types) == 1:
        return f'"{next(iter(types))}"'
    ordered = sorted(types, key=lambda t: (t != "null", t))
    return "[" + ", ".join(f'"{t}"' for t in ordered) + "]"


def schema_problems(
    schema: Any, dataset_type: str | None = None, domain: str | None = None
) -> list[Problem]:
    """Check an Avro schema for Personalize.

    Args:
        schema: the parsed schema document.
        dataset_type: ``Interactions``, ``Items``, ``Users``, ``Actions`` or
            ``Action_Interactions`` (any case) to check that type's field rules too, or
            ``None`` for only the general rules.
        domain: ``ECOMMERCE`` or ``VIDEO_ON_DEMAND`` for a domain dataset group.

    Returns:
        Every problem found (empty when valid), each with a path into ``schema`` and a
        fix hint.
    """
    out: list[Problem] = []
    if not isinstance(schema, dict):
        return [
            Problem(
                (),
                "an Avro schema must be a JSON object (a record)",
                'start from {"type": "record", "name": "Interactions", '
                '"namespace": "com.amazonaws.personalize.schema", "fields": [...]}',
            )
        ]
    if schema.get("type") != "record":
        out.append(
            Problem(
                ("type",),
                f'the schema type must be "record", not {shown(schema.get("type"))}',
                'set "type": "record"',
            )
        )
    if not isinstance(schema.get("name"), str) or not _AVRO_NAME.fullmatch(schema["name"]):
        out.append(
            Problem(
                ("name",),
                "the record needs a name made of letters, digits and '_'",
                'for example "name": "Interactions"',
            )
        )
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        out.append(
            Problem(
                ("fields",),
                "the record needs a non-empty list of fields",
                'add "fields": [{"name": "USER_ID", "type": "string"}, ...]',
            )
        )
        return out
    seen: dict[str, int] = {}
    squashed: dict[str, str] = {}
    good: list[tuple[int, dict, frozenset[str]]] = []
    textual = 0
    for i, f in enumerate(fields):
        at = ("fields", i)
        if not isinstance(f, dict):
            out.append(Problem(at, "each field must be an object with a name and a type"))
            continue
        name = f.get("name")
        if not isinstance(name, str) or not _AVRO_NAME.fullmatch(name):
            out.append(
                Problem(
                    at + ("name",),
                    f"field name {shown(name)} is not a valid Avro name",
                    "use letters, digits and '_', not starting with a digit",
                )
            )
            continue
        if name in seen:
            out.append(
                Problem(
                    at + ("name",),
                    f"field {shown(name)} is defined twice (first at fields[{seen[name]}])",
                    "remove one of them",
                )
            )
            continue
        seen[name] = i
        key = name.replace("_", "").upper()
        if key in squashed:
            out.append(
                Problem(
                    at + ("name",),
                    f"field {shown(name)} collides with {shown(squashed[key])} once separators "
                    "are removed",
                    "rename one of them",
                )
            )
        squashed.setdefault(key, name)
        types = _type_set(f.get("type"))
        if "type" not in f:
            out.append(
                Problem(
                    at,
                    f"field {shown(name)} has no type",
                    'add "type": "string" or another primitive type',
                )
            )
            continue
        if types is None:
            out.append(
                Problem(
                    at + ("type",),
                    f"field {shown(name)} uses a nested or complex type",
                    "Personalize allows only string, int, long, float, double, "
                    'boolean and null, or a union such as ["null", "string"]',
                )
            )
            continue
        unknown = sorted(types - set(PRIMITIVES) - {"null"})
        if unknown:
            out.append(
                Problem(
                    at + ("type",),
                    f"field {shown(name)} has type {shown(unknown[0])}, which Personalize does "
                    "not accept",
                    "use string, int, long, float, double or boolean (arrays, maps, "
                    "records and enums are not allowed)",
                )
            )
            continue
        if len(types - {"null"}) > 1:
            out.append(
                Problem(
                    at + ("type",),
                    f"field {shown(name)} mixes several types {_show(types)}",
                    "a union may only add null to one type",
                )
            )
            continue
        for attr in ("categorical", "textual", "itemName"):
            if attr in f and not isinstance(f[attr], bool):
                out.append(Problem(at + (attr,), f'"{attr}" must be true or false'))
            elif f.get(attr) is True and "string" not in types:
                out.append(
                    Problem(
                        at + (attr,),
                        f'"{attr}" is only allowed on string fields',
                        f'remove "{attr}" or make {shown(name)} a string',
                    )
                )
        if f.get("categorical") is True and f.get("textual") is True:
            out.append(
                Problem(
                    at,
                    f"field {shown(name)} cannot be both categorical and textual",
                    "keep one of the two",
                )
            )
        if f.get("textual") is True:
            textual += 1
        good.append((i, f, types))
    if dataset_type is not None:
        dtype = canonical_dataset_type(dataset_type)
        if dtype is None:
            out.append(
                Problem(
                    (),
                    f"unknown dataset type {shown(dataset_type)}",
                    "use one of " + ", ".join(DATASET_TYPES),
                )
            )
        else:
            out.extend(_type_problems(good, dtype, domain, textual, frozenset(seen)))
    return out


def _type_problems(
    good: list[tuple[int, dict, frozenset[str]]],
    dtype: str,
    domain: str | None,
    textual: int,
    named: frozenset[str] = frozenset(),
) -> list[Problem]:
    """The dataset type's rules over the fields that passed the field checks (``good``).
    A required field that is there (``named``) but failed those checks was reported
    already, so it is not also called missing."""
    out: list[Problem] = []
    required, reserved, max_meta, needs_meta = _TYPE_RULES[dtype]
    required = dict(required)
    if domain:
        required.update(_DOMAIN_REQUIRED.get((domain, dtype), {}))
    by_name = {f["name"]: (i, f, types) for i, f, types in good}
    for name, allowed in required.items():
        if name not in by_name and name not in named:
            out.append(
                Problem(
                    ("fields",),
                    f"{a_or_an(dtype)} schema needs the field {shown(name)}"
                    + (
                        f" for the {domain} domain"
                        if domain and name not in _TYPE_RULES[dtype][0]
                        else ""
                    ),
                    f'add {{"name": "{name}", "type": {_show(allowed[0])}}}',
                )
            )
    metadata = 0
    for name, (i, f, types) in by_name.items():
        at = ("fields", i)
        allowed = required.get(name) or reserved.get(name)
        if allowed is not None:
            if types not in allowed:
                want = " or ".join(_show(a) for a in allowed)
                out.append(
                    Problem(
                        at + ("type",),
                        f"reserved field {shown(name)} must have type {want}, not {_show(types)}",
                        f'set "type": {_show(allowed[0])}',
                    )
                )
            if name in _PLAIN_STRING_RESERVED and f.get("categorical") is True:
                out.append(
                    Problem(
                        at + ("categorical",),
                        f"reserved field {shown(name)} must not be categorical",
                        'remove "categorical": true',
                    )
                )
        if name in _DOMAIN_CATEGORICAL and domain and f.get("categorical") is not True:
            out.append(
                Problem(
                    at,
                    f"{shown(name)} must be categorical in a {domain} schema",
                    'add "categorical": true',
                )
            )
        if dtype != "Items":
            for attr in ("textual", "itemName"):
                if f.get(attr) is True:
                    out.append(
                        Problem(
                            at + (attr,),
                            f'"{attr}" fields are only allowed in Items schemas, not {dtype}',
                            f'remove "{attr}": true',
                        )
                    )
        if name not in required and name not in reserved:
            metadata += 1
    if dtype == "Items" and textual > 1:
        out.append(
            Problem(
                ("fields",),
                f"an Items schema may have at most 1 textual field, this one has {textual}",
                'keep "textual": true on one field',
            )
        )
    if dtype in ("Users", "Items", "Actions"):
        metadata = sum(1 for n in by_name if n not in required)
    if needs_meta and metadata == 0 and not any(p.path == ("fields",) for p in out):
        out.append(
            Problem(
                ("fields",),
                f"{a_or_an(dtype)} schema needs at least one metadata field "
                f"besides {', '.join(_TYPE_RULES[dtype][0])}",
                'add a field such as {"name": "CATEGORY", "type": "string", "categorical": true}',
            )
        )
    if metadata > max_meta:
        out.append(
            Problem(
                ("fields",),
                f"{a_or_an(dtype)} schema may have at most {max_meta} metadata "
                f"fields, this one has {metadata}",
                "remove some fields",
            )
        )
    return out


def parse_fields(schema: dict) -> list[Field]:
    """Return the fields of a schema that :func:`schema_problems` accepts, in order.

    Raises:
        ValueError: the schema is not a record with primitive-typed fields.
    """
    problems = schema_problems(schema)
    if problems:
        raise ValueError(f"invalid schema: {problems[0].message}")
    out = []
    for f in schema["fields"]:
        types = _type_set(f["type"]) or frozenset()
        non_null = sorted(types - {"null"})
        out.append(
            Field(
                name=f["name"],
                type=non_null[0] if non_null else "null",
                nullable="null" in types,
                categorical=f.get("categorical") is True,
                textual=f.get("textual") is True,
                item_name=f.get("itemName") is True,
            )
        )
    return out


UPDATABLE_TYPES = ("Items", "Users")
"""Dataset types whose schema UpdateDataset can swap for another (reference §4)."""

_ATTRIBUTES = (("categorical", "categorical"), ("textual", "textual"), ("item_name", "itemName"))


def _avro_type(f: Field) -> str:
    return f'["null", "{f.type}"]' if f.nullable and f.type != "null" else f'"{f.type}"'


def schema_change_rule(dataset_type: str) -> str:
    """The rule a dataset's new schema must follow, as the end of a problem sentence:
    ``an Items schema may only gain nullable fields, every existing field unchanged`` for
    Items and Users, ``an Interactions schema cannot change once its dataset exists`` for
    the other types (reference §4, UpdateDataset). ``dataset_type`` is in API spelling."""
    if dataset_type in UPDATABLE_TYPES:
        return (
            f"{a_or_an(dataset_type)} schema may only gain nullable fields, "
            "every existing field unchanged"
        )
    return f"{a_or_an(dataset_type)} schema cannot change once its dataset exists"


def schema_change_problems(
    old_fields: list[Field], new_fields: list[Field], dataset_type: str
) -> list[str]:
    """Why a dataset whose schema has ``old_fields`` cannot switch to ``new_fields``.

    Reference §4 (UpdateDataset): only Items and Users datasets take a new schema, which
    must keep every existing field with the same type and attributes and may only add
    fields that allow null. For the other dataset types every difference in the fields
    (order included) is a problem.

    Args:
        old_fields: the fields of the schema the dataset has (from :func:`parse_fields`).
        new_fields: the fields of the schema it should have.
        dataset_type: ``Interactions``, ``Items``, ``Users``, ``Actions`` or
            ``Action_Interactions`` (API spelling, see :func:`canonical_dataset_type`).

    Returns:
        One sentence per problem, each naming the field, what changed and the rule (see
        :func:`schema_change_rule`), for example ``field CATEGORY: categorical changed from
        true to false; an Items schema may only gain nullable fields, every existing field
        unchanged``; empty when the change is allowed. Changes outside the fields (the
        record's name or namespace) are not seen here.
    """
    rule = schema_change_rule(dataset_type)
    updatable = dataset_type in UPDATABLE_TYPES
    old = {f.name: f for f in old_fields}
    new = {f.name: f for f in new_fields}
    out: list[str] = []
    for name, f in old.items():
        g = new.get(name)
        if g is None:
            out.append(f"field {name}: removed; {rule}")
            continue
        if (f.type, f.nullable) != (g.type, g.nullable):
            out.append(
                f"field {name}: type changed from {_avro_type(f)} to {_avro_type(g)}; {rule}"
            )
        for attr, key in _ATTRIBUTES:
            before, after = getattr(f, attr), getattr(g, attr)
            if before != after:
                out.append(
                    f"field {name}: {key} changed from {str(before).lower()} to "
                    f"{str(after).lower()}; {rule}"
                )
    for name, g in new.items():
        if name in old:
            continue
        if not updatable:
            out.append(f"field {name}: added; {rule}")
        elif not g.nullable:
            out.append(f"field {name}: added with type {_avro_type(g)}, without null; {rule}")
    if not out and not updatable and [f.name for f in old_fields] != [f.name for f in new_fields]:
        out.append(f"the fields changed order; {rule}")
    return out
