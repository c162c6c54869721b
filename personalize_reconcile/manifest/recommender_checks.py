"""Checks of the manifest's ``recommenders:`` section.

One job: what the service would refuse about a recommender, found before any API call
(reference §2, §6, §7, §9): recommenders only in a domain dataset group, the recipe a use
case of that group's domain (with a "did you mean"), the datasets the use case trains on
declared, ``recommenderConfig`` against botocore's ``RecommenderConfig`` shape and
``itemExplorationConfig`` only for the use cases that take it, and the columns
``trainingDataConfig`` names fields of the declared schemas. The count quota (5 per
group) is checked with the others by :meth:`Checker.check_quotas`.

Called by :meth:`personalize_reconcile.manifest.checks.Checker.run`.
"""

from __future__ import annotations

import difflib
from typing import Any

from personalize_reconcile.rules import avro, usecases
from personalize_reconcile.rules.problems import listed, shown


def check_recommenders(checker: Any, dataset_types: dict[str, str]) -> None:
    """Add a diagnostic to ``checker`` for every problem of ``recommenders:``.

    Args:
        checker: the :class:`~personalize_reconcile.manifest.checks.Checker` collecting
            diagnostics (``add``, ``name``, ``shape``, ``tags``, ``section``).
        dataset_types: ``{dataset type: schema name}`` of the sound declared datasets.

    Messages (each at the entry's ``file:line``):
        ``recommenders need a domain dataset group; datasetGroup.domain is not set`` (hint:
        set ``datasetGroup.domain`` or use a solution and a campaign);
        ``recipe 'x' is not a use case of the ECOMMERCE domain`` (hint: did you mean, or
        the domain's use cases); ``use case <name> trains on an Items dataset, and the
        manifest declares none``; ``itemExplorationConfig is only supported by the ...
        use cases, not <name>``.
    """
    section = checker.section("recommenders")
    if not section:
        return
    group = checker.section("datasetGroup")
    raw_domain = group.get("domain")
    domain = avro.api_domain(raw_domain) if isinstance(raw_domain, str) else None
    for name, rec in section.items():
        path = ("recommenders", name)
        checker.name(path, name, key=True)
        if not isinstance(rec, dict):
            continue
        if domain is None:
            checker.add(
                path,
                "recommenders need a domain dataset group; datasetGroup.domain is not set",
                "set datasetGroup.domain to ECOMMERCE or VIDEO_ON_DEMAND, or use a solution "
                "and a campaign instead",
                key=True,
            )
            continue
        recipe = rec.get("recipe")
        use_case = None
        if isinstance(recipe, str) and not checker.literal_reference(path + ("recipe",), recipe):
            use_case = usecases.lookup(recipe)
            if use_case is None or use_case.domain != domain:
                names = [u.name for u in usecases.of_domain(domain)]
                close = difflib.get_close_matches(recipe.rsplit("/", 1)[-1], names, n=1, cutoff=0.6)
                checker.add(
                    path + ("recipe",),
                    f"recipe {shown(recipe)} is not a use case of the {domain} domain",
                    f"did you mean {shown(close[0])}?" if close else f"use one of {listed(names)}",
                )
                use_case = None
        if use_case is not None:
            for dtype in use_case.datasets:
                word = usecases.dataset_word(dtype)
                if word not in dataset_types:
                    checker.add(
                        path + ("recipe",),
                        f"use case {use_case.name} trains on an {word} dataset, and the "
                        "manifest declares none",
                        f"add datasets.{word}",
                    )
        config = rec.get("recommenderConfig")
        checker.shape(path + ("recommenderConfig",), "RecommenderConfig", config)
        if (
            use_case is not None
            and isinstance(config, dict)
            and config.get("itemExplorationConfig")
            and not use_case.exploration
        ):
            takers = [u.name for u in usecases.USE_CASES.values() if u.exploration]
            checker.add(
                path + ("recommenderConfig", "itemExplorationConfig"),
                "itemExplorationConfig is only supported by the "
                f"{' and '.join(takers)} use cases, not {use_case.name}",
                "remove itemExplorationConfig",
                key=True,
            )
        if isinstance(config, dict) and isinstance(config.get("trainingDataConfig"), dict):
            _check_columns(
                checker, path + ("recommenderConfig", "trainingDataConfig"),
                config["trainingDataConfig"], dataset_types,
            )  # fmt: skip
        checker.tags(path + ("tags",), rec.get("tags"))


def _check_columns(checker: Any, path: tuple, training: dict, dataset_types: dict) -> None:
    """The columns ``trainingDataConfig`` names must be fields of the declared schema of
    that dataset type (CreateRecommender refuses others, reference §7)."""
    for member in ("excludedDatasetColumns", "includedDatasetColumns"):
        columns_by_type = training.get(member)
        if not isinstance(columns_by_type, dict):
            continue
        for dtype, columns in columns_by_type.items():
            at = path + (member, dtype)
            api_type = avro.canonical_dataset_type(str(dtype))
            schema = dataset_types.get(api_type or "")
            if schema is None:
                checker.add(
                    at,
                    f"the manifest declares no {dtype} dataset",
                    f"add datasets.{api_type or dtype}, or remove {dtype} here",
                    key=True,
                )
                continue
            doc = checker.schema_docs.get(schema)
            if doc is None or not isinstance(columns, list):
                continue
            try:
                fields = [f.name for f in avro.parse_fields(doc.data)]
            except ValueError:
                continue  # the schema's own problems are reported where it is
            for i, column in enumerate(columns):
                if isinstance(column, str) and column not in fields:
                    checker.add(
                        at + (i,),
                        f"{column} is not a field of the {api_type} schema {schema}",
                        "fields there: " + ", ".join(fields),
                    )
