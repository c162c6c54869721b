"""Hyperparameters: used where the local algorithm has a meaning for them, else ignored."""

from __future__ import annotations

import pytest

from personalize_reconcile.local.training import TrainingFailed
from personalize_reconcile.local.training.hyperparams import resolve


def test_als_defaults():
    s = resolve("aws-user-personalization-v2", None)
    assert s.kind == "als"
    assert s.values["hidden_dimension"] == 32
    assert s.values["iterations"] == 15
    assert s.ignored == ()


def test_als_reads_hidden_dimension_and_reports_unknown_names():
    s = resolve(
        "aws-user-personalization",
        {
            "algorithmHyperParameters": {
                "hidden_dimension": "48",
                "bptt": "32",
                "recency_mask": "true",
                "iterations": "5",
            },
        },
    )
    assert s.values["hidden_dimension"] == 48
    assert s.values["iterations"] == 5
    assert s.ignored == ("bptt", "recency_mask")


def test_sims_reads_its_documented_hyperparameters():
    s = resolve(
        "aws-sims",
        {
            "algorithmHyperParameters": {
                "popularity_discount_factor": "0.2",
                "min_cointeraction_count": "1",
            },
            "featureTransformationParameters": {"max_user_history_length_percentile": "0.9"},
        },
    )
    assert s.kind == "sims"
    assert s.values["popularity_discount_factor"] == 0.2
    assert s.values["min_cointeraction_count"] == 1
    assert s.values["max_user_history_length_percentile"] == 0.9
    assert s.values["min_user_history_length_percentile"] == 0.005


def test_popularity_ignores_everything():
    s = resolve("aws-popularity-count", {"algorithmHyperParameters": {"hidden_dimension": "8"}})
    assert s.kind == "popularity"
    assert s.ignored == ("hidden_dimension",)


def test_trending_interval():
    s = resolve(
        "aws-trending-now",
        {"featureTransformationParameters": {"trend_discovery_frequency": "1 hour"}},
    )
    assert s.values["interval_seconds"] == 3600
    # the service's default (the Trending-Now page): 2 hours
    assert resolve("aws-trending-now", None).values["interval_seconds"] == 7200


def test_trending_interval_short_spellings_of_the_earlier_guide():
    for spelling, seconds in (("30 min", 1800), ("1h", 3600), ("3h", 10800)):
        config = {"featureTransformationParameters": {"trend_discovery_frequency": spelling}}
        s = resolve("aws-trending-now", config)
        assert (s.values["trend_discovery_frequency"], s.values["interval_seconds"]) == (
            {"30 min": "30 minutes", "1h": "1 hour", "3h": "3 hours"}[spelling],
            seconds,
        )


def test_bad_trending_interval():
    with pytest.raises(TrainingFailed) as err:
        resolve(
            "aws-trending-now",
            {"featureTransformationParameters": {"trend_discovery_frequency": "2 days"}},
        )
    assert err.value.reason == (
        "Hyperparameter trend_discovery_frequency must be one of "
        "30 minutes, 1 hour, 2 hours, 3 hours, 1 day, got '2 days'."
    )


def test_not_an_integer():
    with pytest.raises(TrainingFailed) as err:
        resolve(
            "aws-user-personalization-v2",
            {"algorithmHyperParameters": {"hidden_dimension": "lots"}},
        )
    assert err.value.reason == "Hyperparameter hidden_dimension must be an integer, got 'lots'."


def test_not_a_number():
    with pytest.raises(TrainingFailed) as err:
        resolve("aws-sims", {"algorithmHyperParameters": {"popularity_discount_factor": "x"}})
    assert err.value.reason == (
        "Hyperparameter popularity_discount_factor must be a number, got 'x'."
    )


def test_out_of_range():
    with pytest.raises(TrainingFailed) as err:
        resolve("aws-sims", {"algorithmHyperParameters": {"popularity_discount_factor": "1.5"}})
    assert err.value.reason == (
        "Hyperparameter popularity_discount_factor must be between 0 and 1, got '1.5'."
    )


def test_percentiles_out_of_order():
    with pytest.raises(TrainingFailed) as err:
        resolve(
            "aws-sims",
            {
                "featureTransformationParameters": {
                    "min_user_history_length_percentile": "0.9",
                    "max_user_history_length_percentile": "0.5",
                }
            },
        )
    assert err.value.reason == (
        "Hyperparameter min_user_history_length_percentile must not "
        "exceed max_user_history_length_percentile."
    )


def test_recipe_not_trainable_locally():
    with pytest.raises(TrainingFailed) as err:
        resolve("aws-semantic-similarity", None)
    assert err.value.reason == (
        "The local target cannot train recipe aws-semantic-similarity; it trains "
        "aws-item-affinity, aws-item-attribute-affinity, aws-next-best-action, "
        "aws-personalized-ranking, aws-personalized-ranking-v2, aws-popularity-count, "
        "aws-similar-items, aws-sims, aws-trending-now, aws-user-personalization, "
        "aws-user-personalization-v2."
    )


def test_sims_reads_the_short_spelling_of_the_history_percentiles():
    s = resolve(
        "aws-sims",
        {"featureTransformationParameters": {"max_hist_length_percentile": "0.9"}},
    )
    assert (s.values["max_user_history_length_percentile"], s.ignored) == (0.9, ())
