"""Rules that need more than one field, the service's catalogue or a file on disk.

One job: after the structural model check, find every remaining problem in a manifest —
names, uniqueness, references, schema files and their Avro rules, recipes, pass-through
blocks against botocore's shapes, each solution's hyperparameters against its recipe's
table, tags — and what the API would refuse later: every value
against the length and range of the model member it is sent as (a schema's JSON is at most
20,000 characters, ARNs 256, ``minProvisionedTPS`` a 32-bit integer), a ``${`` left in a
name, ARN or S3 location, the service quotas of :mod:`personalize_reconcile.rules.limits`
and the size of ``uploadFrom`` files. It works on the plain (interpolated) document and
skips parts whose types are wrong (the model check reports those), so one run reports
everything. Called by :mod:`personalize_reconcile.manifest.loader`.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personalize_reconcile.manifest.batch_job_checks import check_batch_jobs
from personalize_reconcile.manifest.diagnostics import Diagnostic
from personalize_reconcile.manifest.metric_attribution_checks import check_metric_attributions
from personalize_reconcile.manifest.recommender_checks import check_recommenders
from personalize_reconcile.manifest.source import (
    MAX_DEPTH,
    Source,
    SourceError,
    file_problem,
    read_source,
)
from personalize_reconcile.rules import (
    avro,
    filters,
    hyperparameters,
    ignore,
    limits,
    metrics,
    recipes,
    shapes,
)
from personalize_reconcile.rules.names import NAME_MAX, name_problem
from personalize_reconcile.rules.problems import SHOWN_MAX, a_or_an, dotted, listed, shown
from personalize_reconcile.rules.s3 import bucket_name_problem, key_problem

IMPORT_NAME_MAX = NAME_MAX - 9
"""Import names leave room for ``-`` and an 8-character content fingerprint."""

USER_TAGS_MAX = 49
"""50 tags per resource (reference §1) less the ownership tag preconcile adds."""

OWNERSHIP_TAG_PREFIX = "preconcile:"

FILTER_HINT = (
    "write INCLUDE or EXCLUDE, ItemID, UserID or ActionID, WHERE, then conditions on "
    '<dataset type>.<column>, e.g. EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'
)


def _non_finite(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """``(path, text)`` of every infinite or NaN number in a parsed document: YAML reads
    ``1e999`` as infinity and ``.nan`` as NaN, which ``json.dumps`` would send as the
    non-JSON ``Infinity`` and ``NaN``."""
    if isinstance(data, float) and not math.isfinite(data):
        yield path, "NaN" if math.isnan(data) else ("-" if data < 0 else "") + "infinity"
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _non_finite(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _non_finite(v, path + (i,))


@dataclass
class SchemaDoc:
    """A schema's parsed Avro document and how to point at a place in it.

    Attributes:
        data: the parsed Avro document.
        diag: ``diag(path, message, hint)`` builds a Diagnostic for a path inside it.
    """

    data: Any
    diag: Callable[..., Diagnostic]


def _did_you_mean(word: str, options: list[str]) -> str | None:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {shown(close[0])}?" if close else None


def _shown_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def _resolved(base_dir: Path, relative: str) -> Path:
    """``relative`` resolved against ``base_dir``; the plain join if resolving fails (a
    symbolic-link loop, a name too long), so the caller's check reports it."""
    try:
        return (base_dir / relative).resolve()
    except (OSError, RuntimeError, ValueError):
        return base_dir / relative


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and mappings in ``value`` nest more than ``limit`` levels (iterative)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def _at(value: Any, path: tuple) -> Any:
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


_BOUND = re.compile(r"Member must have (length|value) (less|greater) than or equal to (\S+)")


def in_words(message: str, value: Any) -> str:
    """Say a model constraint text (``Member must have length less than or equal to 256``)
    about ``value`` in words, for a diagnostic whose path already names the field:
    ``the value has 300 characters; the limit is 256``, ``must be at most 2147483647, not
    3000000000``. Other texts lose their ``Member`` prefix."""
    m = _BOUND.fullmatch(message)
    if m is None:
        return message.replace("Member must", "must", 1)
    kind, side, bound = m.groups()
    if kind == "value":
        word = "at most" if side == "less" else "at least"
        return f"must be {word} {bound}, not {shown(value)}"
    unit = "characters" if isinstance(value, str) else "entries"
    size = len(value) if isinstance(value, (str, list, dict)) else 0
    if side == "less":
        return f"the value has {size:,} {unit}; the limit is {int(bound):,}"
    return f"must have at least {bound} {unit}"


