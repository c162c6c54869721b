"""Recommenders of a domain dataset group: ``examples/domain.yaml`` applied on the local
target (four runs), ``recommend --recommender``, recommenderConfig updated in place,
``state: STOPPED`` / ``ACTIVE`` as StopRecommender / StartRecommender, a recipe change as a
replacement, removal and destroy, and the manifest checks."""

from __future__ import annotations

import json

import pytest
from edits import replaced
from engine_helpers import actions, four_runs, plan_json


@pytest.fixture
def domain(workshop):
    return workshop.with_name("domain.yaml")


def _output(pc, domain) -> dict:
    result = pc("output", "--json", manifest=domain)
    assert result.code == 0, result.err
    return json.loads(result.out)["resources"]


def _edit(domain, old: str, new: str) -> None:
    domain.write_text(replaced(domain.read_text(), old, new))


def _apply(pc, domain, *args: str) -> str:
    result = pc("apply", "--auto-approve", *args, manifest=domain)
    assert result.code == 0, result.out + result.err
    return result.out


def _no_changes(pc, domain) -> None:
    result = pc("plan", "--detailed-exitcode", manifest=domain)
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("No changes.")


def test_domain_example_four_runs_and_recommend(pc, cli, domain, state):
    doc = four_runs(pc, 10, domain)
    assert [a for a in actions(doc) if a.startswith("recommender.")] == [
        "recommender.shop-recommended-for-you",
        "recommender.shop-also-viewed",
    ]
    found = _output(pc, domain)["recommender.shop-recommended-for-you"]
    assert found["status"] == "ACTIVE"
    assert found["recipeArn"] == "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you"
    args = ("--state-dir", str(state), "--num-results", "5", "--json")
    result = cli(
        "recommend", "--recommender", "shop-recommended-for-you", "--user-id", "user000", *args
    )
    assert result.code == 0, result.err
    resp = json.loads(result.out)
    assert resp["recommenderArn"] == found["arn"]
    assert len(resp["itemList"]) == 5
    # user000 is one of the shoppers who favour the a* products
    assert all(item["itemId"].startswith("a") for item in resp["itemList"])
    table = cli(
        "recommend",
        "--recommender",
        "shop-also-viewed",
        "--user-id",
        "user001",
        "--item-id",
        "b01",
        "--state-dir",
        str(state),
        "--num-results",
        "3",
    )
    assert table.code == 0, table.err
    assert table.out.startswith("shop-also-viewed: recommendations for user user001 and item b01\n")


def test_recommend_needs_exactly_one_of_campaign_and_recommender(cli, state):
    both = cli(
        "recommend", "--campaign", "c", "--recommender", "r", "--user-id", "u",
        "--state-dir", str(state),
    )  # fmt: skip
    assert both.code == 1
    assert both.err == (
        "Error: give exactly one of --campaign NAME (a campaign) or --recommender NAME "
        "(a recommender of a domain dataset group)\n"
    )
    neither = cli("recommend", "--user-id", "u", "--state-dir", str(state))
    assert neither.err == both.err


def test_unknown_recommender_lists_the_ones_there(pc, cli, domain, state):
    _apply(pc, domain)
    result = cli("recommend", "--recommender", "nope", "--user-id", "u", "--state-dir", str(state))
    assert result.code == 1
    assert result.err == (
        "Error: there is no recommender named 'nope' on the local target (us-east-1); "
        "recommenders there: shop-also-viewed, shop-recommended-for-you\n"
    )


def test_config_change_is_an_update_in_place(pc, domain):
    _apply(pc, domain)
    _edit(domain, "minRecommendationRequestsPerSecond: 1", "minRecommendationRequestsPerSecond: 3")
    doc = plan_json(pc, manifest=domain)
    change = next(
        c for c in doc["resource_changes"] if c["address"] == "recommender.shop-recommended-for-you"
    )
    assert change["actions"] == ["update"]
    assert change["reason"] == (
        "recommenderConfig changed outside preconcile, or in the manifest since the last "
        "apply: the live value differs from what the manifest says"
    )
    assert change["changes"] == [
        {
            "path": "recommenderConfig.minRecommendationRequestsPerSecond",
            "before": 1,
            "after": 3,
            "forces_replacement": False,
        }
    ]
    human = pc("plan", manifest=domain)
    assert "      ~ recommenderConfig.minRecommendationRequestsPerSecond: 1 -> 3\n" in human.out
    out = _apply(pc, domain)
    assert "Apply complete: 0 created, 1 updated, 0 replaced, 0 deleted." in out
    _no_changes(pc, domain)


