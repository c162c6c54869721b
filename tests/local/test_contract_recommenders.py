"""Recommenders through boto3 on the local target: create, describe, list, update, stop,
start and delete with the service's statuses and errors, GetRecommendations with
``recommenderArn``, and known answers per use-case family on generated data with planted
patterns (``domain_data``)."""

from __future__ import annotations

import sqlite3

import pytest
from domain_data import (
    INTERACTIONS_FIELDS,
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


def status_of(personalize, arn):
    try:
        return personalize.describe_recommender(recommenderArn=arn)["recommender"]["status"]
    except personalize.exceptions.ResourceNotFoundException:
        return "<gone>"


def steps(personalize, arn, fast_forward, count):
    """The status now, then after each of ``count`` one-step fast-forwards."""
    seen = [status_of(personalize, arn)]
    for _ in range(count):
        fast_forward(arn, one_step=True)
        seen.append(status_of(personalize, arn))
    return seen


def test_statuses_of_create_stop_start_and_delete_in_order(
    shop, make_client, fast_forward, wait, wait_gone, runtime, expect_error
):
    slow = make_client(durations={"recommender": 600})
    arn = slow.create_recommender(
        name="sellers",
        datasetGroupArn=shop.arn,
        recipeArn=R + "aws-ecomm-popular-items-by-purchases",
    )["recommenderArn"]
    assert arn == P + "recommender/sellers"
    assert steps(slow, arn, fast_forward, 1) == ["CREATE PENDING", "CREATE IN_PROGRESS"]
    creating = slow.describe_recommender(recommenderArn=arn)["recommender"]
    assert "modelMetrics" not in creating
    fast_forward(arn)
    assert shop.settled(arn)["status"] == "ACTIVE"

    slow.stop_recommender(recommenderArn=arn)
    assert steps(slow, arn, fast_forward, 2) == ["STOP PENDING", "STOP IN_PROGRESS", "INACTIVE"]
    stopped = slow.describe_recommender(recommenderArn=arn)["recommender"]
    assert set(stopped["modelMetrics"]) == METRIC_KEYS
    expect_error(
        lambda: runtime.get_recommendations(recommenderArn=arn, userId="u001"),
        "ResourceNotFoundException",
        f"Recommender {arn} is not ACTIVE (status INACTIVE); start it with StartRecommender.",
        status=404,
    )
    slow.start_recommender(recommenderArn=arn)
    assert steps(slow, arn, fast_forward, 2) == ["START PENDING", "START IN_PROGRESS", "ACTIVE"]
    assert items_of(runtime.get_recommendations(recommenderArn=arn, userId="u001"))[0] == "best"

    slow.delete_recommender(recommenderArn=arn)
    assert steps(slow, arn, fast_forward, 2) == ["DELETE PENDING", "DELETE IN_PROGRESS", "<gone>"]


def test_stop_start_and_delete_need_the_right_status(shop, make_client, fast_forward, expect_error):
    slow = make_client(durations={"recommender": 600})
    arn = shop.recommender("sellers", "aws-ecomm-popular-items-by-purchases")
    shop.settled(arn)
    expect_error(
        lambda: slow.start_recommender(recommenderArn=arn),
        "ResourceInUseException",
        f"Resource Arn {arn} is in ACTIVE state; only an INACTIVE recommender can be started.",
    )
    slow.stop_recommender(recommenderArn=arn)
    expect_error(
        lambda: slow.stop_recommender(recommenderArn=arn),
        "ResourceInUseException",
        f"Resource Arn {arn} is in STOP PENDING state; only an ACTIVE recommender can be stopped.",
    )
    expect_error(
        lambda: slow.delete_recommender(recommenderArn=arn),
        "ResourceInUseException",
        f"Resource Arn {arn} is in STOP PENDING state and cannot be deleted.",
    )
    expect_error(
        lambda: slow.update_recommender(
            recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 2}
        ),
        "ResourceInUseException",
        f"Resource Arn {arn} is in STOP PENDING state; it must be ACTIVE.",
    )
    fast_forward(arn)
    assert status_of(slow, arn) == "INACTIVE"
    slow.delete_recommender(recommenderArn=arn)  # a stopped recommender can be deleted
    assert status_of(slow, arn) == "DELETE PENDING"


