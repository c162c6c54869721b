"""Fuzzing ``preconcile validate`` with mutated manifests and schema files (hypothesis).

Each example starts from the valid shop manifest and schema, applies a few structural
mutations (drop, duplicate or retype a key, put a random or YAML-hostile scalar anywhere),
writes the files, then maybe damages the bytes (truncation, random bytes, YAML syntax
spliced in). Whatever comes out, ``validate`` must exit 0 or 1, never print a traceback or
an "unexpected" error, and never change the files it read. Bounded to a few seconds.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from io import StringIO

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from shop_files import AVSC, BASE, write_shop

HOSTILE = [
    "${",
    "$${x}",
    "${x",
    "${}",
    "${env:}",
    "*a",
    "&a",
    "<<",
    "!!omap",
    "!!python/object:os.system",
    "? ",
    "- ",
    ": ",
    "{",
    "[",
    "\t",
    "\x00",
    "\x01",
    "\ufeff",
    "%YAML 1.1",
    "---",
    "...",
    "a: &x [*x]",
    "<<: *a",
]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(HOSTILE),
    st.builds(lambda c, n: c * n, st.sampled_from("x${-"), st.integers(0, 400)),
    # integers no float can hold (a range check that formats them as floats overflows)
    st.builds(lambda n, sign: sign * 10**n, st.integers(309, 400), st.sampled_from([1, -1])),
)

EXTRAS = {
    # blocks the shop manifest lacks, so that mutations reach their checks too
    "rollout": {"minimums": {"precision_at_25": 0.1}, "maxRegression": {"coverage": 0.05}},
    "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.3"}},
}


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


def _parent(doc, path):
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _mutate(data, doc):
    """Apply one structural mutation to ``doc`` in place (the root is never replaced)."""
    paths = [p for p in _paths(doc) if p]
    path = data.draw(st.sampled_from(paths))
    parent, last = _parent(doc, path), path[-1]
    kind = data.draw(st.sampled_from(["drop", "duplicate", "retype", "scalar", "nest"]))
    if kind == "drop":
        del parent[last]
    elif kind == "duplicate" and isinstance(parent, dict):
        parent[data.draw(st.text(min_size=1, max_size=12))] = copy.deepcopy(parent[last])
    elif kind == "duplicate":
        parent.append(copy.deepcopy(parent[last]))
    elif kind == "retype":
        value = parent[last]
        parent[last] = [value] if not isinstance(value, list) else {"k": value} if value else "text"
    elif kind == "nest":
        parent[last] = {data.draw(st.sampled_from(["name", "file", "<<", "tags"])): parent[last]}
    else:
        parent[last] = data.draw(SCALARS)


def _damage(data, raw: bytes) -> bytes:
    """Maybe damage the bytes of a file: truncate, splice random bytes or YAML syntax."""
    kind = data.draw(st.sampled_from(["none", "none", "truncate", "bytes", "syntax"]))
    if kind == "none" or not raw:
        return raw
    at = data.draw(st.integers(0, len(raw)))
    if kind == "truncate":
        return raw[:at]
    if kind == "bytes":
        return raw[:at] + data.draw(st.binary(min_size=1, max_size=16)) + raw[at:]
    return raw[:at] + data.draw(st.sampled_from(HOSTILE)).encode() + raw[at:]


def _dump(doc) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    out = StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


@settings(
    max_examples=120,
    # a bound against hangs, with margin for a loaded machine (a fast run takes ~30 ms)
    deadline=timedelta(seconds=60),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_validate_survives_mutations(data, tmp_path, cli):
    yaml = YAML(typ="safe", pure=True)
    manifest, schema = yaml.load(BASE), json.loads(AVSC)
    for key, block in EXTRAS.items():
        if data.draw(st.booleans()):
            manifest["campaigns"]["shop-campaign"][key] = copy.deepcopy(block)
    for _ in range(data.draw(st.integers(0, 3))):
        _mutate(data, manifest)
    for _ in range(data.draw(st.integers(0, 2))):
        _mutate(data, schema)
    write_shop(tmp_path)
    try:
        manifest_text, schema_text = _dump(manifest), json.dumps(schema, indent=2)
    except (ValueError, TypeError):  # a value a dumper cannot write: keep the originals
        manifest_text, schema_text = BASE, AVSC
    files = {
        tmp_path / "shop.yaml": _damage(data, manifest_text.encode("utf-8", "surrogatepass")),
        tmp_path / "interactions.avsc": _damage(data, schema_text.encode("utf-8", "surrogatepass")),
    }
    for path, raw in files.items():
        path.write_bytes(raw)

    result = cli("validate", "shop.yaml", cwd=tmp_path)

    assert result.code in (0, 1), result
    assert "Traceback" not in result.err + result.out, result.err
    assert "Error: unexpected" not in result.err, result.err
    if result.code == 0:
        assert result.out.startswith("shop.yaml is valid: ")
    else:
        assert result.err.rstrip().endswith("found in shop.yaml.") or result.err.startswith(
            "Error: "
        ), result.err
    for path, raw in files.items():
        assert path.read_bytes() == raw, f"{path.name} changed"


NUMBER_PATHS = [
    ("campaigns", "shop-campaign", "minProvisionedTPS"),
    ("campaigns", "shop-campaign", "rollout", "minimums", "precision_at_25"),
    ("campaigns", "shop-campaign", "rollout", "maxRegression", "coverage"),
    ("campaigns", "shop-campaign", "campaignConfig", "itemExplorationConfig", "explorationWeight"),
    (
        "solutions",
        "shop-solution",
        "solutionConfig",
        "algorithmHyperParameters",
        "hidden_dimension",
    ),
    ("quotas", "campaignsPerDatasetGroup"),
    ("variables", "bucket"),
]


@settings(
    max_examples=80,
    deadline=timedelta(seconds=60),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_validate_survives_hostile_numbers_where_numbers_go(data, tmp_path, cli):
    """Every field that holds a number (or a number written as a string) gets NaN, infinity,
    integers past a float's range, booleans, text: validate still answers 0 or 1."""
    yaml = YAML(typ="safe", pure=True)
    manifest = yaml.load(BASE)
    for key, block in EXTRAS.items():
        manifest["campaigns"]["shop-campaign"][key] = copy.deepcopy(block)
    for path in data.draw(st.lists(st.sampled_from(NUMBER_PATHS), min_size=1, max_size=3)):
        value = data.draw(st.one_of(SCALARS, SCALARS.map(str)))
        node = manifest
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    write_shop(tmp_path)
    try:
        (tmp_path / "shop.yaml").write_text(
            _dump(manifest), encoding="utf-8", errors="surrogatepass"
        )
    except (ValueError, TypeError):
        return  # a value the dumper cannot write
    result = cli("validate", "shop.yaml", cwd=tmp_path)
    assert result.code in (0, 1), result
    assert "Traceback" not in result.err + result.out, result.err
    assert "Error: unexpected" not in result.err, result.err