def test_stopped_then_active_again(pc, cli, domain, state):
    _apply(pc, domain)
    _edit(domain, "  shop-also-viewed:\n", "  shop-also-viewed:\n    state: STOPPED\n")
    doc = plan_json(pc, manifest=domain)
    change = next(
        c for c in doc["resource_changes"] if c["address"] == "recommender.shop-also-viewed"
    )
    assert change["actions"] == ["update"]
    assert change["reason"] == (
        "state changed outside preconcile, or in the manifest since the last apply: the "
        "live value differs from what the manifest says"
    )
    assert change["changes"] == [
        {"path": "state", "before": "ACTIVE", "after": "STOPPED", "forces_replacement": False}
    ]
    _apply(pc, domain)
    _no_changes(pc, domain)
    assert _output(pc, domain)["recommender.shop-also-viewed"]["status"] == "INACTIVE"
    asked = cli(
        "recommend", "--recommender", "shop-also-viewed", "--user-id", "user000",
        "--item-id", "a01", "--state-dir", str(state),
    )  # fmt: skip
    assert asked.code == 1
    assert asked.err == (
        "Error: recommender 'shop-also-viewed' is INACTIVE, not ACTIVE; set its state: ACTIVE "
        "in the manifest and run apply\n"
    )
    _edit(domain, "    state: STOPPED\n", "    state: ACTIVE\n")
    doc = plan_json(pc, manifest=domain)
    change = next(
        c for c in doc["resource_changes"] if c["address"] == "recommender.shop-also-viewed"
    )
    assert change["changes"] == [
        {"path": "state", "before": "STOPPED", "after": "ACTIVE", "forces_replacement": False}
    ]
    _apply(pc, domain)
    _no_changes(pc, domain)
    assert _output(pc, domain)["recommender.shop-also-viewed"]["status"] == "ACTIVE"


def test_a_stopped_recommender_is_created_then_stopped(pc, domain):
    _edit(domain, "  shop-also-viewed:\n", "  shop-also-viewed:\n    state: STOPPED\n")
    four_runs(pc, 10, domain)
    assert _output(pc, domain)["recommender.shop-also-viewed"]["status"] == "INACTIVE"


def test_config_change_of_a_stopped_recommender_starts_updates_and_stops_it(pc, domain):
    _edit(
        domain,
        "    recipe: aws-ecomm-recommended-for-you\n",
        "    recipe: aws-ecomm-recommended-for-you\n    state: STOPPED\n",
    )
    _apply(pc, domain)
    _edit(domain, "minRecommendationRequestsPerSecond: 1", "minRecommendationRequestsPerSecond: 2")
    doc = plan_json(pc, manifest=domain)
    assert actions(doc)["recommender.shop-recommended-for-you"] == "update"
    _apply(pc, domain)
    _no_changes(pc, domain)
    assert _output(pc, domain)["recommender.shop-recommended-for-you"]["status"] == "INACTIVE"


def test_recipe_change_replaces_it_with_allow_replace(pc, domain):
    _apply(pc, domain)
    _edit(
        domain,
        "recipe: aws-ecomm-customers-who-viewed-x-also-viewed",
        "recipe: aws-ecomm-popular-items-by-views",
    )
    doc = plan_json(pc, manifest=domain)
    change = next(
        c for c in doc["resource_changes"] if c["address"] == "recommender.shop-also-viewed"
    )
    assert change["actions"] == ["delete", "create"]
    assert change["reason"] == "recipeArn cannot change in place"
    assert change["replace_paths"] == ["recipeArn"]
    refused = pc("apply", "--auto-approve", manifest=domain)
    assert refused.code == 1
    assert refused.err == (
        "Error: refusing to apply: recommender.shop-also-viewed would be replaced "
        "(recipeArn cannot change in place); its data or model would be lost. Run again "
        "with --allow-replace to allow this.\n"
    )
    out = _apply(pc, domain, "--allow-replace")
    assert "Apply complete: 0 created, 0 updated, 1 replaced, 0 deleted." in out
    _no_changes(pc, domain)
    found = _output(pc, domain)["recommender.shop-also-viewed"]
    assert found["recipeArn"] == "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views"


