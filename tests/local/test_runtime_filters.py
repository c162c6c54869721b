"""Filters, promotions and metadataColumns through boto3 on the local target, over the
planted shop of ``shop_data`` (Popularity-Count ranks ``i00, i01, ..., i39``; GENRE by
K % 3, ``family`` when K % 5 = 0; PRICE K; alice purchased i00, i03 and clicked i05)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from answers import check_answer
from calls import expect_error, wait_for
from domain_data import DomainGroup, ecommerce_rows
from personalize_steps import ROLE
from shop_data import POPULAR, Shop, items_csv

from personalize_reconcile.backends.local import local_client
from personalize_reconcile.local import service as local_service
from personalize_reconcile.local.objectstore import LocalObjectStore

P = "arn:aws:personalize:us-east-1:000000000000:"


def _clients(state_dir: Path):
    made = []
    for service in ("personalize", "personalize-runtime"):
        client = local_client(service, state_dir=state_dir)
        client.meta.events.register("after-call", check_answer)
        made.append(client)
    return made


def _close(state_dir: Path) -> None:
    for key, svc in list(local_service._services.items()):
        if key[0] == Path(state_dir).resolve():
            local_service.close_service(svc)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("shop") / "state"
    personalize, runtime = _clients(state_dir)
    s = Shop(personalize, wait_for, state_dir)
    pop = s.campaign("pop", "aws-popularity-count")
    meta = s.campaign(
        "pop-meta",
        "aws-popularity-count",
        campaignConfig={"enableMetadataWithRecommendations": True},
    )
    yield SimpleNamespace(
        shop=s, p=personalize, rt=runtime, pop=pop, meta=meta, state_dir=state_dir
    )
    _close(state_dir)


def ids(answer: dict, key: str = "itemList") -> list[str]:
    return [i["itemId"] for i in answer[key]]


def recommend(w, filter_arn=None, values=None, user="alice", n=5, **extra) -> list[str]:
    args = dict(campaignArn=w.pop, userId=user, numResults=n, **extra)
    if filter_arn:
        args["filterArn"] = filter_arn
    if values is not None:
        args["filterValues"] = values
    return ids(w.rt.get_recommendations(**args))


def test_without_a_filter_the_planted_ranking(shop):
    assert recommend(shop) == ["i00", "i01", "i02", "i03", "i04"]


def test_include_items_by_a_parameter(shop):
    f = shop.shop.filter("by-genre", "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)")
    assert recommend(shop, f, {"GENRE": '"drama"'}) == ["i01", "i04", "i07", "i10", "i13"]
    assert recommend(shop, f, {"GENRE": '"drama","action"'}) == ["i01", "i02", "i04", "i05", "i07"]
    # a multi-value categorical cell matches any of its values
    assert recommend(shop, f, {"GENRE": '"family"'}) == ["i00", "i05", "i10", "i15", "i20"]


def test_exclude_by_event_type_of_the_users_interactions(shop):
    purchased = shop.shop.filter(
        "not-purchased", 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'
    )
    assert recommend(shop, purchased) == ["i01", "i02", "i04", "i05", "i06"]
    anything = shop.shop.filter("not-seen", 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")')
    assert recommend(shop, anything) == ["i01", "i02", "i04", "i06", "i07"]
    # bob has no interactions: nothing to exclude
    assert recommend(shop, anything, user="bob") == ["i00", "i01", "i02", "i03", "i04"]


def test_include_only_what_the_user_interacted_with(shop):
    seen = shop.shop.filter("seen", 'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")')
    assert recommend(shop, seen) == ["i00", "i03", "i05"]  # numResults is not filled up


def test_comparisons_and_and_or(shop):
    f = shop.shop.filter("pricey", "INCLUDE ItemID WHERE Items.PRICE >= 30")
    assert recommend(shop, f) == ["i30", "i31", "i32", "i33", "i34"]
    f = shop.shop.filter(
        "cheap-family", 'INCLUDE ItemID WHERE Items.PRICE < 10 AND Items.GENRE IN ("family")'
    )
    assert recommend(shop, f) == ["i00", "i05"]
    f = shop.shop.filter("either", 'INCLUDE ItemID WHERE Items.PRICE > 37 OR Items.GENRE = "drama"')
    assert recommend(shop, f, n=20)[-4:] == ["i34", "i37", "i38", "i39"]
    f = shop.shop.filter("not-comedy", 'INCLUDE ItemID WHERE Items.GENRE NOT IN ("comedy")')
    assert recommend(shop, f) == ["i01", "i02", "i04", "i05", "i07"]
    f = shop.shop.filter("under", "EXCLUDE ItemID WHERE Items.PRICE < $MAX")
    assert recommend(shop, f, {"MAX": '"12"'}) == ["i12", "i13", "i14", "i15", "i16"]


def test_if_current_user(shop):
    f = shop.shop.filter(
        "kids", 'INCLUDE ItemID WHERE Items.GENRE IN ("family") IF CurrentUser.AGE < 18'
    )
    assert recommend(shop, f, user="bob") == ["i00", "i05", "i10", "i15", "i20"]
    assert recommend(shop, f, user="alice") == ["i00", "i01", "i02", "i03", "i04"]


def test_expressions_joined_with_a_bar_all_apply(shop):
    f = shop.shop.filter(
        "new-comedy",
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase") '
        '| INCLUDE ItemID WHERE Items.GENRE IN ("comedy")',
    )
    assert recommend(shop, f) == ["i06", "i09", "i12", "i15", "i18"]


def test_exclude_without_its_value_is_skipped_include_is_refused(shop):
    f = shop.shop.filter("hide-genre", "EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)")
    assert recommend(shop, f) == ["i00", "i01", "i02", "i03", "i04"]
    assert recommend(shop, f, {"GENRE": '"comedy"'}) == ["i01", "i02", "i04", "i05", "i07"]
    g = shop.shop.filter("only-genre", "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)")
    expect_error(
        lambda: recommend(shop, g),
        "InvalidInputException",
        f"Filter {g} needs filterValues for $GENRE: every placeholder of an INCLUDE "
        "expression must have a value.",
    )


def test_bad_filter_values_and_unknown_filters(shop):
    f = shop.shop.filter("genre-bad", "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)")
    expect_error(
        lambda: recommend(shop, f, {"GENRE": "drama"}),
        "InvalidInputException",
        "filterValues[GENRE] is 'drama': give one or more double-quoted values joined by "
        'commas, e.g. "\\"comedy\\",\\"drama\\"".',
    )
    p = shop.shop.filter("price-bad", "INCLUDE ItemID WHERE Items.PRICE > $MIN")
    expect_error(
        lambda: recommend(shop, p, {"MIN": '"cheap"'}),
        "InvalidInputException",
        f"Filter {p}: Items.PRICE > needs a number, not 'cheap'.",
    )
    missing = P + "filter/nope"
    expect_error(
        lambda: recommend(shop, missing),
        "ResourceNotFoundException",
        f"Filter {missing} does not exist.",
        status=404,
    )


def test_create_filter_refuses_what_does_not_parse(shop):
    def create(expression):
        return lambda: shop.p.create_filter(
            name="bad", datasetGroupArn=shop.shop.arn, filterExpression=expression
        )

    expect_error(
        create('INCLUDE ItemID WHERE Items.GENRE LIKE "x"'),
        "InvalidInputException",
        "Invalid filter expression at position 34: expected IN, NOT IN or a comparison "
        '(=, !=, <, <=, >, >=), found "LIKE".',
    )
    expect_error(
        create('INCLUDE ItemID WHERE Items.GENRE IN ("x") AND Interactions.EVENT_TYPE IN ("y")'),
        "InvalidInputException",
        "Invalid filter expression at position 47: conditions joined with AND or OR must use "
        "the dataset of the first one (Items), not Interactions.EVENT_TYPE; join them with | "
        "instead.",
    )
    expect_error(
        create('INCLUDE ItemID WHERE Items.GENRE IN ("x"'),
        "InvalidInputException",
        'Invalid filter expression at position 41: expected ")", found the end of the expression.',
    )


def test_promotion_mixes_promoted_items_in(shop):
    action = shop.shop.filter("action", 'INCLUDE ItemID WHERE Items.GENRE IN ("action")')
    promotion = {"name": "push-action", "percentPromotedItems": 30, "filterArn": action}
    answer = shop.rt.get_recommendations(
        campaignArn=shop.pop, userId="alice", numResults=10, promotions=[promotion]
    )["itemList"]
    promoted = [i["itemId"] for i in answer if i.get("promotionName") == "push-action"]
    others = [i["itemId"] for i in answer if "promotionName" not in i]
    assert promoted == ["i02", "i05", "i08"]  # 30 % of 10, in ranked order
    assert others == ["i00", "i01", "i03", "i04", "i06", "i07", "i09"]
    again = shop.rt.get_recommendations(
        campaignArn=shop.pop, userId="alice", numResults=10, promotions=[promotion]
    )["itemList"]
    assert again == answer  # positions are drawn from the request: the same every time
    assert [i["itemId"] for i in answer] == [
        "i00", "i02", "i05", "i01", "i03", "i04", "i06", "i08", "i07", "i09",
    ]  # fmt: skip


def test_promotion_and_request_filter_apply_to_their_own_items(shop):
    comedy = shop.shop.filter("comedy", 'INCLUDE ItemID WHERE Items.GENRE IN ("comedy")')
    cheap = shop.shop.filter("cheap", "INCLUDE ItemID WHERE Items.PRICE < $MAX")
    answer = shop.rt.get_recommendations(
        campaignArn=shop.pop,
        userId="alice",
        numResults=4,
        filterArn=comedy,
        promotions=[
            {
                "name": "cheap",
                "percentPromotedItems": 50,
                "filterArn": cheap,
                "filterValues": {"MAX": '"3"'},
            }
        ],
    )["itemList"]
    assert sorted(i["itemId"] for i in answer if "promotionName" in i) == ["i00", "i01"]
    assert [i["itemId"] for i in answer if "promotionName" not in i] == ["i03", "i06"]
    expect_error(
        lambda: shop.rt.get_recommendations(
            campaignArn=shop.pop,
            userId="alice",
            promotions=[{"name": "p", "percentPromotedItems": 10, "filterArn": cheap}],
        ),
        "InvalidInputException",
        f"Filter {cheap} needs filterValues for $MAX: every placeholder of an INCLUDE "
        "expression must have a value.",
    )


def test_metadata_columns(shop):
    answer = shop.rt.get_recommendations(
        campaignArn=shop.meta,
        userId="alice",
        numResults=3,
        metadataColumns={"ITEMS": ["GENRE", "PRICE"]},
    )["itemList"]
    assert answer == [
        {"itemId": "i00", "metadata": {"GENRE": "comedy|family", "PRICE": "0.0"}},
        {"itemId": "i01", "metadata": {"GENRE": "drama", "PRICE": "1.0"}},
        {"itemId": "i02", "metadata": {"GENRE": "action", "PRICE": "2.0"}},
    ]
    expect_error(
        lambda: shop.rt.get_recommendations(
            campaignArn=shop.pop, userId="alice", metadataColumns={"ITEMS": ["GENRE"]}
        ),
        "InvalidInputException",
        f"metadataColumns needs metadata enabled on campaign {shop.pop}: set "
        "enableMetadataWithRecommendations to true in its configuration.",
    )
    expect_error(
        lambda: shop.rt.get_recommendations(
            campaignArn=shop.meta, userId="alice", metadataColumns={"ITEMS": ["COLOR"]}
        ),
        "InvalidInputException",
        "metadataColumns ITEMS names COLOR, not a column of the Items dataset (its columns: "
        "GENRE, PRICE).",
    )


def test_batch_inference_applies_the_filter_with_each_lines_values(shop):
    f = shop.shop.filter("batch-genre", "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)")
    lines = [
        {"userId": "alice", "filterValues": {"GENRE": '"drama"'}},
        {"userId": "bob", "filterValues": {"GENRE": '"action"'}},
        {"userId": "bob"},
    ]
    LocalObjectStore(shop.state_dir).put(
        "s3://batch/in/users.json", "\n".join(json.dumps(x) for x in lines).encode()
    )
    arn = shop.p.create_batch_inference_job(
        jobName="filtered",
        solutionVersionArn=shop.shop.version,
        filterArn=f,
        numResults=3,
        jobInput={"s3DataSource": {"path": "s3://batch/in/users.json"}},
        jobOutput={"s3DataDestination": {"path": "s3://batch/out/"}},
        roleArn=ROLE,
    )["batchInferenceJobArn"]
    job = wait_for(
        lambda: shop.p.describe_batch_inference_job(batchInferenceJobArn=arn),
        "batchInferenceJob",
    )
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert job["filterArn"] == f
    raw = LocalObjectStore(shop.state_dir).get("s3://batch/out/users.json.out")
    out = [json.loads(x) for x in raw.decode().splitlines()]
    assert [o["output"] for o in out] == [
        {"recommendedItems": ["i01", "i04", "i07"]},
        {"recommendedItems": ["i02", "i05", "i08"]},
        None,
    ]
    assert out[2]["error"] == (
        f"line 3: Filter {f} needs filterValues for $GENRE: every placeholder of an INCLUDE "
        "expression must have a value."
    )


def test_batch_filter_must_exist(shop):
    missing = P + "filter/nope"
    expect_error(
        lambda: shop.p.create_batch_inference_job(
            jobName="no-filter",
            solutionVersionArn=shop.shop.version,
            filterArn=missing,
            jobInput={"s3DataSource": {"path": "s3://batch/in/users.json"}},
            jobOutput={"s3DataDestination": {"path": "s3://batch/out/"}},
            roleArn=ROLE,
        ),
        "ResourceNotFoundException",
    )


def test_an_import_changes_what_a_filter_sees(personalize, runtime, wait, state_dir):
    s = Shop(personalize, wait, state_dir, name="shop2")
    pop = s.campaign("pop2", "aws-popularity-count")
    f = s.filter("drama2", 'INCLUDE ItemID WHERE Items.GENRE IN ("drama")')

    def drama():
        return ids(
            runtime.get_recommendations(campaignArn=pop, userId="bob", numResults=3, filterArn=f)
        )

    assert drama() == ["i01", "i04", "i07"]
    s.load("Items", items_csv(lambda k: "drama" if k >= 30 else "comedy"))
    assert drama() == ["i30", "i31", "i32"]
    assert POPULAR[:3] == ids(
        runtime.get_recommendations(campaignArn=pop, userId="bob", numResults=3)
    )


@pytest.fixture(scope="module")
def models(shop):
    """A ranking campaign and a SIMS campaign on the shop."""
    rank = shop.shop.campaign("rank", "aws-personalized-ranking-v2")
    sims = shop.shop.campaign("sims", "aws-sims")
    return SimpleNamespace(rank=rank, sims=sims)


def test_personalized_ranking_applies_the_filter_and_metadata(shop, models):
    comedy = shop.shop.filter("rank-comedy", 'INCLUDE ItemID WHERE Items.GENRE IN ("comedy")')
    inputs = ["i00", "i01", "i02", "i03", "i04", "i05", "i06"]
    unfiltered = ids(
        shop.rt.get_personalized_ranking(campaignArn=models.rank, userId="alice", inputList=inputs),
        "personalizedRanking",
    )
    answer = shop.rt.get_personalized_ranking(
        campaignArn=models.rank,
        userId="alice",
        inputList=inputs,
        filterArn=comedy,
        metadataColumns={"ITEMS": ["GENRE"]},  # v2 recipes always have metadata enabled
    )["personalizedRanking"]
    assert [i["itemId"] for i in answer] == [i for i in unfiltered if i in ("i00", "i03", "i06")]
    assert {i["itemId"]: i["metadata"] for i in answer} == {
        "i00": {"GENRE": "comedy|family"},
        "i03": {"GENRE": "comedy"},
        "i06": {"GENRE": "comedy"},
    }


def test_current_item_for_related_items(shop, models):
    same = shop.shop.filter("same-genre", "INCLUDE ItemID WHERE Items.GENRE IN (CurrentItem.GENRE)")
    everything = ids(
        shop.rt.get_recommendations(campaignArn=models.sims, itemId="i01", numResults=50)
    )
    dramas = [i for i in everything if int(i[1:]) % 3 == 1]
    answer = ids(
        shop.rt.get_recommendations(
            campaignArn=models.sims, itemId="i01", numResults=50, filterArn=same
        )
    )
    assert answer == dramas
    assert answer  # the planted data gives SIMS dramas related to i01


def test_only_the_100_most_recent_interactions_per_event_type_count(shop):
    viewed = shop.shop.filter("viewed", 'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("view")')
    assert recommend(shop, viewed, user="carol") == ["i00"]


def test_filters_that_cannot_filter_items(shop):
    users = shop.shop.filter("segment", "INCLUDE UserID WHERE Users.AGE > 18")
    expect_error(
        lambda: recommend(shop, users),
        "InvalidInputException",
        f"Filter {users} filters UserID; recommendations need a filter over ItemID.",
    )
    by_user = shop.shop.filter("by-user", "EXCLUDE ItemID WHERE Users.AGE > 18")
    expect_error(
        lambda: recommend(shop, by_user),
        "InvalidInputException",
        f"Filter {by_user} filters items by Users; filter items by Items or Interactions.",
    )


def test_a_filter_of_another_dataset_group(shop):
    other = shop.p.create_dataset_group(name="other")["datasetGroupArn"]
    wait_for(lambda: shop.p.describe_dataset_group(datasetGroupArn=other), "datasetGroup")
    f = shop.p.create_filter(
        name="elsewhere",
        datasetGroupArn=other,
        filterExpression='INCLUDE ItemID WHERE Items.GENRE IN ("x")',
    )["filterArn"]
    expect_error(
        lambda: recommend(shop, f),
        "InvalidInputException",
        f"Filter {f} belongs to dataset group {other}, not to {shop.shop.arn}, the group of "
        "the campaign or recommender.",
    )


def test_a_recommender_applies_filters_and_checks_its_metadata_setting(
    personalize, runtime, wait, state_dir, tmp_path
):
    group = DomainGroup(personalize, wait, state_dir, "ECOMMERCE")
    group.interactions(tmp_path, ecommerce_rows())
    arn = group.recommender("sellers", "aws-ecomm-popular-items-by-purchases")
    assert group.settled(arn)["status"] == "ACTIVE"
    f = personalize.create_filter(
        name="not-bought",
        datasetGroupArn=group.arn,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")',
    )["filterArn"]

    def sellers(user, **extra):
        answer = runtime.get_recommendations(
            recommenderArn=arn, userId=user, numResults=50, **extra
        )
        return ids(answer)

    everything = sellers("u001")
    assert everything[0] == "best"  # u001 bought it (users u000-u179 did)
    bought = {r[1] for r in ecommerce_rows() if r[0] == "u001" and r[2] == "Purchase"}
    assert "best" in bought and len(everything) < 50  # the whole catalogue
    assert sellers("u001", filterArn=f) == [i for i in everything if i not in bought]
    expect_error(
        lambda: sellers("u001", metadataColumns={"ITEMS": ["PRICE"]}),
        "InvalidInputException",
        f"metadataColumns needs metadata enabled on recommender {arn}: set "
        "enableMetadataWithRecommendations to true in its configuration.",
    )
