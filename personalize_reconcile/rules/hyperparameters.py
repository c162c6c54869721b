"""The hyperparameters each custom recipe takes, their checks and their canonical form.

One job: know, per recipe of the catalogue (:mod:`personalize_reconcile.rules.recipes`),
which names ``solutionConfig.algorithmHyperParameters``,
``featureTransformationParameters`` and ``hpoConfig.algorithmHyperParameterRanges`` may
use, with their type, documented range, default and other spellings; check a
solutionConfig against that (:func:`config_problems`) and fold it into one canonical form
(:func:`canonical_config`) so that equal settings compare equal (design §4: "a false diff
is a bug"). Pure: no boto3, no I/O.

Callers: ``manifest/checks.py`` (``validate``), ``resources/solution.py`` (both sides of
the solution diff), the local target's CreateSolution (``local/control/solutions.py``)
and its trainer (``local/training/hyperparams.py``).

Sources, one per table (the recipe pages of the Amazon Personalize Developer Guide,
``https://docs.aws.amazon.com/personalize/latest/dg/<page>``; reference §6):

- ``native-recipe-user-personalization-v2.html`` and
  ``native-recipe-personalized-ranking-v2.html``: ``apply_recency_bias`` only.
- ``native-recipe-new-item-USER_PERSONALIZATION.html`` and ``native-recipe-search.html``
  (User-Personalization, Personalized-Ranking): ``hidden_dimension``, ``bptt``,
  ``recency_mask`` and the two user-history percentiles. The User-Personalization page
  also lists ``exploration_weight`` and ``exploration_item_age_cut_off`` under the
  campaign's item exploration configuration; they are modelled as deprecated solution
  keys whose replacement is the campaign's ``itemExplorationConfig`` (reference §7).
- ``native-recipe-sims.html``: four featurization percentiles and two algorithm
  hyperparameters. The page's own example spells the user-history percentiles
  ``min_hist_length_percentile`` / ``max_hist_length_percentile``; these are the only
  other key spellings modelled.
- ``native-recipe-similar-items.html``: ``item_id_hidden_dimension`` and
  ``item_metadata_hidden_dimension``, which the page says are set through HPO ranges only.
- ``native-recipe-trending-now.html``: ``trend_discovery_frequency`` (a
  featureTransformationParameters key) with the values ``30 minutes``, ``1 hour``,
  ``2 hours``, ``3 hours``, ``1 day`` and the default ``2 hours``; the earlier edition of
  the page wrote ``30 min``, ``1h`` and ``3h``, folded here into the current spellings.
- ``native-recipe-next-best-action.html``: ``action_optimization_period``; no HPO.
- ``item-affinity-recipe.html``, ``item-attribute-affinity-recipe.html``:
  ``hidden_dimension``; no HPO.
- ``native-recipe-popularity.html``, ``native-recipe-semantic-similarity.html``: no
  exposed hyperparameters.

The guide gives no other alias lists, and none are invented here. Number spellings
(``"10"``, ``"10.0"``, ``"1e1"``) are compared as numbers for numeric hyperparameters,
and Boolean ones case-insensitively (the guide writes both ``True`` and ``true``).

Local extensions: the local target's ALS (``local/training``) also reads ``iterations``,
``regularization``, ``alpha`` and ``random_seed``, and, on the v2 recipes, whose pages
document none of them, ``hidden_dimension`` and the user-history percentiles. They are
accepted here (marked ``local``) so manifests that tune local training stay valid;
Amazon Personalize does not document them (docs/local-target.md).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from personalize_reconcile.rules.problems import PathPart, Problem, listed, shown

INTEGER = "integer"
CONTINUOUS = "continuous"
BOOLEAN = "boolean"
CATEGORICAL = "categorical"

ALGORITHM = "algorithmHyperParameters"
FEATURIZATION = "featureTransformationParameters"
MAPS = (ALGORITHM, FEATURIZATION)
"""The two string -> string maps of solutionConfig that carry hyperparameters."""

RANGE_KEYS = {
    INTEGER: "integerHyperParameterRanges",
    CONTINUOUS: "continuousHyperParameterRanges",
    CATEGORICAL: "categoricalHyperParameterRanges",
}
"""The list under ``hpoConfig.algorithmHyperParameterRanges`` for each value type; Boolean
hyperparameters are tuned as categorical ones (``values: ["true", "false"]``)."""

GUIDE = "https://docs.aws.amazon.com/personalize/latest/dg/"

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def canonical_number(text: str) -> str:
    """Write a number given as text the shortest way: ``"10.0"`` and ``"1e1"`` -> ``"10"``,
    ``"0.50"`` -> ``"0.5"``. Text that is not a finite number is returned unchanged."""
    if not isinstance(text, str) or not _NUMBER.fullmatch(text.strip()):
        return text
    number = float(text)
    if not math.isfinite(number):
        return text
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter of a recipe.

    Attributes:
        name: the canonical key (``hidden_dimension``).
        kind: INTEGER, CONTINUOUS, BOOLEAN or CATEGORICAL.
        default: the value the service uses when the key is left out, in canonical
            spelling (``"149"``, ``"0.99"``, ``"true"``), or ``None`` if undocumented.
        low, high: the documented inclusive range of a numeric one, or ``None``.
        values: the allowed values of a categorical one, canonical spellings.
        value_aliases: other spellings of allowed values -> the canonical one.
        tunable: whether HPO may tune it (the table's "HPO tunable").
        hpo_only: the page says it is set through HPO ranges only.
        aliases: other spellings of the key that the source uses.
        local: a local-target extension that Amazon Personalize does not document.
    """

    name: str
    kind: str
    default: str | None = None
    low: float | None = None
    high: float | None = None
    values: tuple[str, ...] = ()
    value_aliases: Mapping[str, str] = field(default_factory=dict)
    tunable: bool = False
    hpo_only: bool = False
    aliases: tuple[str, ...] = ()
    local: bool = False

    def span(self) -> str:
        """The documented range in words: ``between 32 and 256``, ``at least 0``."""
        if self.low is not None and self.high is not None:
            return f"between {_written(self.low)} and {_written(self.high)}"
        if self.low is not None:
            return f"at least {_written(self.low)}"
        return f"at most {_written(self.high)}"