def test_a_recommender_taken_out_of_the_manifest_is_deleted(pc, domain):
    _apply(pc, domain)
    _edit(
        domain,
        "  shop-also-viewed:\n    recipe: aws-ecomm-customers-who-viewed-x-also-viewed\n",
        "",
    )
    doc = plan_json(pc, manifest=domain)
    change = next(
        c for c in doc["resource_changes"] if c["address"] == "recommender.shop-also-viewed"
    )
    assert change["actions"] == ["delete"]
    assert change["reason"] == "no longer in the manifest"
    _apply(pc, domain, "--allow-delete")
    _no_changes(pc, domain)


def test_destroy_deletes_the_recommenders_before_the_datasets(pc, domain):
    _apply(pc, domain)
    result = pc("destroy", "--auto-approve", manifest=domain)
    assert result.code == 0, result.out + result.err
    assert "- recommender.shop-recommended-for-you will be deleted" in result.out
    gone = pc("output", manifest=domain)
    assert gone.code == 1
    assert gone.err.startswith("Error: nothing that ")


def test_an_equal_recommender_made_elsewhere_is_adopted(pc, domain, state):
    text = domain.read_text()
    domain.write_text(text[: text.index("recommenders:")])
    _apply(pc, domain)
    from personalize_reconcile.backends.local import local_client

    client = local_client("personalize", state_dir=state)
    group = client.list_dataset_groups()["datasetGroups"][0]["datasetGroupArn"]
    client.create_recommender(
        name="shop-also-viewed",
        datasetGroupArn=group,
        recipeArn="arn:aws:personalize:::recipe/aws-ecomm-customers-who-viewed-x-also-viewed",
    )
    domain.write_text(text)
    _edit(domain, "  shop-recommended-for-you:\n", "  shop-recommended-for-you-2:\n")
    used = plan_json(pc, manifest=domain)  # equal: used as it is until --adopt
    assert next(
        c for c in used["resource_changes"] if c["address"] == "recommender.shop-also-viewed"
    )["actions"] == ["no-op"]
    doc = plan_json(pc, "--adopt", manifest=domain)
    change = next(
        c for c in doc["resource_changes"] if c["address"] == "recommender.shop-also-viewed"
    )
    assert change["actions"] == ["update"]
    assert change["adopting"] is True
    assert change["reason"] == (
        "it exists without the tag preconcile:manifest=domain-shop and equals the manifest; "
        "apply adopts it (tags it)"
    )
    out = _apply(pc, domain, "--adopt")  # creates the other recommender and the attribution
    assert "Apply complete: 2 created, 1 updated, 0 replaced, 0 deleted, 1 adopted." in out
    _no_changes(pc, domain)


def test_a_changed_filter_names_the_recommenders_its_callers_use(pc, domain):
    _apply(pc, domain)
    text = domain.read_text()
    domain.write_text(
        text + "\nfilters:\n  shop-views:\n    expression: "
        "'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"View\")'\n"
    )
    _apply(pc, domain)
    domain.write_text(
        text + "\nfilters:\n  shop-views:\n    expression: "
        "'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"Purchase\")'\n"
    )
    doc = plan_json(pc, "--allow-replace", manifest=domain)
    change = next(c for c in doc["resource_changes"] if c["address"] == "filter.shop-views")
    assert change["reason"].endswith(
        "until the new one is ACTIVE, GetRecommendations and GetPersonalizedRanking requests "
        "to recommenders shop-recommended-for-you, shop-also-viewed that pass its filterArn fail"
    )
