"""personalize-runtime handlers called directly (reference §8), over models trained on the
synthetic data; the campaigns and versions they serve are rows of the local target's real
state store (written directly, without the control plane's waits). The same behaviour
through boto3 is in test_runtime_boto3.py."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from synthetic_interactions import generate

from personalize_reconcile.local import runtime
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.exceptions import (
    InvalidInputException,
    ResourceNotFoundException,
)
from personalize_reconcile.local.service import close_service, get_service
from personalize_reconcile.local.store import Resource
from personalize_reconcile.local.training import load_version_model, train_version

PFX = "arn:aws:personalize:us-east-1:000000000000:"
RECIPES = {
    "up": "aws-user-personalization-v2",
    "rank": "aws-personalized-ranking-v2",
    "sims": "aws-sims",
    "pop": "aws-popularity-count",
    "trend": "aws-trending-now",
}


class Rows:
    """Writes rows into the real state store of ``service``."""

    def __init__(self, service):
        self.store = service.store

    def add(self, arn, kind, status, body, parent=None):
        now = time.time()
        res = Resource(arn, kind, "000000000000", "us-east-1", None, parent, None, status, now, now)
        res.body = body
        with self.store.write() as conn:
            self.store.insert(conn, res)

    def set_body(self, arn, **fields):
        res = self.store.get(arn)
        res.body.update(fields)
        with self.store.write() as conn:
            self.store.save(conn, res)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    cols = generate()
    service = get_service(state, start=False)
    rows = Rows(service)
    for key, recipe in RECIPES.items():
        sol = f"{PFX}solution/{key}"
        ver = f"{sol}/v0000001"
        train_version(
            state_dir=state, solution_version_arn=ver, recipe_arn=recipe, interactions=cols
        )
        rows.add(sol, "solution", "ACTIVE", {"recipeArn": f"arn:aws:personalize:::recipe/{recipe}"})
        rows.add(
            ver,
            "solution-version",
            "ACTIVE",
            {"recipeArn": f"arn:aws:personalize:::recipe/{recipe}", "solutionArn": sol},
            parent=sol,
        )
        rows.add(
            f"{PFX}campaign/{key}", "campaign", "ACTIVE", {"solutionVersionArn": ver}, parent=sol
        )
    ctx = RequestContext("000000000000", "us-east-1", service)
    yield SimpleNamespace(ctx=ctx, store=rows, state=state, cols=cols)
    close_service(service)


def rec(world, **params):
    return runtime.dispatch(world.ctx, "GetRecommendations", params)


def camp(key):
    return f"{PFX}campaign/{key}"


def test_user_personalization_known_user(world):
    user = str(world.cols["USER_ID"][0])
    out = rec(world, campaignArn=camp("up"), userId=user)
    ids = [i["itemId"] for i in out["itemList"]]
    assert len(ids) == 25 and len(set(ids)) == 25
    assert set(ids) <= set(world.cols["ITEM_ID"].tolist())
    scores = [i["score"] for i in out["itemList"]]
    assert scores == sorted(scores, reverse=True)
    assert 0 < sum(scores) < 1  # a share of a softmax over the whole catalogue
    assert out["recommendationId"].startswith("RID-")


def test_user_personalization_unknown_user_gets_popular_items(world):
    out = rec(world, campaignArn=camp("up"), userId="made-up-user", numResults=10)
    model = load_version_model(world.state, f"{PFX}solution/up/v0000001")
    assert [i["itemId"] for i in out["itemList"]] == model.item_ids[model.popular()[:10]].tolist()


def test_num_results(world):
    user = str(world.cols["USER_ID"][0])
    assert len(rec(world, campaignArn=camp("up"), userId=user, numResults=3)["itemList"]) == 3
    assert rec(world, campaignArn=camp("up"), userId=user, numResults=0)["itemList"] == []
    # more than the catalogue: the whole catalogue
    assert len(rec(world, campaignArn=camp("up"), userId=user, numResults=500)["itemList"]) == 80


def test_num_results_over_500(world):
    with pytest.raises(InvalidInputException) as err:
        rec(world, campaignArn=camp("up"), userId="u", numResults=501)
    assert err.value.message == (
        "1 validation error detected: Value '501' at 'numResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 500"
    )


def test_num_results_over_50_with_metadata(world):
    with pytest.raises(InvalidInputException) as err:
        rec(
            world,
            campaignArn=camp("up"),
            userId="u",
            numResults=51,
            metadataColumns={"ITEMS": ["GENRE"]},
        )
    assert err.value.message == (
        "1 validation error detected: Value '51' at 'numResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 50"
    )


def test_popularity_has_no_scores(world):
    out = rec(world, campaignArn=camp("pop"), userId="anyone")
    assert len(out["itemList"]) == 25
    assert all(set(i) == {"itemId"} for i in out["itemList"])


def test_trending_needs_no_user_and_has_scores(world):
    out = rec(world, campaignArn=camp("trend"))
    assert len(out["itemList"]) == 25
    assert all("score" in i for i in out["itemList"])


def test_sims_related_items_without_scores(world):
    item = str(world.cols["ITEM_ID"][0])
    out = rec(world, campaignArn=camp("sims"), itemId=item)
    ids = [i["itemId"] for i in out["itemList"]]
    assert len(set(ids)) == 25 and item not in ids
    assert all(set(i) == {"itemId"} for i in out["itemList"])
    unknown = rec(world, campaignArn=camp("sims"), itemId="no-such-item", numResults=5)
    model = load_version_model(world.state, f"{PFX}solution/sims/v0000001")
    assert [i["itemId"] for i in unknown["itemList"]] == model.item_ids[
        model.popular()[:5]
    ].tolist()


def test_sims_needs_item_id(world):
    with pytest.raises(InvalidInputException) as err:
        rec(world, campaignArn=camp("sims"), userId="u1")
    assert err.value.message == "itemId is required for a campaign that uses aws-sims."


def test_user_personalization_needs_user_id(world):
    with pytest.raises(InvalidInputException) as err:
        rec(world, campaignArn=camp("up"))
    assert err.value.message == (
        "userId is required for a campaign that uses aws-user-personalization-v2."
    )


def test_ranking_campaign_refuses_get_recommendations(world):
    with pytest.raises(InvalidInputException) as err:
        rec(world, campaignArn=camp("rank"), userId="u1")
    assert err.value.message == (
        f"Campaign {camp('rank')} uses aws-personalized-ranking-v2, a PERSONALIZED_RANKING "
        "recipe; call GetPersonalizedRanking instead."
    )


def test_unknown_campaign_is_not_found(world):
    with pytest.raises(ResourceNotFoundException) as err:
        rec(world, campaignArn=camp("nope"), userId="u1")
    assert err.value.message == f"Campaign {camp('nope')} does not exist."
    assert err.value.runtime_status == 404


def test_campaign_not_active(world):
    world.store.add(
        camp("pending"),
        "campaign",
        "CREATE IN_PROGRESS",
        {"solutionVersionArn": f"{PFX}solution/up/v0000001"},
    )
    with pytest.raises(ResourceNotFoundException) as err:
        rec(world, campaignArn=camp("pending"), userId="u1")
    assert err.value.message == (
        f"Campaign {camp('pending')} is not ACTIVE (status CREATE IN_PROGRESS)."
    )


def test_campaign_and_recommender_together(world):
    with pytest.raises(InvalidInputException) as err:
        rec(world, campaignArn=camp("up"), recommenderArn=f"{PFX}recommender/r", userId="u")
    assert err.value.message == "Provide either a campaignArn or a recommenderArn, not both."


def test_neither_campaign_nor_recommender(world):
    with pytest.raises(InvalidInputException) as err:
        rec(world, userId="u")
    assert err.value.message == "Provide a campaignArn or a recommenderArn."


def test_recommender_is_not_found(world):
    with pytest.raises(ResourceNotFoundException) as err:
        rec(world, recommenderArn=f"{PFX}recommender/r", userId="u")
    assert err.value.message == f"Recommender {PFX}recommender/r does not exist."


def test_an_unknown_filter_is_not_found(world):
    with pytest.raises(ResourceNotFoundException) as err:
        rec(world, campaignArn=camp("up"), userId="u", filterArn=f"{PFX}filter/f")
    assert err.value.message == f"Filter {PFX}filter/f does not exist."


def test_a_promotion_needs_a_filter(world):
    with pytest.raises(InvalidInputException) as err:
        rec(
            world,
            campaignArn=camp("up"),
            userId="u",
            promotions=[{"name": "p", "percentPromotedItems": 10}],
        )
    assert err.value.message == (
        "promotions[0].filterArn is required: it names the filter that picks the promoted items."
    )


def test_version_without_model(world):
    world.store.add(
        f"{PFX}solution/up/vempty",
        "solution-version",
        "ACTIVE",
        {"recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization-v2"},
        parent=f"{PFX}solution/up",
    )
    world.store.add(
        camp("empty"), "campaign", "ACTIVE", {"solutionVersionArn": f"{PFX}solution/up/vempty"}
    )
    with pytest.raises(ResourceNotFoundException) as err:
        rec(world, campaignArn=camp("empty"), userId="u")
    assert err.value.message == f"Solution version {PFX}solution/up/vempty has no trained model."


def test_latest_alias_serves_the_newest_active_version(world):
    world.store.add(
        camp("latest"), "campaign", "ACTIVE", {"solutionVersionArn": f"{PFX}solution/pop/$LATEST"}
    )
    out = rec(world, campaignArn=camp("latest"), userId="u", numResults=3)
    assert len(out["itemList"]) == 3


def test_campaign_serves_the_version_it_points_to(world):
    """After UpdateCampaign turns ACTIVE the top-level solutionVersionArn changes, and
    the answers follow it."""
    world.store.add(
        camp("moving"), "campaign", "ACTIVE", {"solutionVersionArn": f"{PFX}solution/pop/v0000001"}
    )
    first = rec(world, campaignArn=camp("moving"), userId="u")
    assert len(first["itemList"]) == 25
    assert all("score" not in i for i in first["itemList"])
    world.store.set_body(camp("moving"), solutionVersionArn=f"{PFX}solution/up/v0000001")
    second = rec(world, campaignArn=camp("moving"), userId="u")
    assert len(second["itemList"]) == 25
    assert all("score" in i for i in second["itemList"])


def test_campaign_follows_a_change_committed_by_another_connection(world):
    """The runtime remembers resolved campaigns; a change committed on another thread's
    connection (a job finishing an UpdateCampaign) still switches the version served."""
    world.store.add(
        camp("moved-elsewhere"),
        "campaign",
        "ACTIVE",
        {"solutionVersionArn": f"{PFX}solution/pop/v0000001"},
    )
    first = rec(world, campaignArn=camp("moved-elsewhere"), userId="u")
    assert all("score" not in i for i in first["itemList"])
    assert (
        rec(world, campaignArn=camp("moved-elsewhere"), userId="u")["itemList"]
        == (first["itemList"])
    )

    def move():
        world.store.set_body(
            camp("moved-elsewhere"), solutionVersionArn=f"{PFX}solution/up/v0000001"
        )
        world.store.store.release()

    worker = threading.Thread(target=move)
    worker.start()
    worker.join()
    second = rec(world, campaignArn=camp("moved-elsewhere"), userId="u")
    assert all("score" in i for i in second["itemList"])


def rank(world, **params):
    return runtime.dispatch(world.ctx, "GetPersonalizedRanking", params)


def test_personalized_ranking(world):
    user = str(world.cols["USER_ID"][0])
    items = sorted(set(world.cols["ITEM_ID"].tolist()))[:20] + ["never-seen"]
    out = rank(world, campaignArn=camp("rank"), userId=user, inputList=items)
    ranked = out["personalizedRanking"]
    assert sorted(i["itemId"] for i in ranked) == sorted(items)
    assert ranked[-1] == {"itemId": "never-seen"}
    assert sum(i["score"] for i in ranked[:-1]) == pytest.approx(1.0)
    assert out["recommendationId"].startswith("RID-")


def test_personalized_ranking_unknown_user_still_ranks(world):
    items = sorted(set(world.cols["ITEM_ID"].tolist()))[:5]
    ranked = rank(world, campaignArn=camp("rank"), userId="new-user", inputList=items)[
        "personalizedRanking"
    ]
    assert sum(i["score"] for i in ranked) == pytest.approx(1.0)


def test_personalized_ranking_input_list_too_long(world):
    with pytest.raises(InvalidInputException) as err:
        rank(world, campaignArn=camp("rank"), userId="u", inputList=["x"] * 501)
    assert err.value.message == (
        "1 validation error detected: Value '[501 items]' at 'inputList' failed to satisfy "
        "constraint: Member must have length less than or equal to 500"
    )


def test_personalized_ranking_on_a_user_personalization_campaign(world):
    with pytest.raises(InvalidInputException) as err:
        rank(world, campaignArn=camp("up"), userId="u", inputList=["a"])
    assert err.value.message == (
        f"Campaign {camp('up')} uses aws-user-personalization-v2, which is not a "
        "PERSONALIZED_RANKING recipe; call GetRecommendations instead."
    )


def test_action_recommendations_need_a_next_best_action_campaign(world):
    with pytest.raises(InvalidInputException) as err:
        runtime.dispatch(world.ctx, "GetActionRecommendations", {"campaignArn": camp("up")})
    assert err.value.message == (
        f"Campaign {camp('up')} uses aws-user-personalization-v2, which is not a "
        "PERSONALIZED_ACTIONS recipe; call GetRecommendations instead."
    )
