"""personalize-runtime through boto3: GetPersonalizedRanking, models that survive a
restart of the local target, and the same answers over the HTTP server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
from personalize_steps import WORKSHOP, Group, workshop_facts, workshop_with_renamed_items

from personalize_reconcile.local import runtime as runtime_module
from personalize_reconcile.local import service as local_service
from personalize_reconcile.local.control.context import RequestContext
from personalize_reconcile.local.server import LocalServer
from personalize_reconcile.local.training import serving as trainer


@pytest.fixture
def workshop(personalize, wait, state_dir):
    schema = (WORKSHOP / "interactions.avsc").read_text()
    return Group(personalize, wait, state_dir, WORKSHOP / "interactions.csv", schema)


def test_personalized_ranking(workshop, runtime):
    rows, popular = workshop_facts()
    version = workshop.version("ws-rank", "aws-personalized-ranking-v2")
    assert version["status"] == "ACTIVE", version.get("failureReason")
    campaign = workshop.campaign("ws-rank-campaign", version["solutionVersionArn"])
    items = popular[:10] + ["never-seen-item"]
    out = runtime.get_personalized_ranking(
        campaignArn=campaign, userId=rows[0]["USER_ID"], inputList=items
    )
    ranked = out["personalizedRanking"]
    assert sorted(i["itemId"] for i in ranked) == sorted(items)
    assert ranked[-1] == {"itemId": "never-seen-item"}
    assert sum(i["score"] for i in ranked[:-1]) == pytest.approx(1.0, abs=1e-6)
    assert out["recommendationId"].startswith("RID-")


def test_models_survive_a_restart(workshop, personalize, runtime, make_client, state_dir):
    version = workshop.version("ws-restart", "aws-user-personalization-v2")
    campaign = workshop.campaign("ws-restart-campaign", version["solutionVersionArn"])
    user = workshop_facts()[0][0]["USER_ID"]
    before = runtime.get_recommendations(campaignArn=campaign, userId=user)["itemList"]
    for key, svc in list(local_service._services.items()):
        if key[0] == Path(state_dir).resolve():
            local_service.close_service(svc)
    trainer._CACHE.clear()  # a new process has no models in memory
    again = make_client("personalize-runtime")
    after = again.get_recommendations(campaignArn=campaign, userId=user)["itemList"]
    assert after == before
    metrics = make_client("personalize").get_solution_metrics(
        solutionVersionArn=version["solutionVersionArn"]
    )["metrics"]
    assert metrics["coverage"] > 0


def test_same_answers_over_http(workshop, runtime, state_dir):
    version = workshop.version("ws-http", "aws-popularity-count")
    campaign = workshop.campaign("ws-http-campaign", version["solutionVersionArn"])
    server = LocalServer(local_service.get_service(state_dir), host="127.0.0.1", port=0)
    server.serve_in_thread()
    try:
        client = boto3.client(
            "personalize-runtime",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="AKIALOCALTEST0000000",
            aws_secret_access_key="local",
        )
        over_http = client.get_recommendations(
            campaignArn=campaign, userId="someone", numResults=7
        )["itemList"]
        in_process = runtime.get_recommendations(
            campaignArn=campaign, userId="someone", numResults=7
        )["itemList"]
        assert over_http == in_process
        assert len(over_http) == 7
    finally:
        server.shutdown()
        server.server_close()


def test_latest_campaign_follows_new_versions(
    workshop, personalize, runtime, state_dir, tmp_path, wait
):
    """A campaign on ``<solution>/$LATEST`` with syncWithLatestSolutionVersion serves the
    newest ACTIVE version without an UpdateCampaign (reference §7)."""

    first = workshop.version("ws-sync", "aws-popularity-count")
    latest = first["solutionArn"] + "/$LATEST"
    arn = personalize.create_campaign(
        name="ws-sync-campaign",
        solutionVersionArn=latest,
        campaignConfig={"syncWithLatestSolutionVersion": True},
    )["campaignArn"]
    got = wait(lambda: personalize.describe_campaign(campaignArn=arn), "campaign")
    assert got["status"] == "ACTIVE", got.get("failureReason")

    def served():
        out = runtime.get_recommendations(campaignArn=arn, userId="anyone")["itemList"]
        assert len(out) == 25  # the default numResults: any()/all() below see every item
        return [i["itemId"] for i in out]

    assert not any(s.startswith("v2-") for s in served())
    renamed = workshop_with_renamed_items(tmp_path / "v2.csv", "v2-")
    workshop.reimport(state_dir, renamed, "v2")
    assert workshop.new_version(first["solutionArn"])["status"] == "ACTIVE"
    assert all(s.startswith("v2-") for s in served())


UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def test_answer_ids_and_headers_in_process_and_over_http(workshop, runtime, state_dir):
    version = workshop.version("ws-ids", "aws-popularity-count")
    campaign = workshop.campaign("ws-ids-campaign", version["solutionVersionArn"])
    in_process = runtime.get_recommendations(campaignArn=campaign, userId="someone")
    server = LocalServer(local_service.get_service(state_dir), host="127.0.0.1", port=0)
    server.serve_in_thread()
    try:
        client = boto3.client(
            "personalize-runtime",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="AKIALOCALTEST0000000",
            aws_secret_access_key="local",
        )
        over_http = client.get_recommendations(campaignArn=campaign, userId="someone")
    finally:
        server.shutdown()
        server.server_close()
    for out in (in_process, over_http):
        assert re.fullmatch(f"RID-{UUID4}", out["recommendationId"])
        assert re.fullmatch(UUID4, out["ResponseMetadata"]["RequestId"])
    assert in_process["recommendationId"] != over_http["recommendationId"]
    # in-process botocore gets no Content-Length (it needs none); the HTTP server sends one
    assert sorted(in_process["ResponseMetadata"]["HTTPHeaders"]) == [
        "content-type",
        "x-amzn-requestid",
    ]
    length = over_http["ResponseMetadata"]["HTTPHeaders"]["content-length"]
    assert int(length) == len(
        json.dumps(
            {"itemList": over_http["itemList"], "recommendationId": over_http["recommendationId"]},
            separators=(",", ":"),
        )
    )


def test_recommendations_written_as_json_equal_the_handlers_data(workshop, runtime, state_dir):
    rows, popular = workshop_facts()
    user = rows[0]["USER_ID"]
    ctx = RequestContext(
        account="000000000000", region="us-east-1", service=local_service.get_service(state_dir)
    )
    up = workshop.campaign(
        "ws-json-up",
        workshop.version("ws-json-up", "aws-user-personalization-v2")["solutionVersionArn"],
    )
    sims = workshop.campaign(
        "ws-json-sims", workshop.version("ws-json-sims", "aws-sims")["solutionVersionArn"]
    )
    asks = [
        {"campaignArn": up, "userId": user},
        {"campaignArn": up, "userId": "never-seen-user", "numResults": 3},
        {"campaignArn": sims, "itemId": popular[0], "numResults": 7},
    ]
    for ask in asks:
        answer = runtime.get_recommendations(**ask)
        data = runtime_module.dispatch(ctx, "GetRecommendations", dict(ask))
        assert answer["itemList"] == data["itemList"]
        # the body is written without json.dumps, byte for byte as json.dumps writes it
        body = runtime_module.get_recommendations_json(ctx, dict(ask))
        written = json.loads(body)
        assert written["itemList"] == data["itemList"]
        assert body == json.dumps(written, separators=(",", ":")).encode()
        assert len(answer["itemList"]) == ask.get("numResults", 25)
        # user personalization gives scores, SIMS none
        assert all(("score" in i) == (ask["campaignArn"] == up) for i in answer["itemList"])


def test_a_damaged_model_file_is_named_not_an_internal_failure(workshop, runtime, state_dir):
    version = workshop.version("ws-damaged", "aws-popularity-count")
    campaign = workshop.campaign("ws-damaged-campaign", version["solutionVersionArn"])
    (folder,) = (Path(state_dir) / "models" / "ws-damaged").iterdir()
    (folder / "model.npz").write_bytes(b"PK\x03\x04 cut short")
    trainer._CACHE.clear()  # as a new process would read it
    with pytest.raises(runtime.exceptions.ResourceNotFoundException) as info:
        runtime.get_recommendations(campaignArn=campaign, userId="u1")
    assert info.value.response["Error"]["Message"] == (
        f"Solution version {version['solutionVersionArn']} has no usable trained model: the "
        f"model files in {folder.resolve()} are damaged (File is not a zip file); train a new "
        "solution version."
    )
