"""Rules that need more than one field, the service's catalogue or a file on disk.

One job: after the structural model check, find every remaining problem in a manifest —
names, uniqueness, references, schema files and their Avro rules, recipes, pass-through
blocks against botocore's shapes, tags. It works on the plain (interpolated) document and
skips parts whose types are wrong (the model check reports those), so one run reports
everything. Called by :mod:`personalize_reconcile.manifest.loader`.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personalize_reconcile.manifest.diagnostics import Diagnostic
from personalize_reconcile.manifest.source import Source, SourceError, read_source
from personalize_reconcile.rules import avro, recipes, shapes
from personalize_reconcile.rules.names import NAME_MAX, name_problem
from personalize_reconcile.rules.problems import a_or_an, dotted
from personalize_reconcile.rules.s3 import bucket_name_problem, key_problem

IMPORT_NAME_MAX = NAME_MAX - 9
"""Import names leave room for ``-`` and an 8-character content fingerprint."""

USER_TAGS_MAX = 49
"""50 tags per resource (reference §1) less the ownership tag preconcile adds."""

OWNERSHIP_TAG_PREFIX = "preconcile:"


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
    return f"did you mean {close[0]!r}?" if close else None


def _shown_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


class Checker:
    """Collects diagnostics for one manifest document.

    Args:
        src: the manifest's parsed source (for positions).
        data: the interpolated document.
        base_dir: the manifest's folder; relative file paths resolve against it.
    """

    def __init__(self, src: Source, data: dict, base_dir: Path):
        self.src = src
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
                f"{what} {value!r} is {len(value)} characters long; the limit is {limit}",
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
            msg = p.message.replace("Member must", "must", 1).replace(
                "Unknown field", "unknown key"
            )
            hint = p.hint
            if hint is None and "must be a string, not" in msg:
                hint = "quote the value: the service takes these as strings"
            self.add(path + p.path, msg, hint, key=msg.startswith("unknown key"))

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
                    f"tag key {k!r} uses the reserved prefix 'aws:'",
                    "choose another key",
                    key=True,
                )
            elif k.startswith(OWNERSHIP_TAG_PREFIX):
                self.add(
                    path + (k,),
                    f"tag key {k!r} uses the prefix 'preconcile:', which "
                    "preconcile keeps for itself",
                    "choose another key",
                    key=True,
                )
            elif not 1 <= len(k) <= 128:
                self.add(path + (k,), f"tag key {k!r} must be 1-128 characters long", key=True)
            if isinstance(v, str) and len(k) <= 128 and not k.lower().startswith("aws:"):
                for p in shapes.validate(
                    shapes.shape("personalize", "Tag"), {"tagKey": k, "tagValue": v}
                ):
                    if "pattern" in p.message:
                        what = "key" if p.path == ("tagKey",) else "value"
                        self.add(
                            path + (k,),
                            f"tag {what} {v if what == 'value' else k!r} "
                            "has characters the service does not allow in tags",
                            "use letters, digits, spaces and _ . : / = + - @",
                            key=what == "key",
                        )
            if isinstance(v, str) and len(v) > 256:
                self.add(path + (k,), f"tag value is {len(v)} characters long; the limit is 256")

    # -- the checks ------------------------------------------------------------------------

    def run(self) -> list[Diagnostic]:
        """Run every check; return the diagnostics found (possibly none)."""
        self.name(("name",), self.data.get("name"), what="manifest name")
        self.check_dataset_group()
        self.load_schemas()
        dataset_types = self.check_datasets()
        self.check_solutions(dataset_types)
        self.check_campaigns()
        return self.out

    def check_dataset_group(self) -> None:
        group = self.section("datasetGroup")
        self.name(("datasetGroup", "name"), group.get("name"))
        op = "CreateDatasetGroup"
        members = shapes.service_model("personalize").operation_model(op).input_shape.members
        for field in ("kmsKeyArn", "roleArn"):
            if isinstance(group.get(field), str):
                for p in shapes.validate(members[field], group[field]):
                    self.add(("datasetGroup", field), p.message.replace("Member must", "must"))
        if group.get("roleArn") and not group.get("kmsKeyArn"):
            self.add(
                ("datasetGroup", "roleArn"),
                "roleArn is only used together with kmsKeyArn",
                "add kmsKeyArn, or remove roleArn",
            )
        self.tags(("datasetGroup", "tags"), group.get("tags"))

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

    def _schema_doc(self, path: tuple, spec: dict) -> SchemaDoc | None:
        file, definition = spec.get("file"), spec.get("definition")
        if isinstance(file, str) and definition is None:
            target = (self.base_dir / file).resolve()
            try:
                ssrc = read_source(target, _shown_path(target))
            except SourceError as e:
                d = e.diagnostic
                if d.line == 0:
                    hint = d.hint
                    if d.message == "file not found":
                        hint = "check the path; it is relative to the manifest's folder"
                    self.add(path + ("file",), f"schema file {file!r}: {d.message}", hint)
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
            except json.JSONDecodeError as e:
                self.add(
                    path + ("definition",),
                    f"the schema is not valid JSON: {e.msg} at "
                    f"line {e.lineno} column {e.colno} of the definition",
                    "write the definition as a YAML mapping or as valid JSON",
                )
                return None
            prefix = path + ("definition",)
            return SchemaDoc(data, lambda p, m, h=None: self.src.diagnostic(prefix, m, h))
        return None

    def check_datasets(self) -> dict[str, str]:
        """Check datasets; return {dataset type: schema name} for those that are sound."""
        group = self.section("datasetGroup")
        domain = group.get("domain") if isinstance(group.get("domain"), str) else None
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
                        f"the default dataset name {name!r} is longer than {NAME_MAX} characters",
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
                        f"dataset name {name!r} is already used by {'.'.join(dataset_names[name])}",
                        "give each dataset its own name",
                    )
                dataset_names.setdefault(name, path)
            schema = ds.get("schema")
            if isinstance(schema, str):
                if schema not in schema_names:
                    hint = _did_you_mean(schema, schema_names) or (
                        "declare it under `schemas:`"
                        if not schema_names
                        else "declared schemas: " + ", ".join(schema_names)
                    )
                    self.add(
                        path + ("schema",),
                        f"schema {schema!r} is not declared under `schemas`",
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
        return types

    def check_import(self, path: tuple, imp: dict, seen: dict[str, tuple]) -> None:
        name = imp.get("name")
        self.name(path + ("name",), name, limit=IMPORT_NAME_MAX, what="import name")
        if isinstance(name, str):
            if name in seen:
                self.add(
                    path + ("name",),
                    f"import name {name!r} is already used at {dotted(seen[name])}",
                    "give each import its own name",
                )
            seen.setdefault(name, path)
        members = (
            shapes.service_model("personalize")
            .operation_model("CreateDatasetImportJob")
            .input_shape.members
        )
        loc = imp.get("dataLocation")
        if isinstance(loc, str):
            if not loc.startswith("s3://") or len(loc) <= 5 or loc[5:].startswith("/"):
                self.add(
                    path + ("dataLocation",),
                    f"dataLocation {loc!r} is not an s3:// URI",
                    "write s3://bucket/key.csv, or s3://bucket/prefix/ for a folder",
                )
            elif "/" not in loc[5:]:
                self.add(
                    path + ("dataLocation",),
                    f"dataLocation {loc!r} names a bucket but no object",
                    "add the key: s3://bucket/key.csv or s3://bucket/prefix/",
                )
            elif len(loc) > 256:
                self.add(
                    path + ("dataLocation",),
                    f"dataLocation is {len(loc)} characters long; the limit is 256",
                )
            elif "${" not in loc:  # an unresolved reference is reported where it is set
                bucket, _, key = loc[5:].partition("/")
                problem = bucket_name_problem(bucket)
                if problem:
                    self.add(
                        path + ("dataLocation",),
                        f"bucket name {bucket!r}: {problem}",
                        "use the name of an existing S3 bucket",
                    )
                problem = key_problem(key, allow_prefix=True)
                if problem:
                    self.add(
                        path + ("dataLocation",),
                        f"object key {key!r}: {problem}",
                        "write s3://bucket/folder/file.csv",
                    )
        role = imp.get("roleArn")
        if isinstance(role, str):
            for p in shapes.validate(members["roleArn"], role):
                self.add(
                    path + ("roleArn",),
                    p.message.replace("Member must", "must"),
                    "use arn:aws:iam::<12-digit account>:role/<name>",
                )
        upload = imp.get("uploadFrom")
        if isinstance(upload, str):
            target = (self.base_dir / upload).resolve()
            if not target.is_file():
                what = "is a folder" if target.is_dir() else "does not exist"
                self.add(
                    path + ("uploadFrom",),
                    f"uploadFrom file {upload!r} {what} (looked for {_shown_path(target)})",
                    "give the path of a CSV file, relative to the manifest's folder",
                )
            if isinstance(loc, str) and loc.endswith("/"):
                self.add(
                    path + ("dataLocation",),
                    "with uploadFrom, dataLocation must name one "
                    "object, not a prefix ending in '/'",
                    "write the full key, e.g. s3://bucket/prefix/data.csv",
                )
        self.tags(path + ("tags",), imp.get("tags"))

    def check_solutions(self, dataset_types: dict[str, str]) -> None:
        for name, sol in self.section("solutions").items():
            path = ("solutions", name)
            self.name(path, name, key=True)
            if not isinstance(sol, dict):
                continue
            recipe = sol.get("recipe")
            entry = None
            if isinstance(recipe, str):
                problem = recipes.solution_recipe_problem(recipe)
                if problem:
                    self.add(path + ("recipe",), *problem)
                else:
                    entry = recipes.lookup(recipe)
            config = sol.get("solutionConfig")
            self.shape(path + ("solutionConfig",), "SolutionConfig", config)
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
            needs = (
                "Action_Interactions"
                if entry.recipe_type == recipes.PERSONALIZED_ACTIONS
                else "Interactions"
            )
            if needs not in dataset_types and "datasets" in self.data:
                self.add(
                    path + ("recipe",),
                    f"recipe {entry.name} trains on an {needs} dataset, "
                    "and the manifest declares none",
                    f"add datasets.{needs}",
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
                        "declared solutions: " + ", ".join(solutions)
                        if solutions
                        else "declare it under `solutions:`"
                    )
                    self.add(
                        path + ("solution",),
                        f"solution {sol_name!r} is not declared under `solutions`",
                        hint,
                    )
                elif isinstance(solutions[sol_name], dict) and isinstance(
                    solutions[sol_name].get("recipe"), str
                ):
                    entry = recipes.lookup(solutions[sol_name]["recipe"])
            if entry is not None and entry.recipe_type == recipes.USER_SEGMENTATION:
                self.add(
                    path + ("solution",),
                    f"solution {sol_name!r} uses {entry.name}, a "
                    "USER_SEGMENTATION recipe that serves batch segment jobs only; a "
                    "campaign cannot deploy it",
                    "remove the campaign, or pick another recipe",
                )
            config = camp.get("campaignConfig")
            self.shape(path + ("campaignConfig",), "CampaignConfig", config)
            if isinstance(config, dict):
                self.check_campaign_config(path + ("campaignConfig",), config, entry)
            self.tags(path + ("tags",), camp.get("tags"))

    def check_campaign_config(
        self, path: tuple, config: dict, entry: recipes.Recipe | None
    ) -> None:
        if config.get("syncWithLatestSolutionVersion"):
            self.add(
                path + ("syncWithLatestSolutionVersion",),
                "syncWithLatestSolutionVersion "
                "is not supported: preconcile moves the campaign to each new version itself",
                "remove it; apply updates the campaign after training",
            )
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
                        f"unknown itemExplorationConfig key {k!r}",
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
                    self.add(kpath, f"{k} must be a number written as a string, not {v!r}")
                    continue
                low, high = bounds[k]
                if number < low or (high is not None and number > high):
                    span = (
                        f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
                    )
                    self.add(kpath, f"{k} must be {span}, not {v}")
