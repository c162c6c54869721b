"""Checks of the manifest's ``recommenders:`` section.

One job: what the service would refuse about a recommender, found before any API call
(reference §2, §6, §7, §9): recommenders only in a domain dataset group, the recipe a use
case of that group's domain (with a "did you mean"), the datasets the use case trains on
declared, ``recommenderConfig`` against botocore's ``RecommenderConfig`` shape and
``itemExplorationConfig`` only for the use cases that take it. The count quota (5 per
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
        checker.tags(path + ("tags",), rec.get("tags"))