def _written(number: float) -> str:
    """A bound as people write it: ``2147483647``, ``0.5``, ``1000000``; an integer too
    large for a float is cut like any long value (:func:`shown`)."""
    if isinstance(number, int):
        return shown(number)
    return str(int(number)) if number.is_integer() else f"{number:g}"


@dataclass(frozen=True)
class RecipeHyperparameters:
    """The hyperparameter table of one recipe.

    Attributes:
        recipe: the recipe's short name.
        source: the Developer Guide page the table comes from.
        params: the hyperparameters, service ones first, then local extensions.
        hpo: whether the recipe supports HPO at all.
        deprecated: deprecated key -> what to set instead.
    """

    recipe: str
    source: str
    params: tuple[Hyperparameter, ...]
    hpo: bool = True
    deprecated: Mapping[str, str] = field(default_factory=dict)

    def by_name(self) -> dict[str, Hyperparameter]:
        """Every accepted key (canonical names and aliases) -> its hyperparameter."""
        out: dict[str, Hyperparameter] = {}
        for p in self.params:
            out[p.name] = p
            for alias in p.aliases:
                out[alias] = p
        return out

    def names(self) -> list[str]:
        """The canonical names, in table order."""
        return [p.name for p in self.params]


def _int(name: str, default: int | None, low: float, high: float, **kw: Any) -> Hyperparameter:
    return Hyperparameter(name, INTEGER, None if default is None else str(default), low, high, **kw)


def _float(name: str, default: float | None, low: float, high: float | None, **kw: Any):
    return Hyperparameter(
        name,
        CONTINUOUS,
        None if default is None else canonical_number(str(default)),
        low,
        high,
        **kw,
    )


def _percentiles(
    min_default: float | None, max_default: float | None, **kw: Any
) -> tuple[Hyperparameter, ...]:
    """The two user-history percentiles (0-1) with their defaults."""
    min_alias = kw.pop("min_aliases", ())
    max_alias = kw.pop("max_aliases", ())
    return (
        _float(
            "min_user_history_length_percentile", min_default, 0.0, 1.0, aliases=min_alias, **kw
        ),
        _float(
            "max_user_history_length_percentile", max_default, 0.0, 1.0, aliases=max_alias, **kw
        ),
    )


