"""The local algorithms as pure functions over numpy arrays, and their saved artefacts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import sparse
from synthetic_interactions import generate

from personalize_reconcile.local.training import (
    TrainingFailed,
    load_metrics,
    load_notes,
    load_version_model,
    model_dir,
    train_version,
)
from personalize_reconcile.local.training.als import AlsModel
from personalize_reconcile.local.training.cooccurrence import CooccurrenceModel
from personalize_reconcile.local.training.data import encode, prepare
from personalize_reconcile.local.training.hyperparams import resolve
from personalize_reconcile.local.training.model import load
from personalize_reconcile.local.training.popularity import PopularityModel, TrendingModel

ARN = "arn:aws:personalize:us-east-1:000000000000:solution/sol/{}"


@pytest.fixture(scope="module")
def columns():
    return generate()


@pytest.fixture(scope="module")
def inter(columns):
    return prepare(columns).interactions


def _fit(kind_recipe, inter, config=None):
    settings = resolve(kind_recipe, config)
    cls = {
        "als": AlsModel,
        "sims": CooccurrenceModel,
        "popularity": PopularityModel,
        "trending": TrendingModel,
    }[settings.kind]
    return cls.fit(inter, settings.values, {"settings": settings.values})


def test_als_is_deterministic(inter):
    a = _fit("aws-user-personalization-v2", inter)
    b = _fit("aws-user-personalization-v2", inter)
    assert np.array_equal(a.item_factors, b.item_factors)
    assert np.array_equal(a.user_factors, b.user_factors)


def test_als_result_does_not_depend_on_thread_count(inter, monkeypatch):
    monkeypatch.setenv("PRECONCILE_TRAINING_THREADS", "1")
    one = _fit("aws-user-personalization-v2", inter)
    monkeypatch.setenv("PRECONCILE_TRAINING_THREADS", "2")
    two = _fit("aws-user-personalization-v2", inter)
    assert np.array_equal(one.item_factors, two.item_factors)


def test_als_uses_hidden_dimension(inter):
    m = _fit(
        "aws-user-personalization-v2",
        inter,
        {"algorithmHyperParameters": {"hidden_dimension": "8", "iterations": "3"}},
    )
    assert m.item_factors.shape == (inter.n_items, 8)
    assert m.user_factors.shape == (inter.n_users, 8)


def test_als_scores_are_a_softmax_over_the_catalogue(inter):
    m = _fit("aws-user-personalization-v2", inter)
    scores = m.item_scores_for_user(str(inter.user_ids[0]))
    assert scores.shape == (inter.n_items,)
    assert scores.sum() == pytest.approx(1.0)
    top, top_scores = m.recommend_user(str(inter.user_ids[0]), 25)
    assert len(set(top.tolist())) == 25
    assert list(top_scores) == sorted(top_scores, reverse=True)


def test_als_unknown_user_gets_popular_items(inter):
    m = _fit("aws-user-personalization-v2", inter)
    top, scores = m.recommend_user("nobody", 10)
    assert top.tolist() == m.popular()[:10].tolist()
    assert scores[0] == pytest.approx(m.popularity.max() / m.popularity.sum())


def test_als_fold_in_matches_the_trained_user(inter):
    """A user folded in from their own history ends up near their trained factors."""
    m = _fit("aws-user-personalization-v2", inter)
    from personalize_reconcile.local.training.als import user_item_matrix

    matrix = user_item_matrix(inter)
    folded = m.fold_in(matrix[:5])
    cos = (folded * m.user_factors[:5]).sum(1) / (
        np.linalg.norm(folded, axis=1) * np.linalg.norm(m.user_factors[:5], axis=1)
    )
    assert (cos > 0.95).all()


def test_als_ranking_puts_unknown_items_last_and_sums_to_one(inter):
    m = _fit("aws-personalized-ranking-v2", inter)
    user = str(inter.user_ids[3])
    items = [str(i) for i in inter.item_ids[:10]] + ["never-seen", str(inter.item_ids[0])]
    ranked = m.rank(user, items)
    assert [s for s, _ in ranked][-1] == "never-seen"
    assert ranked[-1][1] is None
    assert len(ranked) == 11  # the duplicate counted once
    assert sum(v for _, v in ranked[:-1]) == pytest.approx(1.0)
    assert [v for _, v in ranked[:-1]] == sorted((v for _, v in ranked[:-1]), reverse=True)


def test_popularity_counts_distinct_users():
    inter = encode(
        np.array(["a", "a", "a", "b", "c"]),
        np.array(["x", "x", "y", "y", "y"]),
        np.arange(5),
        np.ones(5),
    )
    m = _fit("aws-popularity-count", inter)
    assert m.popularity.tolist() == [1, 3]  # x: user a (twice); y: a, b, c
    top, scores = m.recommend_user("anyone", 5)
    assert m.item_ids[top].tolist() == ["y", "x"]
    assert scores is None


def test_trending_ranks_growth_between_the_last_two_intervals():
    day = 86400
    # item "old": 5 events in the previous day, 1 in the last; "new": 0 then 3;
    # "steady": 2 and 2
    rows = (
        [("old", 0.5 * day)] * 5
        + [("old", 1.5 * day)]
        + [("new", 1.5 * day)] * 3
        + [("steady", 0.5 * day)] * 2
        + [("steady", 1.6 * day)] * 2
    )
    items = np.array([r[0] for r in rows])
    stamps = np.array([int(1_600_000_000 + r[1]) for r in rows])
    inter = encode(np.array([f"u{i}" for i in range(len(rows))]), items, stamps, np.ones(len(rows)))
    daily = {"featureTransformationParameters": {"trend_discovery_frequency": "1 day"}}
    m = _fit("aws-trending-now", inter, daily)
    top, scores = m.recommend_user(None, 3)
    assert m.item_ids[top].tolist() == ["new", "steady", "old"]
    growth = dict(zip(m.item_ids.tolist(), m.growth.tolist(), strict=True))
    assert growth == {"new": 3.0, "old": (1 - 5) / 6, "steady": 0.0}
    assert scores.tolist() == sorted(scores.tolist(), reverse=True)


def _pairs(rows):
    users = np.array([u for u, _ in rows])
    items = np.array([i for _, i in rows])
    return encode(users, items, np.arange(len(rows)), np.ones(len(rows)))


def test_sims_min_cointeraction_count():
    # a-b together for 3 users, a-c for 1 user
    rows = [(f"u{k}", x) for k in range(3) for x in ("a", "b")] + [("u9", "a"), ("u9", "c")]
    inter = _pairs(rows)
    config = {
        "featureTransformationParameters": {
            "min_user_history_length_percentile": "0",
            "max_user_history_length_percentile": "1",
        }
    }
    m = _fit("aws-sims", inter, config)
    nb = m.item_ids[m._neighbours_of(m.item_index("a"))].tolist()
    assert nb == ["b"]  # a-c has 1 co-interaction, below the default 3
    config["algorithmHyperParameters"] = {"min_cointeraction_count": "1"}
    m = _fit("aws-sims", inter, config)
    assert m.item_ids[m._neighbours_of(m.item_index("a"))].tolist() == ["b", "c"]


def test_sims_popularity_discount_factor():
    # anchor "a": co-occurs with "pop" for 4 users (pop has 40 users) and "niche" for 2
    # users (niche has 2). Discount 0 ranks by raw count, 1 by count / popularity.
    rows = [(f"u{k}", "a") for k in range(6)]
    rows += [(f"u{k}", "pop") for k in range(4)] + [(f"v{k}", "pop") for k in range(36)]
    rows += [("u4", "niche"), ("u5", "niche")]
    inter = _pairs(rows)
    base = {"min_cointeraction_count": "1"}
    fixed = {"min_user_history_length_percentile": "0", "max_user_history_length_percentile": "1"}

    def order(factor):
        m = _fit(
            "aws-sims",
            inter,
            {
                "algorithmHyperParameters": {**base, "popularity_discount_factor": factor},
                "featureTransformationParameters": fixed,
            },
        )
        return m.item_ids[m._neighbours_of(m.item_index("a"))].tolist()

    assert order("0") == ["pop", "niche"]
    assert order("1") == ["niche", "pop"]


def test_sims_related_fills_with_popular_and_handles_unknown_items(inter):
    m = _fit("aws-sims", inter)
    anchor = str(inter.item_ids[0])
    rel = m.related(anchor, 60)
    assert len(set(rel.tolist())) == 60
    assert m.item_index(anchor) not in rel.tolist()
    assert m.related("unknown-item", 5).tolist() == m.popular()[:5].tolist()


def test_sims_user_history_percentile_drops_heavy_users():
    rows = [(f"u{k}", x) for k in range(3) for x in ("a", "b")]
    rows += [("heavy", f"x{k}") for k in range(30)] + [("heavy", "a")]
    inter = _pairs(rows)
    cfg = {
        "algorithmHyperParameters": {"min_cointeraction_count": "1"},
        "featureTransformationParameters": {"max_user_history_length_percentile": "0.5"},
    }
    m = _fit("aws-sims", inter, cfg)
    assert m.item_ids[m._neighbours_of(m.item_index("a"))].tolist() == ["b"]


@pytest.mark.parametrize(
    "recipe",
    ["aws-user-personalization-v2", "aws-sims", "aws-popularity-count", "aws-trending-now"],
)
def test_artefacts_round_trip(tmp_path, columns, recipe):
    arn = ARN.format("abc12345")
    result = train_version(
        state_dir=tmp_path,
        solution_version_arn=arn,
        recipe_arn=recipe,
        interactions=columns,
        solution_config={"algorithmHyperParameters": {"bptt": "3"}},
    )
    directory = model_dir(tmp_path, arn)
    assert sorted(p.name for p in directory.iterdir()) == [
        "metrics.json",
        "model.json",
        "model.npz",
        "notes.json",
    ]
    assert load_metrics(tmp_path, arn) == result.metrics
    assert load_notes(tmp_path, arn)[-1].endswith("algorithm): bptt")
    again = load(directory)
    first = load_version_model(tmp_path, arn)
    user = str(columns["USER_ID"][0])
    a, sa = first.recommend_user(user, 10)
    b, sb = again.recommend_user(user, 10)
    assert a.tolist() == b.tolist()
    assert (sa is None and sb is None) or np.allclose(sa, sb)
    assert json.loads((directory / "model.json").read_text())["meta"]["recipe"] == recipe


def test_training_twice_gives_the_same_metrics(tmp_path, columns):
    r1 = train_version(
        state_dir=tmp_path,
        solution_version_arn=ARN.format("a1"),
        recipe_arn="aws-user-personalization-v2",
        interactions=columns,
    )
    r2 = train_version(
        state_dir=tmp_path,
        solution_version_arn=ARN.format("a2"),
        recipe_arn="aws-user-personalization-v2",
        interactions=columns,
    )
    assert r1.metrics == r2.metrics
    m1 = load_version_model(tmp_path, ARN.format("a1"))
    m2 = load_version_model(tmp_path, ARN.format("a2"))
    assert np.array_equal(m1.item_factors, m2.item_factors)


def test_model_dir_rejects_arns_that_are_not_versions(tmp_path):
    with pytest.raises(ValueError) as err:
        model_dir(tmp_path, "arn:aws:personalize:us-east-1:1:solution/../../etc")
    assert str(err.value) == (
        "'arn:aws:personalize:us-east-1:1:solution/../../etc' is not a solution version ARN"
    )


def test_an_event_type_absent_from_the_data_is_named_with_the_types_present(tmp_path, columns):
    with pytest.raises(TrainingFailed) as err:
        train_version(
            state_dir=tmp_path,
            solution_version_arn=ARN.format("f1"),
            recipe_arn="aws-sims",
            interactions=columns,
            event_type="Purchase",
        )
    assert err.value.reason == (
        "eventType 'Purchase' matches no event in the Interactions data; its event types are "
        "'click' and 'purchase'; did you mean 'purchase'?"
    )
    assert not model_dir(tmp_path, ARN.format("f1")).exists()


def test_stop_returns_none_without_artefacts(tmp_path, columns):
    out = train_version(
        state_dir=tmp_path,
        solution_version_arn=ARN.format("s1"),
        recipe_arn="aws-popularity-count",
        interactions=columns,
        should_stop=lambda: True,
    )
    assert out is None
    assert not model_dir(tmp_path, ARN.format("s1")).exists()


def test_update_keeps_item_factors_and_adds_new_users_and_items(tmp_path, columns):
    full = ARN.format("f0")
    train_version(
        state_dir=tmp_path,
        solution_version_arn=full,
        recipe_arn="aws-user-personalization",
        interactions=columns,
    )
    more = {k: np.concatenate([v, v[:40]]) for k, v in columns.items()}
    more["USER_ID"][-40:] = "newcomer"
    more["ITEM_ID"][-20:] = "brand-new-item"
    upd = ARN.format("u0")
    result = train_version(
        state_dir=tmp_path,
        solution_version_arn=upd,
        recipe_arn="aws-user-personalization",
        interactions=more,
        training_mode="UPDATE",
        base_version_arn=full,
    )
    base, new = load_version_model(tmp_path, full), load_version_model(tmp_path, upd)
    assert result.metrics == load_metrics(tmp_path, full)
    old_idx = [new.item_index(s) for s in base.item_ids.tolist()]
    assert np.array_equal(new.item_factors[old_idx], base.item_factors)
    assert new.user_index("newcomer") is not None
    assert np.abs(new.item_factors[new.item_index("brand-new-item")]).sum() > 0
    top, _ = new.recommend_user("newcomer", 5)
    assert len(set(top.tolist())) == 5


def test_update_only_for_user_personalization(tmp_path, columns):
    with pytest.raises(TrainingFailed) as err:
        train_version(
            state_dir=tmp_path,
            solution_version_arn=ARN.format("u1"),
            recipe_arn="aws-user-personalization-v2",
            interactions=columns,
            training_mode="UPDATE",
            base_version_arn=ARN.format("f0"),
        )
    assert err.value.reason == (
        "trainingMode UPDATE is only supported for "
        "aws-user-personalization, not aws-user-personalization-v2."
    )


def test_update_needs_a_full_version(tmp_path, columns):
    with pytest.raises(TrainingFailed) as err:
        train_version(
            state_dir=tmp_path,
            solution_version_arn=ARN.format("u2"),
            recipe_arn="aws-user-personalization",
            interactions=columns,
            training_mode="UPDATE",
        )
    assert err.value.reason == (
        "trainingMode UPDATE needs an ACTIVE solution version trained with trainingMode FULL."
    )


def test_top_for_histories_shapes(inter):
    m = _fit("aws-user-personalization-v2", inter)
    hist = sparse.csr_matrix((np.ones(2, np.float32), ([0, 0], [1, 2])), shape=(2, inter.n_items))
    out = m.top_for_histories(hist, np.array([2, -1]), 25)
    assert out.shape == (2, 25)
    assert out[1].tolist() == m.popular()[:25].tolist()  # empty history: popular


def test_top_indices_breaks_ties_at_the_cut_by_lower_index():
    from personalize_reconcile.local.training.model import top_indices

    scores = np.array([1.0, 5.0, 3.0, 3.0, 3.0, 0.0, 3.0])
    assert top_indices(scores, 3).tolist() == [1, 2, 3]
    assert top_indices(scores, 1).tolist() == [1]
    assert top_indices(scores, 10).tolist() == [1, 2, 3, 4, 6, 0, 5]


def test_update_with_a_base_that_has_no_model(tmp_path, columns):
    with pytest.raises(TrainingFailed) as err:
        train_version(
            state_dir=tmp_path,
            solution_version_arn=ARN.format("u3"),
            recipe_arn="aws-user-personalization",
            interactions=columns,
            training_mode="UPDATE",
            base_version_arn=ARN.format("gone"),
        )
    assert err.value.reason == f"{ARN.format('gone')} has no ALS model to update."


def _job(tmp_path, datasets):
    from personalize_reconcile.local import seams

    arn = ARN.format("j1")
    return seams.TrainingJob(
        state_dir=tmp_path,
        account="000000000000",
        region="us-east-1",
        solution_version_arn=arn,
        solution_arn=ARN.format("")[:-1],
        dataset_group_arn="arn:aws:personalize:us-east-1:000000000000:dataset-group/g",
        solution={"recipeArn": "arn:aws:personalize:::recipe/aws-sims"},
        solution_version={"trainingMode": "FULL"},
        datasets=datasets,
        artefact_dir=model_dir(tmp_path, arn),
        should_stop=lambda: False,
    )


def test_seam_without_an_interactions_dataset(tmp_path):
    from personalize_reconcile.local.training import train_solution_version

    with pytest.raises(TrainingFailed) as err:
        train_solution_version(_job(tmp_path, {}))
    assert err.value.reason == (
        "The dataset group has no ACTIVE Interactions dataset; create "
        "one and import interactions before training."
    )


def test_seam_without_imported_rows(tmp_path):
    from personalize_reconcile.local.training import train_solution_version

    ds = {"datasetArn": "arn:aws:personalize:us-east-1:000000000000:dataset/g/INTERACTIONS"}
    with pytest.raises(TrainingFailed) as err:
        train_solution_version(_job(tmp_path, {"INTERACTIONS": ds}))
    assert err.value.reason == (
        "The Interactions dataset holds no imported records; run a dataset import job first."
    )


def test_trend_prediction_accuracy_backtests_the_trend_one_interval_earlier():
    """'up' grows in the middle interval and again in the latest; 'fade' grows in the
    middle one and then falls: half of the predicted trend held."""
    import numpy as np

    from personalize_reconcile.local.training.data import encode
    from personalize_reconcile.local.training.popularity import trend_prediction_accuracy

    hour = 3600
    end = 1_700_000_000
    events = []  # (item, how many, interval: 2 = oldest, 1 = middle, 0 = latest)
    for item, per_interval in (("up", (1, 3, 6)), ("fade", (1, 4, 1))):
        for age, count in zip((2, 1, 0), per_interval, strict=True):
            events += [(item, end - age * hour - 10 - k) for k in range(count)]
    events.append(("up", end))
    users = np.array([f"u{i}" for i in range(len(events))], dtype=object)
    items = np.array([e[0] for e in events], dtype=object)
    stamps = np.array([e[1] for e in events], dtype=np.int64)
    inter = encode(users, items, stamps, np.ones(len(events)))
    assert trend_prediction_accuracy(inter, hour) == 0.5
    assert trend_prediction_accuracy(inter, 10 * hour) == 0.0  # less than three intervals
