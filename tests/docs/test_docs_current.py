"""docs/manifest-reference.md is generated from the manifest's JSON Schema and must not drift.

Regenerate it with ``python docs/gen_reference.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from personalize_reconcile.manifest import json_schema

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_manifest_reference_is_current():
    committed = (DOCS / "manifest-reference.md").read_text(encoding="utf-8")
    assert committed == _generator().render(), (
        "docs/manifest-reference.md is stale: run `python docs/gen_reference.py` and commit it"
    )


def test_reference_lists_every_section_and_field():
    text = _generator().render()
    schema = json_schema()
    for name, definition in schema["$defs"].items():
        assert f"\n## {name}\n" in text, name
        for field in definition.get("properties", {}):
            assert f"| `{field}` |" in text, f"{name}.{field}"
    for field in schema["properties"]:
        assert f"| `{field}` |" in text, field


def test_render_follows_the_schema():
    schema = json_schema()
    schema["$defs"]["Campaign"]["properties"]["newField"] = {
        "type": "string",
        "description": "A field added to the models.",
    }
    text = _generator().render(schema)
    assert "| `newField` | string | no |  | A field added to the models. |" in text
    assert text != (DOCS / "manifest-reference.md").read_text(encoding="utf-8")