_RECENCY_BIAS = Hyperparameter("apply_recency_bias", BOOLEAN, "true")

_ALS_LOCAL = (
    _int("iterations", None, 1, 200, local=True),
    _float("regularization", None, 0.0, 1000.0, local=True),
    _float("alpha", None, 0.0, 1e6, local=True),
    _int("random_seed", None, 0, 2**31 - 1, local=True),
)
"""What the local ALS reads besides the service's names (``local/training/hyperparams.py``);
no default here: the service has none to fill in."""

_V2_LOCAL = (
    _int("hidden_dimension", None, 1, 1024, local=True),
    *_percentiles(None, None, local=True),
    *_ALS_LOCAL,
)

_HRNN_FAMILY = (
    _int("hidden_dimension", 149, 32, 256, tunable=True),
    _int("bptt", 32, 2, 32, tunable=True),
    Hyperparameter("recency_mask", BOOLEAN, "true", tunable=True),
    *_percentiles(0.0, 0.99),
)

_TREND_VALUES = ("30 minutes", "1 hour", "2 hours", "3 hours", "1 day")

TABLES: dict[str, RecipeHyperparameters] = {
    t.recipe: t
    for t in (
        RecipeHyperparameters(
            "aws-user-personalization-v2",
            GUIDE + "native-recipe-user-personalization-v2.html",
            (_RECENCY_BIAS, *_V2_LOCAL),
        ),
        RecipeHyperparameters(
            "aws-user-personalization",
            GUIDE + "native-recipe-new-item-USER_PERSONALIZATION.html",
            (*_HRNN_FAMILY, *_ALS_LOCAL),
            deprecated={
                "exploration_weight": "set campaignConfig.itemExplorationConfig."
                "explorationWeight on the campaign instead",
                "exploration_item_age_cut_off": "set campaignConfig.itemExplorationConfig."
                "explorationItemAgeCutOff on the campaign instead",
            },
        ),
        RecipeHyperparameters(
            "aws-personalized-ranking-v2",
            GUIDE + "native-recipe-personalized-ranking-v2.html",
            (_RECENCY_BIAS, *_V2_LOCAL),
        ),
        RecipeHyperparameters(
            "aws-personalized-ranking",
            GUIDE + "native-recipe-search.html",
            (*_HRNN_FAMILY, *_ALS_LOCAL),
        ),
        RecipeHyperparameters("aws-popularity-count", GUIDE + "native-recipe-popularity.html", ()),
        RecipeHyperparameters(
            "aws-trending-now",
            GUIDE + "native-recipe-trending-now.html",
            (
                Hyperparameter(
                    "trend_discovery_frequency",
                    CATEGORICAL,
                    "2 hours",
                    values=_TREND_VALUES,
                    value_aliases={"30 min": "30 minutes", "1h": "1 hour", "3h": "3 hours"},
                ),
            ),
        ),
        RecipeHyperparameters(
            "aws-sims",
            GUIDE + "native-recipe-sims.html",
            (
                _float("popularity_discount_factor", 0.5, 0.0, 1.0, tunable=True),
                _int("min_cointeraction_count", 3, 0, 10, tunable=True),
                *_percentiles(
                    0.005,
                    0.995,
                    min_aliases=("min_hist_length_percentile",),
                    max_aliases=("max_hist_length_percentile",),
                ),
                _float("min_item_interaction_count_percentile", 0.01, 0.0, 1.0),
                _float("max_item_interaction_count_percentile", 0.9, 0.0, 1.0),
            ),
        ),
        RecipeHyperparameters(
            "aws-similar-items",
            GUIDE + "native-recipe-similar-items.html",
            (
                _int("item_id_hidden_dimension", 100, 30, 200, tunable=True, hpo_only=True),
                _int("item_metadata_hidden_dimension", 100, 30, 200, tunable=True, hpo_only=True),
                # the local target trains Similar-Items with its SIMS co-occurrence
                _float("popularity_discount_factor", None, 0.0, 1.0, local=True),
                _int("min_cointeraction_count", None, 0, 10, local=True),
                *_percentiles(None, None, local=True),
            ),
        ),
        RecipeHyperparameters(
            "aws-semantic-similarity", GUIDE + "native-recipe-semantic-similarity.html", ()
        ),
        RecipeHyperparameters(
            "aws-next-best-action",
            GUIDE + "native-recipe-next-best-action.html",
            (_int("action_optimization_period", 14, 7, 28),),
            hpo=False,
        ),
        RecipeHyperparameters(
            "aws-item-affinity",
            GUIDE + "item-affinity-recipe.html",
            (_int("hidden_dimension", 149, 32, 256),),
            hpo=False,
        ),
        RecipeHyperparameters(
            "aws-item-attribute-affinity",
            GUIDE + "item-attribute-affinity-recipe.html",
            (_int("hidden_dimension", 149, 32, 256),),
            hpo=False,
        ),
    )
}
"""Every custom recipe's table, by short name (reference §6)."""


