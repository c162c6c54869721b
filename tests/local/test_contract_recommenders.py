"""Recommenders through boto3 on the local target: create, describe, list, update, stop,
start and delete with the service's statuses and errors, GetRecommendations with
``recommenderArn``, and known answers per use-case family on generated data with planted
patterns (``domain_data``)."""

from __future__ import annotations

import pytest
from domain_data import (
    VOD_ITEMS_FIELDS,
    DomainGroup,
    ecommerce_rows,
    vod_items,
    vod_rows,
)

P = "arn:aws:personalize:us-east-1:000000000000:"
R = "arn:aws:personalize:::recipe/"
METRIC_KEYS = {
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
}


@pytest.fixture
def shop(personalize, wait, state_dir, tmp_path):
    """An ECOMMERCE group with the generated interactions imported."""
    group = DomainGroup(personalize, wait, state_dir, "ECOMMERCE")
    group.interactions(tmp_path, ecommerce_rows())
    return group


def items_of(answer: dict) -> list[str]:
    return [i["itemId"] for i in answer["itemList"]]


def test_ecommerce_use_cases_find_the_planted_patterns(shop, runtime):
    names = {
        "bought": "aws-ecomm-frequently-bought-together",
        "sellers": "aws-ecomm-popular-items-by-purchases",
        "viewed": "aws-ecomm-popular-items-by-views",
        "also": "aws-ecomm-customers-who-viewed-x-also-viewed",
        "foryou": "aws-ecomm-recommended-for-you",
    }
    arns = {key: shop.recommender(key, use_case) for key, use_case in names.items()}
    for key, arn in arns.items():
        done = shop.settled(arn)
        assert (key, done["status"], done.get("failureReason")) == (key, "ACTIVE", None)
        assert set(done["modelMetrics"]) == METRIC_KEYS

    def ask(key, **ids):
        return runtime.get_recommendations(recommenderArn=arns[key], numResults=5, **ids)

    assert items_of(ask("bought", itemId="kettle"))[0] == "teapot"
    assert items_of(ask("bought", itemId="teapot"))[0] == "kettle"
    assert items_of(ask("also", userId="u001", itemId="phone"))[0] == "case"
    sellers = ask("sellers", userId="u001")
    assert items_of(sellers)[0] == "best"
    assert "score" not in sellers["itemList"][0]
    assert items_of(ask("viewed", userId="u001"))[0] == "looked"
    # a user of the "a" cluster gets "a" items, one of the "b" cluster "b" items
    for user, own, other in (("u000", "a", "b"), ("u001", "b", "a")):
        picks = items_of(ask("foryou", userId=user))
        assert sum(i.startswith(own) for i in picks) >= 3, picks
        assert not any(i.startswith(other) and i[1:].isdigit() for i in picks), picks


def test_vod_use_cases_find_the_planted_patterns(personalize, wait, state_dir, tmp_path, runtime):
    vod = DomainGroup(personalize, wait, state_dir, "VIDEO_ON_DEMAND", name="tv")
    vod.interactions(tmp_path, vod_rows())
    items = vod.dataset("Items", VOD_ITEMS_FIELDS)
    vod.load(items, tmp_path, ["ITEM_ID", "CREATION_TIMESTAMP", "GENRES", "MATURITY"], vod_items())
    names = {
        "watched": "aws-vod-because-you-watched-x",
        "like": "aws-vod-more-like-x",
        "popular": "aws-vod-most-popular",
        "trending": "aws-vod-trending-now",
        "picks": "aws-vod-top-picks",
    }
    arns = {key: vod.recommender(key, use_case) for key, use_case in names.items()}
    for key, arn in arns.items():
        done = vod.settled(arn)
        assert (key, done["status"], done.get("failureReason")) == (key, "ACTIVE", None)

    def ask(key, **ids):
        return runtime.get_recommendations(recommenderArn=arns[key], numResults=5, **ids)

    assert items_of(ask("watched", userId="u100", itemId="pilot"))[0] == "finale"
    assert items_of(ask("like", userId="u100", itemId="finale"))[0] == "pilot"
    assert items_of(ask("popular", userId="u100"))[0] == "hit"
    trending = ask("trending", userId="u100")
    assert items_of(trending)[0] == "rising"
    assert trending["itemList"][0]["score"] > 0
    for user, own, other in (("u000", "a", "b"), ("u001", "b", "a")):
        picks = items_of(ask("picks", userId=user))
        assert sum(i.startswith(own) for i in picks) >= 3, picks
        assert not any(i.startswith(other) and i[1:].isdigit() for i in picks), picks