def test_describe_list_and_pagination(shop, personalize, expect_error):
    a = shop.recommender("first", "aws-ecomm-popular-items-by-views")
    b = shop.recommender(
        "second",
        "aws-ecomm-recommended-for-you",
        recommenderConfig={"itemExplorationConfig": {"explorationWeight": "0.5"}},
        tags=[{"tagKey": "team", "tagValue": "shop"}],
    )
    done = shop.settled(a)
    assert {k: done[k] for k in ("name", "recommenderArn", "datasetGroupArn", "recipeArn")} == {
        "name": "first",
        "recommenderArn": a,
        "datasetGroupArn": shop.arn,
        "recipeArn": R + "aws-ecomm-popular-items-by-views",
    }
    assert done["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 1}
    assert "latestRecommenderUpdate" not in done
    shop.settled(b)
    page = personalize.list_recommenders(datasetGroupArn=shop.arn, maxResults=1)
    rest = personalize.list_recommenders(datasetGroupArn=shop.arn, nextToken=page["nextToken"])
    listed = page["recommenders"] + rest["recommenders"]
    assert "nextToken" not in rest
    assert [(r["name"], r["status"], r["recipeArn"]) for r in listed] == [
        ("first", "ACTIVE", R + "aws-ecomm-popular-items-by-views"),
        ("second", "ACTIVE", R + "aws-ecomm-recommended-for-you"),
    ]
    assert listed[1]["recommenderConfig"] == {
        "itemExplorationConfig": {"explorationWeight": "0.5"},
        "minRecommendationRequestsPerSecond": 1,
    }
    assert "modelMetrics" not in listed[0]
    assert (
        personalize.list_recommenders(datasetGroupArn=P + "dataset-group/other")["recommenders"]
        == []
    )
    assert [r["name"] for r in personalize.list_recommenders()["recommenders"]] == [
        "first",
        "second",
    ]
    assert personalize.list_tags_for_resource(resourceArn=b)["tags"] == [
        {"tagKey": "team", "tagValue": "shop"}
    ]
    expect_error(
        lambda: personalize.list_recommenders(datasetGroupArn=shop.arn, nextToken="bad"),
        "InvalidNextTokenException",
        "The nextToken is not valid for this request.",
    )
    expect_error(
        lambda: personalize.describe_recommender(recommenderArn=P + "recommender/none"),
        "ResourceNotFoundException",
        f"Resource Arn {P}recommender/none does not exist.",
    )


def test_update_serves_the_old_config_until_it_is_active(shop, make_client, fast_forward):
    arn = shop.recommender("foryou", "aws-ecomm-recommended-for-you")
    shop.settled(arn)
    slow = make_client(durations={"recommender": 600})
    new = {
        "itemExplorationConfig": {"explorationWeight": "0.1", "explorationItemAgeCutOff": "7"},
        "minRecommendationRequestsPerSecond": 3,
    }
    out = slow.update_recommender(recommenderArn=arn, recommenderConfig=new)
    assert out["recommenderArn"] == arn
    seen = []
    for step in range(3):
        if step:
            fast_forward(arn, one_step=True)
        rec = slow.describe_recommender(recommenderArn=arn)["recommender"]
        seen.append(
            (rec["status"], rec["latestRecommenderUpdate"]["status"], rec["recommenderConfig"])
        )
    old = {"minRecommendationRequestsPerSecond": 1}
    assert seen == [
        ("ACTIVE", "CREATE PENDING", old),
        ("ACTIVE", "CREATE IN_PROGRESS", old),
        ("ACTIVE", "ACTIVE", new),
    ]
    latest = slow.describe_recommender(recommenderArn=arn)["recommender"]["latestRecommenderUpdate"]
    assert latest["recommenderConfig"] == new


def test_a_second_update_while_one_is_pending_is_in_use(shop, make_client, expect_error):
    arn = shop.recommender("foryou", "aws-ecomm-recommended-for-you")
    shop.settled(arn)
    slow = make_client(durations={"recommender": 600})
    slow.update_recommender(
        recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 2}
    )
    expect_error(
        lambda: slow.update_recommender(
            recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 4}
        ),
        "ResourceInUseException",
        f"Resource Arn {arn} has an update in CREATE PENDING state.",
    )