# -- values --------------------------------------------------------------------------------


def canonical_value(param: Hyperparameter, value: Any) -> Any:
    """``value`` of ``param`` in canonical spelling: numbers the shortest way, Booleans in
    lower case, categorical aliases folded. A value that is not of the type is returned
    unchanged (the checks report it)."""
    if not isinstance(value, str):
        return value
    if param.kind in (INTEGER, CONTINUOUS):
        return canonical_number(value)
    if param.kind == BOOLEAN:
        lowered = value.strip().lower()
        return lowered if lowered in ("true", "false") else value
    if param.kind == CATEGORICAL:
        return param.value_aliases.get(value, value)
    return value


def _value_problem(recipe: str, param: Hyperparameter, value: str) -> tuple[str, str | None]:
    """``(message, hint)`` for a value ``param`` cannot take, or ``("", None)``."""
    name = param.name
    if param.kind in (INTEGER, CONTINUOUS):
        number = None
        if _NUMBER.fullmatch(value.strip()):
            number = float(value)
        if number is None or not math.isfinite(number):
            what = "a whole number" if param.kind == INTEGER else "a number"
            return (
                f"{name} must be {what} written as a string, not {shown(value)}",
                f"for example {shown(param.default or str(int(param.low or 0)))}",
            )
        if param.kind == INTEGER and not number.is_integer():
            return f"{name} must be a whole number, not {shown(value)}", None
        if (param.low is not None and number < param.low) or (
            param.high is not None and number > param.high
        ):
            return (
                f"{name} must be {param.span()}, not {shown(value)}",
                _range_hint(recipe, param),
            )
        return "", None
    if param.kind == BOOLEAN:
        if value.strip().lower() not in ("true", "false"):
            return f"{name} must be 'true' or 'false', not {shown(value)}", None
        return "", None
    if canonical_value(param, value) not in param.values:
        return (
            f"{name} must be one of "
            + ", ".join(repr(v) for v in param.values)
            + f", not {shown(value)}",
            None,
        )
    return "", None


def _range_hint(recipe: str, param: Hyperparameter) -> str:
    if param.local:
        return f"the local target's range for {recipe}"
    default = f" (default {param.default})" if param.default is not None else ""
    return f"the service's range for {recipe}{default}"


# -- checks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HyperparameterProblem(Problem):
    """A :class:`Problem` that also says whether it is about a key (``on_key``: point at
    the key, not its value)."""

    on_key: bool = False


def _unknown(
    table: RecipeHyperparameters, path: tuple[PathPart, ...], name: str
) -> HyperparameterProblem:
    known = table.names()
    if not known:
        return HyperparameterProblem(
            path,
            f"{table.recipe} has no hyperparameters, so it cannot take {shown(name)}",
            "remove it",
            on_key=True,
        )
    close = difflib.get_close_matches(name, list(table.by_name()), n=1, cutoff=0.6)
    hint = (
        f"did you mean {shown(table.by_name()[close[0]].name)}?"
        if close
        else f"{table.recipe} takes " + listed(known, 20)
    )
    return HyperparameterProblem(
        path, f"{table.recipe} has no hyperparameter {shown(name)}", hint, on_key=True
    )