class Checker:
    """Collects diagnostics for one manifest document.

    Args:
        src: the manifest's parsed source (for positions).
        data: the interpolated document.
        base_dir: the manifest's folder; relative file paths resolve against it.
        target: ``local`` or ``aws``; on ``aws`` the local target's own hyperparameters
            are problems.
    """

    def __init__(self, src: Source, data: dict, base_dir: Path, target: str = "local"):
        self.src = src
        self.target = target
        self.data = data
        self.base_dir = base_dir
        self.out: list[Diagnostic] = []
        self.schema_docs: dict[str, SchemaDoc] = {}

    # -- helpers -------------------------------------------------------------------------

    def add(self, path: tuple, message: str, hint: str | None = None, *, key: bool = False):
        """Record a problem at ``path`` of the manifest."""
        self.out.append(self.src.diagnostic(path, message, hint, key=key))

    def section(self, key: str) -> dict:
        value = self.data.get(key)
        return value if isinstance(value, dict) else {}

    def name(
        self,
        path: tuple,
        value: Any,
        *,
        key: bool = False,
        limit: int = NAME_MAX,
        what: str = "name",
    ) -> None:
        if not isinstance(value, str):
            return
        if len(value) > limit and limit < NAME_MAX and not name_problem(value[:limit]):
            self.add(
                path,
                f"{what} {shown(value, length=False)} is {len(value)} characters long; "
                f"the limit is {limit}",
                f"shorten it to {limit} characters or fewer",
                key=key,
            )
            return
        problem = name_problem(value)
        if problem:
            self.add(
                path,
                problem,
                "use 1-63 letters, digits, '-' or '_', starting with a letter or digit",
                key=key,
            )

    def shape(self, path: tuple, shape_name: str, value: Any) -> None:
        if value is None:
            return
        for p in shapes.validate(shapes.shape("personalize", shape_name), value):
            msg = in_words(p.message, _at(value, p.path)).replace("Unknown field", "unknown key")
            hint = p.hint
            if hint is None and "must be a string, not" in msg:
                hint = "quote the value: the service takes these as strings"
            self.add(path + p.path, msg, hint, key=msg.startswith("unknown key"))

    def api_value(
        self, path: tuple, op: str, member: str, value: Any, hint: str | None = None
    ) -> None:
        """Check ``value`` against the model member ``op``.``member`` it is sent as; report
        lengths and ranges in words, named by the manifest key."""
        for p in shapes.validate(shapes.member(op, member), value):
            self.add(path, in_words(p.message, value), hint)

    def literal_reference(self, path: tuple, value: Any) -> bool:
        """Report a ``${`` left in a name, ARN or S3 location; return whether there was one.

        An unresolved reference is reported where it is set (the loader drops this second
        report at the same path); what remains is a literal ``$${`` or an unclosed
        reference, which the API would refuse or take literally.
        """
        if not isinstance(value, str) or "${" not in value:
            return False
        self.add(
            path,
            f"{path[-1]} {shown(value)} contains '${{' after variables are replaced",
            "a name, ARN or S3 location cannot hold '${': check the reference's spelling "
            "and braces, or remove the $${ that wrote it",
        )
        return True

    def tags(self, path: tuple, tags: Any) -> None:
        if not isinstance(tags, dict):
            return
        if len(tags) > USER_TAGS_MAX:
            self.add(
                path,
                f"{len(tags)} tags; at most {USER_TAGS_MAX} are allowed "
                "(50 per resource, one of them preconcile's ownership tag)",
                "remove some tags",
            )
        for k, v in tags.items():
            if k.lower().startswith("aws:"):
                self.add(
                    path + (k,),
                    f"tag key {shown(k)} uses the reserved prefix 'aws:'",
                    "choose another key",
                    key=True,
                )
            elif k.startswith(OWNERSHIP_TAG_PREFIX):
                self.add(
                    path + (k,),
                    f"tag key {shown(k)} uses the prefix 'preconcile:', which "
                    "preconcile keeps for itself",
                    "choose another key",
                    key=True,
                )
            elif not 1 <= len(k) <= 128:
                self.add(path + (k,), f"tag key {shown(k)} must be 1-128 characters long", key=True)
            if isinstance(v, str) and len(k) <= 128 and not k.lower().startswith("aws:"):
                for p in shapes.validate(
                    shapes.shape("personalize", "Tag"), {"tagKey": k, "tagValue": v}
                ):
                    if "pattern" in p.message:
                        what = "key" if p.path == ("tagKey",) else "value"
                        self.add(
                            path + (k,),
                            f"tag {what} {shown(v) if what == 'value' else shown(k)} "
                            "has characters the service does not allow in tags",
                            "use letters, digits, spaces and _ . : / = + - @",
                            key=what == "key",
                        )
            if isinstance(v, str) and len(v) > 256:
                self.add(path + (k,), f"tag value is {len(v)} characters long; the limit is 256")

    def ignore_changes(self, path: tuple, kind: str, names: Any) -> None:
        """Check an ``ignoreChanges`` list against the fields of ``kind`` that can change
        in place (:data:`personalize_reconcile.rules.ignore.IGNORABLE`)."""
        if not isinstance(names, list):
            return  # the model check reports the wrong type
        allowed = list(ignore.IGNORABLE[kind])
        title = kind.replace("_", " ")
        takes = f"ignoreChanges of {a_or_an(title)} takes " + listed(allowed)
        for i, name in enumerate(names):
            if not isinstance(name, str) or name in allowed:
                continue
            at = path + ("ignoreChanges", i)
            if name in ignore.REPLACING[kind]:
                self.add(
                    at,
                    f"{shown(name)} cannot be ignored: only fields the service changes in "
                    "place can drift",
                    takes,
                )
                continue
            self.add(
                at,
                f"{shown(name)} is not a field of {a_or_an(title)}",
                _did_you_mean(name, allowed + list(ignore.REPLACING[kind])) or takes,
            )

    # -- the checks ------------------------------------------------------------------------

    def run(self) -> list[Diagnostic]:
        """Run every check; return the diagnostics found (possibly none)."""
        self.name(("name",), self.data.get("name"), what="manifest name")
        self.check_dataset_group()
        self.load_schemas()
        dataset_types = self.check_datasets()
        self.check_solutions(dataset_types)
        self.check_campaigns()
        self.check_filters(dataset_types)
        self.check_event_tracker()
        check_recommenders(self, dataset_types)
        check_metric_attributions(self, dataset_types)
        check_batch_jobs(self)
        self.check_quotas()
        return self.out

    def check_quotas(self) -> None:
        """Count the declared schemas, solutions and campaigns against the service quotas
        (reference §9), raised ones as declared under ``quotas:``."""
        raised = self.section("quotas")
        for quota in limits.QUOTAS:
            section = self.data.get(quota.section)
            allowed = raised.get(quota.key) if quota.key else None
            valid = allowed is None or (
                isinstance(allowed, int) and not isinstance(allowed, bool) and allowed >= 1
            )
            if not isinstance(section, dict) or not valid:
                continue  # the model check reports a quota that is not a whole number
            problem = limits.count_problem(quota, len(section), allowed)
            if problem:
                self.add((quota.section,), *problem, key=True)

    def check_dataset_group(self) -> None:
        group = self.section("datasetGroup")
        self.name(("datasetGroup", "name"), group.get("name"))
        for field in ("kmsKeyArn", "roleArn"):
            value = group.get(field)
            if isinstance(value, str) and not self.literal_reference(
                ("datasetGroup", field), value
            ):
                self.api_value(("datasetGroup", field), "CreateDatasetGroup", field, value)
        if group.get("roleArn") and not group.get("kmsKeyArn"):
            self.add(
                ("datasetGroup", "roleArn"),
                "roleArn is only used together with kmsKeyArn",
                "add kmsKeyArn, or remove roleArn",
            )
        self.tags(("datasetGroup", "tags"), group.get("tags"))
        self.ignore_changes(("datasetGroup",), "dataset_group", group.get("ignoreChanges"))

    def load_schemas(self) -> None:
        for name, spec in self.section("schemas").items():
            path = ("schemas", name)
            self.name(path, name, key=True)
            if not isinstance(spec, dict):
                continue
            doc = self._schema_doc(path, spec)
            if doc is None:
                continue
            self.schema_docs[name] = doc
            for p in avro.schema_problems(doc.data):
                self.out.append(doc.diag(p.path, p.message, p.hint))
            for at, number in _non_finite(doc.data):
                self.out.append(
                    doc.diag(
                        at,
                        f"{number} is not a number JSON can hold, so the service cannot read "
                        "the schema",
                        "write a finite number, or quote the value to make it a string",
                    )
                )
            # CreateSchema receives json.dumps(document) (resources/schema.py)
            sent = len(json.dumps(doc.data))
            limit = shapes.member("CreateSchema", "schema").metadata["max"]
            if sent > limit:
                self.out.append(
                    doc.diag(
                        (),
                        f"the schema is {sent:,} characters long as sent to the service "
                        f"(JSON); the limit is {limit:,}",
                        "remove fields or attributes, or shorten names",
                    )
                )

    def _schema_doc(self, path: tuple, spec: dict) -> SchemaDoc | None:
        file, definition = spec.get("file"), spec.get("definition")
        if isinstance(file, str) and definition is None:
            target = _resolved(self.base_dir, file)
            try:
                ssrc = read_source(target, _shown_path(target))
            except SourceError as e:
                d = e.diagnostic
                if d.line == 0:
                    hint = d.hint
                    if d.message == "file not found":
                        hint = "check the path; it is relative to the manifest's folder"
                    self.add(path + ("file",), f"schema file {shown(file)}: {d.message}", hint)
                else:
                    self.out.append(d)
                return None
            return SchemaDoc(ssrc.data, ssrc.diagnostic)
        if isinstance(definition, dict) and file is None:
            prefix = path + ("definition",)
            return SchemaDoc(
                definition, lambda p, m, h=None: self.src.diagnostic(prefix + tuple(p), m, h)
            )
        if isinstance(definition, str) and file is None:
            try:
                data = json.loads(definition)
                too_deep = _deeper_than(data, MAX_DEPTH)
            except json.JSONDecodeError as e:
                self.add(
                    path + ("definition",),
                    f"the schema is not valid JSON: {e.msg} at "
                    f"line {e.lineno} column {e.colno} of the definition",
                    "write the definition as a YAML mapping or as valid JSON",
                )
                return None
            except RecursionError:
                too_deep = True
            if too_deep:
                self.add(
                    path + ("definition",),
                    f"the schema nests deeper than {MAX_DEPTH} levels",
                    "a Personalize schema is a record of primitive fields; flatten it",
                )
                return None
            prefix = path + ("definition",)
            return SchemaDoc(data, lambda p, m, h=None: self.src.diagnostic(prefix, m, h))
        return None

    def check_datasets(self) -> dict[str, str]:
        """Check datasets; return {dataset type: schema name} for those that are sound."""
        group = self.section("datasetGroup")
        domain = (
            avro.api_domain(group.get("domain")) if isinstance(group.get("domain"), str) else None
        )
        group_name = group.get("name") if isinstance(group.get("name"), str) else None
        schema_names = list(self.section("schemas"))
        types: dict[str, str] = {}
        dataset_names: dict[str, tuple] = {}
        import_names: dict[str, tuple] = {}
        checked: set[tuple[str, str]] = set()
        for dtype, ds in self.section("datasets").items():
            path = ("datasets", dtype)
            if avro.canonical_dataset_type(dtype) != dtype or not isinstance(ds, dict):
                continue  # the model check reports unknown types and wrong shapes
            if domain and dtype in ("Actions", "Action_Interactions"):
                self.add(
                    path,
                    f"{a_or_an(domain)} domain dataset group cannot have {a_or_an(dtype)} dataset",
                    "remove it, or use a custom dataset group (no domain)",
                    key=True,
                )
            name = ds.get("name")
            if name is None and group_name:
                name = f"{group_name}-{dtype.lower().replace('_', '-')}"
                if len(name) > NAME_MAX:
                    self.add(
                        path,
                        f"the default dataset name {shown(name, length=False)} is longer than "
                        f"{NAME_MAX} characters",
                        "set `name:` for this dataset",
                        key=True,
                    )
                    name = None
            else:
                self.name(path + ("name",), name)
            if isinstance(name, str):
                if name in dataset_names:
                    self.add(
                        path + ("name",),
                        f"dataset name {shown(name)} is already used by "
                        f"{'.'.join(dataset_names[name])}",
                        "give each dataset its own name",
                    )
                dataset_names.setdefault(name, path)
            schema = ds.get("schema")
            if isinstance(schema, str):
                if schema not in schema_names:
                    hint = _did_you_mean(schema, schema_names) or (
                        "declare it under `schemas:`"
                        if not schema_names
                        else "declared schemas: " + listed(schema_names)
                    )
                    self.add(
                        path + ("schema",),
                        f"schema {shown(schema)} is not declared under `schemas`",
                        hint,
                    )
                else:
                    types[dtype] = schema
                    doc = self.schema_docs.get(schema)
                    if doc is not None and (schema, dtype) not in checked:
                        checked.add((schema, dtype))
                        general = {p.path for p in avro.schema_problems(doc.data)}
                        for p in avro.schema_problems(doc.data, dtype, domain):
                            if p.path not in general or p.path == ("fields",):
                                self.out.append(
                                    doc.diag(
                                        p.path, p.message + f" (used by datasets.{dtype})", p.hint
                                    )
                                )
            imports = ds.get("imports")
            if isinstance(imports, list):
                for i, imp in enumerate(imports):
                    if isinstance(imp, dict):
                        self.check_import(path + ("imports", i), imp, import_names)
            self.tags(path + ("tags",), ds.get("tags"))
            self.ignore_changes(path, "dataset", ds.get("ignoreChanges"))
        return types

    def check_import(self, path: tuple, imp: dict, seen: dict[str, tuple]) -> None:
        name = imp.get("name")
        self.name(path + ("name",), name, limit=IMPORT_NAME_MAX, what="import name")
        if isinstance(name, str):
            if name in seen:
                self.add(
                    path + ("name",),
                    f"import name {shown(name)} is already used at {dotted(seen[name])}",
                    "give each import its own name",
                )
            seen.setdefault(name, path)
        loc = imp.get("dataLocation")
        if isinstance(loc, str):
            if not loc.startswith("s3://") or len(loc) <= 5 or loc[5:].startswith("/"):
                self.add(
                    path + ("dataLocation",),
                    f"dataLocation {shown(loc)} is not an s3:// URI",
                    "write s3://bucket/key.csv, or s3://bucket/prefix/ for a folder",
                )
            elif "/" not in loc[5:]:
                self.add(
                    path + ("dataLocation",),
                    f"dataLocation {shown(loc)} names a bucket but no object",
                    "add the key: s3://bucket/key.csv or s3://bucket/prefix/",
                )
            elif len(loc) > 256:
                self.add(
                    path + ("dataLocation",),
                    f"dataLocation is {len(loc)} characters long; the limit is 256",
                )
            elif not self.literal_reference(path + ("dataLocation",), loc):
                bucket, _, key = loc[5:].partition("/")
                problem = bucket_name_problem(bucket)
                if problem:
                    self.add(
                        path + ("dataLocation",),
                        f"bucket name {shown(bucket)}: {problem}",
                        "use the name of an existing S3 bucket",
                    )
                problem = key_problem(key, allow_prefix=True)
                if problem:
                    self.add(
                        path + ("dataLocation",),
                        f"object key {shown(key)}: {problem}",
                        "write s3://bucket/folder/file.csv",
                    )
        role = imp.get("roleArn")
        if isinstance(role, str) and not self.literal_reference(path + ("roleArn",), role):
            self.api_value(
                path + ("roleArn",),
                "CreateDatasetImportJob",
                "roleArn",
                role,
                "use arn:aws:iam::<12-digit account>:role/<name>",
            )
        upload = imp.get("uploadFrom")
        if isinstance(upload, str):
            self.check_upload(path, upload, imp.get("importMode"))
            if isinstance(loc, str) and loc.endswith("/"):
                self.add(
                    path + ("dataLocation",),
                    "with uploadFrom, dataLocation must name one "
                    "object, not a prefix ending in '/'",
                    "write the full key, e.g. s3://bucket/prefix/data.csv",
                )
        self.tags(path + ("tags",), imp.get("tags"))

    def check_upload(self, path: tuple, upload: str, mode: Any) -> None:
        """``uploadFrom`` must be a regular file (checked with ``os.stat``, never opened)
        no larger than one import job takes (reference §5: 100 GB FULL, 1 GB
        INCREMENTAL)."""
        target = _resolved(self.base_dir, upload)
        problem = file_problem(target)
        if problem:
            what = {"file not found": "does not exist", "is a directory, not a file": "is a folder"}
            self.add(
                path + ("uploadFrom",),
                f"uploadFrom file {shown(upload)} {what.get(problem, problem)} "
                f"(looked for {_shown_path(target)})",
                "give the path of a CSV file, relative to the manifest's folder",
            )
            return
        mode = mode if mode in limits.IMPORT_MAX_BYTES else "FULL"
        size, limit = os.stat(target).st_size, limits.IMPORT_MAX_BYTES[mode]
        if size > limit:
            self.add(
                path + ("uploadFrom",),
                f"uploadFrom file {shown(upload)} has {size:,} bytes; one {mode} import "
                f"takes at most {limit // limits.GIB} GB",
                "split the data into several INCREMENTAL imports, or use importMode FULL"
                if mode == "INCREMENTAL"
                else "reduce the data",
            )

    def check_solutions(self, dataset_types: dict[str, str]) -> None:
        for name, sol in self.section("solutions").items():
            path = ("solutions", name)
            self.name(path, name, key=True)
            if not isinstance(sol, dict):
                continue
            recipe = sol.get("recipe")
            entry = None
            if isinstance(recipe, str) and not self.literal_reference(path + ("recipe",), recipe):
                problem = recipes.solution_recipe_problem(recipe)
                if problem:
                    self.add(path + ("recipe",), *problem)
                else:
                    entry = recipes.lookup(recipe)
            if isinstance(sol.get("eventType"), str):
                self.api_value(
                    path + ("eventType",), "CreateSolution", "eventType", sol["eventType"]
                )
            config = sol.get("solutionConfig")
            self.shape(path + ("solutionConfig",), "SolutionConfig", config)
            self.check_numbers_in_strings(path, sol)
            if entry is not None and isinstance(config, dict):
                self.check_hyperparameters(path, entry.name, sol.get("performHPO") is True, config)
            if sol.get("autoTrainingConfig") is not None:
                self.shape(
                    path + ("autoTrainingConfig",), "AutoTrainingConfig", sol["autoTrainingConfig"]
                )
                if isinstance(config, dict) and "autoTrainingConfig" in config:
                    self.add(
                        path + ("autoTrainingConfig",),
                        "autoTrainingConfig is given twice: here and in solutionConfig",
                        "keep one of them",
                    )
                if sol.get("performAutoTraining") is not True:
                    self.add(
                        path + ("autoTrainingConfig",),
                        "autoTrainingConfig has no effect unless performAutoTraining is true",
                        "set performAutoTraining: true, or remove autoTrainingConfig",
                    )
            if entry is None:
                continue
            # reference §6: Next-Best-Action needs Actions and Action_Interactions datasets
            needs: tuple[str, ...] = ("Interactions",)
            if entry.recipe_type == recipes.PERSONALIZED_ACTIONS:
                needs = ("Action_Interactions", "Actions")
            elif entry.name == "aws-item-attribute-affinity":  # its segments are by Items
                needs = ("Interactions", "Items")  # attributes (the recipe's guide page)
            for need in needs:
                if need not in dataset_types and "datasets" in self.data:
                    self.add(
                        path + ("recipe",),
                        f"recipe {entry.name} trains on an {need} dataset, "
                        "and the manifest declares none",
                        f"add datasets.{need}",
                    )
            training = sol.get("training")
            if (
                isinstance(training, dict)
                and training.get("trainingMode") == "UPDATE"
                and entry.name != "aws-user-personalization"
            ):
                self.add(
                    path + ("training", "trainingMode"),
                    "trainingMode UPDATE is only "
                    f"available for aws-user-personalization, not {entry.name}",
                    "use trainingMode: FULL",
                )
            if sol.get("performIncrementalUpdate") and entry.name != "aws-semantic-similarity":
                self.add(
                    path + ("performIncrementalUpdate",),
                    "performIncrementalUpdate is only "
                    f"available for aws-semantic-similarity, not {entry.name}",
                    "remove performIncrementalUpdate",
                )
            if sol.get("performHPO") is True and entry.name == "aws-next-best-action":
                self.add(
                    path + ("performHPO",),
                    "aws-next-best-action does not support hyperparameter optimisation",
                    "set performHPO: false",
                )
            self.tags(path + ("tags",), sol.get("tags"))
            self.ignore_changes(path, "solution", sol.get("ignoreChanges"))

    def check_hyperparameters(
        self, path: tuple, recipe: str, perform_hpo: bool, config: dict
    ) -> None:
        """The solutionConfig's hyperparameters against the recipe's table
        (:mod:`personalize_reconcile.rules.hyperparameters`, reference §6)."""
        reported = {d.path for d in self.out}  # a model bound already said (one report each)
        local = self.target != "aws"
        for p in hyperparameters.config_problems(recipe, perform_hpo, config, local=local):
            d = self.src.diagnostic(
                path + ("solutionConfig",) + p.path, p.message, p.hint, key=p.on_key
            )
            if d.path not in reported:
                self.out.append(d)

    def check_numbers_in_strings(self, path: tuple, sol: dict) -> None:
        """Ranges the model does not declare (reference §6): HPO job counts and the days of
        an auto-training schedule, here and under ``solutionConfig``."""
        config = sol.get("solutionConfig") if isinstance(sol.get("solutionConfig"), dict) else {}
        resources = _at(config, ("hpoConfig", "hpoResourceConfig"))
        if isinstance(resources, dict):
            for key, value in resources.items():
                problem = limits.hpo_resource_problem(key, value)
                if problem:
                    at = path + ("solutionConfig", "hpoConfig", "hpoResourceConfig", key)
                    self.add(at, problem)
        for at in (("autoTrainingConfig",), ("solutionConfig", "autoTrainingConfig")):
            expression = _at(sol, at + ("schedulingExpression",))
            problem = limits.scheduling_problem(expression) if isinstance(expression, str) else None
            if problem:
                self.add(path + at + ("schedulingExpression",), problem, "for example rate(7 days)")

    def check_campaigns(self) -> None:
        solutions = self.section("solutions")
        for name, camp in self.section("campaigns").items():
            path = ("campaigns", name)
            self.name(path, name, key=True)
            if not isinstance(camp, dict):
                continue
            sol_name = camp.get("solution")
            entry = None
            if isinstance(sol_name, str):
                if sol_name not in solutions:
                    hint = _did_you_mean(sol_name, list(solutions)) or (
                        "declared solutions: " + listed(list(solutions))
                        if solutions
                        else "declare it under `solutions:`"
                    )
                    self.add(
                        path + ("solution",),
                        f"solution {shown(sol_name)} is not declared under `solutions`",
                        hint,
                    )
                elif isinstance(solutions[sol_name], dict) and isinstance(
                    solutions[sol_name].get("recipe"), str
                ):
                    entry = recipes.lookup(solutions[sol_name]["recipe"])
            if entry is not None and entry.recipe_type == recipes.USER_SEGMENTATION:
                self.add(
                    path + ("solution",),
                    f"solution {shown(sol_name)} uses {entry.name}, a "
                    "USER_SEGMENTATION recipe that serves batch segment jobs only; a "
                    "campaign cannot deploy it",
                    "remove the campaign, or pick another recipe",
                )
            tps = camp.get("minProvisionedTPS")
            if isinstance(tps, int) and not isinstance(tps, bool):
                self.api_value(
                    path + ("minProvisionedTPS",), "CreateCampaign", "minProvisionedTPS", tps
                )
            config = camp.get("campaignConfig")
            self.shape(path + ("campaignConfig",), "CampaignConfig", config)
            if isinstance(config, dict):
                self.check_campaign_config(path + ("campaignConfig",), config, entry)
                self.check_sync(path + ("campaignConfig",), config, sol_name, solutions)
            self.check_rollout(path + ("rollout",), camp.get("rollout"))
            self.tags(path + ("tags",), camp.get("tags"))
            self.ignore_changes(path, "campaign", camp.get("ignoreChanges"))

    def check_filters(self, dataset_types: dict[str, str]) -> None:
        """Filters: names, the expression's form (:mod:`personalize_reconcile.rules.
        filters`), the datasets and columns it names against the manifest's datasets and
        their schemas, its length (reference §1: 1-2500 characters) and the distinct
        fields per filter and per group (reference §9)."""
        declared = {
            avro.canonical_dataset_type(t) or t
            for t in self.section("datasets")
            if isinstance(t, str)
        }
        fields_seen: dict[tuple[str, str], tuple] = {}
        for name, spec in self.section("filters").items():
            path = ("filters", name)
            self.name(path, name, key=True)
            if not isinstance(spec, dict):
                continue
            self.tags(path + ("tags",), spec.get("tags"))
            expression = spec.get("expression")
            if not isinstance(expression, str):
                continue
            at = path + ("expression",)
            if not expression.strip():
                self.add(at, "the filter expression is empty", FILTER_HINT)
                continue
            self.api_value(at, "CreateFilter", "filterExpression", expression.strip())
            problems = filters.expression_problems(expression)
            for problem in problems:
                self.add(at, problem, FILTER_HINT)
            if problems:
                continue
            mine: set[tuple[str, str]] = set()
            for written, dtype, column in filters.references(expression):
                if dtype not in declared:
                    self.add(
                        at,
                        f"{written}: the filter reads the {dtype} dataset, and the manifest "
                        "declares none",
                        f"add datasets.{dtype}, or change the expression",
                    )
                    continue
                columns = self._schema_columns(dataset_types.get(dtype))
                if columns is None:
                    continue  # the schema's own problems are reported where it is
                match = next((c for c in columns if c.upper() == column.upper()), None)
                if match is None:
                    self.add(
                        at,
                        f"{written}: the {dtype} dataset's schema {dataset_types[dtype]} has "
                        f"no column {column}",
                        _did_you_mean(column, columns) or "its columns: " + listed(columns),
                    )
                    continue
                mine.add((dtype, match.upper()))
            if len(mine) > filters.FIELDS_PER_FILTER:
                self.add(
                    at,
                    f"the filter uses {len(mine)} distinct dataset fields; the service allows "
                    f"at most {filters.FIELDS_PER_FILTER} per filter",
                    "split it into several filters",
                )
            for key in sorted(mine):
                fields_seen.setdefault(key, path)
        if len(fields_seen) > filters.FIELDS_PER_GROUP:
            self.add(
                ("filters",),
                f"the filters use {len(fields_seen)} distinct dataset fields; the service "
                f"allows at most {filters.FIELDS_PER_GROUP} across the filters of a dataset group",
                "use fewer distinct fields across the filters",
                key=True,
            )

    def _schema_columns(self, schema: str | None) -> list[str] | None:
        """The field names of a declared schema whose document loaded, else ``None``."""
        doc = self.schema_docs.get(schema) if schema else None
        fields = doc.data.get("fields") if doc is not None and isinstance(doc.data, dict) else None
        if not isinstance(fields, list):
            return None
        return [f["name"] for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)]

    def check_event_tracker(self) -> None:
        """The event tracker's name and tags (one per group: the model allows one)."""
        tracker = self.data.get("eventTracker")
        if not isinstance(tracker, dict):
            return
        self.name(("eventTracker", "name"), tracker.get("name"))
        self.tags(("eventTracker", "tags"), tracker.get("tags"))

    def check_rollout(self, path: tuple, rollout: Any) -> None:
        """Rollout gates name metrics GetSolutionMetrics reports (reference §6), each a
        number: a minimum from 0 to 1, an allowed regression of at least 0."""
        if not isinstance(rollout, dict):
            return
        for key, low, high in (("minimums", 0.0, 1.0), ("maxRegression", 0.0, None)):
            gates = rollout.get(key)
            if not isinstance(gates, dict):
                continue
            for metric, value in gates.items():
                at = path + (key, metric)
                if metric not in metrics.SOLUTION_METRICS:
                    self.add(
                        at,
                        f"unknown metric {shown(metric)}: GetSolutionMetrics reports no such "
                        "metric",
                        _did_you_mean(str(metric), list(metrics.SOLUTION_METRICS))
                        or "use one of " + listed(list(metrics.SOLUTION_METRICS)),
                        key=True,
                    )
                    continue
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    continue  # the model check reports it
                if isinstance(value, float) and math.isnan(value):
                    self.add(
                        at,
                        f"{metric} is .nan, which no metric can be compared with",
                        "write a number, e.g. 0.2",
                    )
                elif value < low or (high is not None and value > high):
                    span = f"from {low:g} to {high:g}" if high is not None else f"{low:g} or more"
                    given = f"{value:g}" if isinstance(value, float) else shown(value)
                    self.add(at, f"{metric} must be {span}, not {given}")

    def check_sync(self, path: tuple, config: dict, sol_name: Any, solutions: dict) -> None:
        """``syncWithLatestSolutionVersion: true`` deploys ``<solution>/$LATEST``, which only
        moves when the service trains new versions itself: the solution must have
        ``performAutoTraining: true`` (reference §6, §7)."""
        if config.get("syncWithLatestSolutionVersion") is not True:
            return
        sol = solutions.get(sol_name) if isinstance(sol_name, str) else None
        if not isinstance(sol, dict) or sol.get("performAutoTraining") is True:
            return
        self.add(
            path + ("syncWithLatestSolutionVersion",),
            f"syncWithLatestSolutionVersion follows the versions solution {shown(sol_name)} "
            "trains on its own, and it does not train automatically",
            f"set performAutoTraining: true on solution {sol_name}, or remove "
            "syncWithLatestSolutionVersion to have apply move the campaign to each version "
            "it trains",
        )

    def check_campaign_config(
        self, path: tuple, config: dict, entry: recipes.Recipe | None
    ) -> None:
        explore = config.get("itemExplorationConfig")
        if isinstance(explore, dict):
            if entry is not None and entry.name != "aws-user-personalization":
                self.add(
                    path + ("itemExplorationConfig",),
                    "itemExplorationConfig only applies "
                    f"to aws-user-personalization, not {entry.name}",
                    "remove itemExplorationConfig",
                )
            bounds = {"explorationWeight": (0.0, 1.0), "explorationItemAgeCutOff": (1.0, None)}
            for k, v in explore.items():
                kpath = path + ("itemExplorationConfig", k)
                if k not in bounds:
                    self.add(
                        kpath,
                        f"unknown itemExplorationConfig key {shown(k)}",
                        _did_you_mean(k, list(bounds))
                        or "use explorationWeight or explorationItemAgeCutOff",
                        key=True,
                    )
                    continue
                if not isinstance(v, str):
                    continue
                try:
                    number = float(v)
                except ValueError:
                    self.add(kpath, f"{k} must be a number written as a string, not {shown(v)}")
                    continue
                low, high = bounds[k]
                if math.isnan(number) or number < low or (high is not None and number > high):
                    span = (
                        f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
                    )
                    given = (
                        v if len(v) <= SHOWN_MAX else f"{v[:SHOWN_MAX]}… ({len(v):,} characters)"
                    )
                    self.add(kpath, f"{k} must be {span}, not {given}")