ECOMM_USE_CASES = ", ".join(
    R + "aws-ecomm-" + n
    for n in (
        "customers-who-viewed-x-also-viewed",
        "frequently-bought-together",
        "popular-items-by-purchases",
        "popular-items-by-views",
        "recommended-for-you",
    )
)


def test_only_a_domain_group_with_its_own_use_cases(personalize, wait, expect_error, shop):
    custom = personalize.create_dataset_group(name="custom")["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=custom), "datasetGroup")

    def create(group, use_case):
        return personalize.create_recommender(
            name="r", datasetGroupArn=group, recipeArn=R + use_case
        )

    expect_error(
        lambda: create(custom, "aws-ecomm-recommended-for-you"),
        "InvalidInputException",
        f"Dataset group {custom} has no domain; recommenders need a domain dataset group "
        "(ECOMMERCE or VIDEO_ON_DEMAND). Use a solution and a campaign instead.",
    )
    for other in ("aws-vod-top-picks", "aws-sims"):
        expect_error(
            lambda other=other: create(shop.arn, other),
            "InvalidInputException",
            f"Recipe {R}{other} is not a use case of the ECOMMERCE domain; use one of: "
            f"{ECOMM_USE_CASES}.",
        )
    expect_error(
        lambda: create(P + "dataset-group/none", "aws-ecomm-recommended-for-you"),
        "ResourceNotFoundException",
        f"Resource Arn {P}dataset-group/none does not exist.",
    )
    assert personalize.list_recommenders()["recommenders"] == []


def test_the_use_cases_datasets_must_hold_imported_data(
    personalize, wait, state_dir, tmp_path, expect_error
):
    shop = DomainGroup(personalize, wait, state_dir, "ECOMMERCE", name="empty")
    expect_error(
        lambda: shop.recommender("r", "aws-ecomm-popular-items-by-views"),
        "InvalidInputException",
        "Use case aws-ecomm-popular-items-by-views trains on an Interactions dataset, and "
        f"dataset group {shop.arn} has no ACTIVE one; create it and import data first.",
    )
    ds = shop.dataset("Interactions", INTERACTIONS_FIELDS)
    expect_error(
        lambda: shop.recommender("r", "aws-ecomm-popular-items-by-views"),
        "InvalidInputException",
        f"Use case aws-ecomm-popular-items-by-views trains on the Interactions dataset {ds}, "
        "which has no finished import; import data into it first.",
    )
    vod = DomainGroup(personalize, wait, state_dir, "VIDEO_ON_DEMAND", name="tv")
    vod.interactions(tmp_path, vod_rows())
    expect_error(
        lambda: vod.recommender("r", "aws-vod-more-like-x"),
        "InvalidInputException",
        "Use case aws-vod-more-like-x trains on an Items dataset, and dataset group "
        f"{vod.arn} has no ACTIVE one; create it and import data first.",
    )


BAD_CONFIGS = [
    (
        "aws-ecomm-frequently-bought-together",
        {"itemExplorationConfig": {"explorationWeight": "0.3"}},
        "itemExplorationConfig is only supported by the aws-ecomm-recommended-for-you and "
        "aws-vod-top-picks use cases, not aws-ecomm-frequently-bought-together.",
    ),
    (
        "aws-ecomm-recommended-for-you",
        {"itemExplorationConfig": {"explorationWeight": "2"}},
        "itemExplorationConfig.explorationWeight must be between 0 and 1.",
    ),
    (
        "aws-ecomm-recommended-for-you",
        {"itemExplorationConfig": {"weight": "0.2"}},
        "Unknown itemExplorationConfig key 'weight'; valid keys: explorationWeight, "
        "explorationItemAgeCutOff.",
    ),
    (
        "aws-ecomm-recommended-for-you",
        {"trainingDataConfig": {"excludedDatasetColumns": {"INTERACTIONS": ["NOPE"]}}},
        "recommenderConfig.trainingDataConfig.excludedDatasetColumns.INTERACTIONS: NOPE is "
        "not a field of the INTERACTIONS dataset's schema.",
    ),
    (
        "aws-ecomm-recommended-for-you",
        {"trainingDataConfig": {"includedDatasetColumns": {"ITEMS": ["PRICE"]}}},
        "recommenderConfig.trainingDataConfig.includedDatasetColumns.ITEMS: dataset group "
        f"{P}dataset-group/shop has no ITEMS dataset.",
    ),
]


@pytest.mark.parametrize("use_case,config,message", BAD_CONFIGS)
def test_bad_recommender_configs(shop, expect_error, use_case, config, message):
    expect_error(
        lambda: shop.recommender("r", use_case, recommenderConfig=config),
        "InvalidInputException",
        message,
    )
    assert shop.p.list_recommenders()["recommenders"] == []


def test_names_quota_and_what_recommenders_block(
    shop, personalize, make_client, expect_error, wait_gone
):
    slow = make_client(durations={"recommender": 600})

    def create(name):
        return slow.create_recommender(
            name=name, datasetGroupArn=shop.arn, recipeArn=R + "aws-ecomm-popular-items-by-views"
        )["recommenderArn"]

    first = create("r0")
    expect_error(
        lambda: create("r0"),
        "ResourceAlreadyExistsException",
        f"Another resource with Arn {first} already exists.",
    )
    dataset = P + "dataset/shop/INTERACTIONS"
    expect_error(
        lambda: personalize.delete_dataset(datasetArn=dataset),
        "ResourceInUseException",
        f"Resource Arn {dataset} is in use by {first}.",
    )
    for i in range(1, 5):
        create(f"r{i}")
    expect_error(
        lambda: create("r5"),
        "LimitExceededException",
        f"Dataset group {shop.arn} already has 5 recommenders, the limit.",
    )
    expect_error(
        lambda: personalize.delete_recommender(recommenderArn=first),
        "ResourceInUseException",
        f"Resource Arn {first} is in CREATE PENDING state and cannot be deleted.",
    )


def test_a_group_with_a_recommender_cannot_be_deleted(shop, personalize, expect_error, wait_gone):
    arn = shop.recommender("r", "aws-ecomm-popular-items-by-views")
    shop.settled(arn)
    dataset = P + "dataset/shop/INTERACTIONS"
    personalize.delete_dataset(datasetArn=dataset)
    wait_gone(lambda: personalize.describe_dataset(datasetArn=dataset))
    expect_error(
        lambda: personalize.delete_dataset_group(datasetGroupArn=shop.arn),
        "ResourceInUseException",
        f"Resource Arn {shop.arn} is in use by {arn}.",
    )
    personalize.delete_recommender(recommenderArn=arn)
    wait_gone(lambda: personalize.describe_recommender(recommenderArn=arn))
    personalize.delete_dataset_group(datasetGroupArn=shop.arn)
    wait_gone(lambda: personalize.describe_dataset_group(datasetGroupArn=shop.arn))


def test_a_missing_event_type_fails_training_with_a_reason(
    personalize, wait, state_dir, tmp_path, runtime, expect_error
):
    views_only = DomainGroup(personalize, wait, state_dir, "ECOMMERCE", name="views")
    views_only.interactions(tmp_path, ecommerce_rows(purchases=False))
    arn = views_only.recommender("bought", "aws-ecomm-frequently-bought-together")
    failed = views_only.settled(arn)
    assert (failed["status"], failed["failureReason"]) == (
        "CREATE FAILED",
        "Use case aws-ecomm-frequently-bought-together needs at least 1000 Purchase events in "
        "the Interactions dataset; it has 0 (event types are compared without regard to case).",
    )
    assert "modelMetrics" not in failed
    expect_error(
        lambda: runtime.get_recommendations(recommenderArn=arn, itemId="kettle"),
        "ResourceNotFoundException",
        f"Recommender {arn} is not ACTIVE (status CREATE FAILED).",
        status=404,
    )
    # the same use case over lower-case event types trains
    lower = [(u, i, e.lower(), t) for u, i, e, t in ecommerce_rows()]
    other = DomainGroup(personalize, wait, state_dir, "ECOMMERCE", name="lower")
    other.interactions(tmp_path, lower)
    ok = other.settled(other.recommender("bought-lower", "aws-ecomm-frequently-bought-together"))
    assert ok["status"] == "ACTIVE"


def test_get_recommendations_asks_for_the_ids_the_use_case_needs(shop, runtime, expect_error):
    bought = shop.recommender("bought", "aws-ecomm-frequently-bought-together")
    sellers = shop.recommender("sellers", "aws-ecomm-popular-items-by-purchases")
    shop.settled(bought)
    shop.settled(sellers)
    expect_error(
        lambda: runtime.get_recommendations(recommenderArn=bought, userId="u001"),
        "InvalidInputException",
        "itemId is required for a recommender that uses aws-ecomm-frequently-bought-together.",
    )
    expect_error(
        lambda: runtime.get_recommendations(recommenderArn=sellers),
        "InvalidInputException",
        "userId is required for a recommender that uses aws-ecomm-popular-items-by-purchases.",
    )
    expect_error(
        lambda: runtime.get_recommendations(
            recommenderArn=sellers, campaignArn=P + "campaign/c", userId="u001"
        ),
        "InvalidInputException",
        "Provide either a campaignArn or a recommenderArn, not both.",
    )
    expect_error(
        lambda: runtime.get_recommendations(recommenderArn=P + "recommender/none", userId="u1"),
        "ResourceNotFoundException",
        f"Recommender {P}recommender/none does not exist.",
        status=404,
    )
    # an unknown user gets the best sellers; no userId is needed to ask about an item
    assert items_of(runtime.get_recommendations(recommenderArn=sellers, userId="new"))[0] == (
        "best"
    )
    answer = runtime.get_recommendations(recommenderArn=bought, itemId="kettle", numResults=3)
    assert len(answer["itemList"]) == 3
    assert answer["recommendationId"].startswith("RID-")


def test_a_stop_or_start_left_without_a_job_finishes_at_start(shop, state_dir, make_client):
    stopping = shop.recommender("stopping", "aws-ecomm-popular-items-by-views")
    starting = shop.recommender("starting", "aws-ecomm-popular-items-by-purchases")
    shop.settled(stopping)
    shop.settled(starting)
    # a hand-edited database: a stop and a start under way with no job row
    db = sqlite3.connect(state_dir / "state.db")
    db.execute("UPDATE resources SET status='STOP IN_PROGRESS' WHERE arn=?", (stopping,))
    db.execute("UPDATE resources SET status='START PENDING' WHERE arn=?", (starting,))
    db.commit()
    db.close()
    fresh = make_client(durations={"recommender": 1})  # a new service sweeps at its start
    assert [status_of(fresh, a) for a in (stopping, starting)] == ["INACTIVE", "ACTIVE"]


def test_the_group_must_be_active(make_client, expect_error):
    slow = make_client(durations={"dataset-group": 600})
    group = slow.create_dataset_group(name="later", domain="ECOMMERCE")["datasetGroupArn"]
    expect_error(
        lambda: slow.create_recommender(
            name="r", datasetGroupArn=group, recipeArn=R + "aws-ecomm-recommended-for-you"
        ),
        "ResourceInUseException",
        f"Resource Arn {group} is in CREATE PENDING state; it must be ACTIVE.",
    )