def config_problems(
    recipe: str, perform_hpo: bool, config: Mapping[str, Any] | None, *, local: bool = True
) -> list[HyperparameterProblem]:
    """Check the hyperparameters of a solutionConfig for ``recipe`` (short name).

    Args:
        recipe: the recipe's short name; a recipe without a table is not checked.
        perform_hpo: the solution's ``performHPO``.
        local: whether the local target's own hyperparameters are accepted (for the
            local target; ``False`` for AWS, which does not document them).
        config: the solutionConfig (wrong types inside are skipped: the shape check
            reports them).

    Returns:
        Every problem, paths relative to the solutionConfig, in document order:
        unknown keys (with a did-you-mean or the recipe's list), deprecated keys with
        their replacement, values that are not of the type or outside the documented
        range, HPO-only keys given a fixed value, HPO ranges while ``performHPO`` is
        false, ranges for recipes or keys HPO cannot tune, ranges under the wrong type,
        ``minValue`` above ``maxValue`` and bounds outside the documented range.
        Source: the recipe pages named in this module's docstring (reference §6).
    """
    table = TABLES.get(recipe)
    if table is None or not isinstance(config, Mapping):
        return []
    out: list[HyperparameterProblem] = []
    params = table.by_name()
    for section in MAPS:
        given = config.get(section)
        if not isinstance(given, Mapping):
            continue
        for name, value in given.items():
            if not isinstance(name, str):
                continue  # the shape check reports a key that is not a string
            path = (section, name)
            if name in table.deprecated:
                out.append(
                    HyperparameterProblem(
                        path,
                        f"{name} is deprecated as a hyperparameter of {recipe}",
                        table.deprecated[name],
                        on_key=True,
                    )
                )
                continue
            param = params.get(name)
            if param is None:
                out.append(_unknown(table, path, name))
                continue
            if param.local and not local:
                out.append(
                    HyperparameterProblem(
                        path,
                        f"{name} is read by the local target only; Amazon Personalize does "
                        f"not document it for {recipe}",
                        "remove it from a manifest for --target aws",
                        on_key=True,
                    )
                )
                continue
            if not isinstance(value, str):
                continue
            if param.hpo_only:
                out.append(
                    HyperparameterProblem(
                        path,
                        f"{name} is only set through HPO on {recipe}",
                        f"set performHPO: true and give it a range under "
                        f"hpoConfig.algorithmHyperParameterRanges.{RANGE_KEYS[param.kind]}",
                        on_key=True,
                    )
                )
                continue
            message, hint = _value_problem(recipe, param, value)
            if message:
                out.append(HyperparameterProblem(path, message, hint))
    out.extend(_range_problems(table, perform_hpo, config))
    return out


def _range_problems(
    table: RecipeHyperparameters, perform_hpo: bool, config: Mapping[str, Any]
) -> list[HyperparameterProblem]:
    hpo = config.get("hpoConfig")
    ranges = hpo.get("algorithmHyperParameterRanges") if isinstance(hpo, Mapping) else None
    if not isinstance(ranges, Mapping) or not any(
        isinstance(v, list) and v for v in ranges.values()
    ):
        return []
    base: tuple[PathPart, ...] = ("hpoConfig", "algorithmHyperParameterRanges")
    recipe = table.recipe
    if not table.hpo:
        return [
            HyperparameterProblem(
                base,
                f"{recipe} does not support hyperparameter optimisation",
                "remove hpoConfig.algorithmHyperParameterRanges",
                on_key=True,
            )
        ]
    out: list[HyperparameterProblem] = []
    if not perform_hpo:
        out.append(
            HyperparameterProblem(
                base,
                "hyperparameter ranges are given but performHPO is false, so the service "
                "would not tune them",
                "set performHPO: true, or remove hpoConfig.algorithmHyperParameterRanges",
                on_key=True,
            )
        )
    params = table.by_name()
    for kind, key in RANGE_KEYS.items():
        entries = ranges.get(key)
        if not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
                continue
            path = (*base, key, i)
            name = entry["name"]
            param = params.get(name)
            if param is None:
                problem = _unknown(table, (*path, "name"), name)
                out.append(HyperparameterProblem(problem.path, problem.message, problem.hint))
                continue
            if not param.tunable:
                out.append(
                    HyperparameterProblem(
                        (*path, "name"),
                        f"{param.name} cannot be tuned by HPO on {recipe}",
                        "give it one fixed value instead, or leave it out",
                    )
                )
                continue
            wanted = CATEGORICAL if param.kind == BOOLEAN else param.kind
            if wanted != kind:
                out.append(
                    HyperparameterProblem(
                        (*path, "name"),
                        f"{param.name} is {'an' if wanted == INTEGER else 'a'} {wanted} "
                        f"hyperparameter, so its range belongs under {RANGE_KEYS[wanted]}",
                        f"move this entry to {RANGE_KEYS[wanted]}",
                    )
                )
                continue
            out.extend(_bounds_problems(recipe, param, path, entry))
    return out


def _bounds_problems(
    recipe: str, param: Hyperparameter, path: tuple[PathPart, ...], entry: Mapping[str, Any]
) -> list[HyperparameterProblem]:
    if param.kind in (INTEGER, CONTINUOUS):
        low, high = entry.get("minValue"), entry.get("maxValue")
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high))
        if not numbers:
            return []
        if low > high:
            return [
                HyperparameterProblem(
                    (*path, "minValue"),
                    f"the range of {param.name} has minValue {_written(low)} above maxValue "
                    f"{_written(high)}",
                    "swap minValue and maxValue",
                )
            ]
        for bound, value in (("minValue", low), ("maxValue", high)):
            if (param.low is not None and value < param.low) or (
                param.high is not None and value > param.high
            ):
                return [
                    HyperparameterProblem(
                        (*path, bound),
                        f"{bound} of {param.name} must be {param.span()}, not {_written(value)}",
                        _range_hint(recipe, param),
                    )
                ]
        return []
    values = entry.get("values")
    if not isinstance(values, list):
        return []
    for j, value in enumerate(values):
        if isinstance(value, str):
            message, hint = _value_problem(recipe, param, value)
            if message:
                return [HyperparameterProblem((*path, "values", j), message, hint)]
    return []


# -- canonical form ------------------------------------------------------------------------


def canonical_config(recipe: str | None, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return ``config`` (a solutionConfig) with its hyperparameters in canonical form.

    For a recipe with a table (``recipe`` a short name or ARN): keys under
    ``algorithmHyperParameters`` and ``featureTransformationParameters`` that are aliases
    take their canonical name; values of numeric, Boolean and categorical hyperparameters
    take their canonical spelling (:func:`canonical_value`); a value equal to the
    documented default is dropped, as the service fills it in; and HPO range names are
    folded the same way. Other keys and recipes are returned as they are (a shallow copy);
    the input is never changed. Used on both sides of the solution diff, so an alias, a
    number spelling or a filled-in default never plans a replacement.
    """
    out = dict(config or {})
    name = recipe.rsplit("/", 1)[-1] if isinstance(recipe, str) else None
    table = TABLES.get(name) if name else None
    if table is None:
        return out
    params = table.by_name()
    for section in MAPS:
        given = out.get(section)
        if not isinstance(given, Mapping):
            continue
        folded: dict[str, Any] = {}
        for key, value in given.items():
            param = params.get(key)
            if param is None:
                folded[key] = value
                continue
            value = canonical_value(param, value)
            if param.default is not None and value == param.default:
                continue
            folded[param.name] = value
        out[section] = folded
    hpo = out.get("hpoConfig")
    ranges = hpo.get("algorithmHyperParameterRanges") if isinstance(hpo, Mapping) else None
    if isinstance(ranges, Mapping):
        new_ranges: dict[str, Any] = {}
        for key, entries in ranges.items():
            if isinstance(entries, list):
                entries = [_canonical_range(params, e) for e in entries]
            new_ranges[key] = entries
        out["hpoConfig"] = {**hpo, "algorithmHyperParameterRanges": new_ranges}
    return out


def _canonical_range(params: dict[str, Hyperparameter], entry: Any) -> Any:
    if not isinstance(entry, Mapping) or entry.get("name") not in params:
        return entry
    param = params[entry["name"]]
    folded = dict(entry, name=param.name)
    if isinstance(entry.get("values"), list):
        folded["values"] = [canonical_value(param, v) for v in entry["values"]]
    return folded
