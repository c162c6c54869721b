"""Someone else creates a resource between plan and apply: a create answered with
ResourceAlreadyExistsException converges when the resource equals the desired one (and
tags it, as the plan would have adopted it, unless another manifest's tag is on it) and
fails with what differs otherwise. (The race is staged through the engine's own API:
``prepare`` then ``Applier``, with a boto3 call in between.)"""

from __future__ import annotations

import json

from personalize_reconcile.backends.target import open_target
from personalize_reconcile.engine import Applier, WaitPolicy, prepare
from personalize_reconcile.manifest import load_manifest


def _staged(workshop, state):
    target = open_target("local", state_dir=state)
    loaded = load_manifest(workshop)
    return target, loaded, prepare(loaded, target, str(workshop))


def test_equal_resource_created_meanwhile_is_accepted(workshop, state):
    target, loaded, prepared = _staged(workshop, state)
    doc = loaded.schemas["segment-workshop-interactions"]
    target.personalize.create_schema(name="segment-workshop-interactions", schema=json.dumps(doc))
    result = Applier(
        prepared.ctx,
        prepared.plan,
        prepared.desired,
        prepared.kinds,
        WaitPolicy.for_target("local"),
    ).run()
    assert result.ok, result.failed
    assert "schema.segment-workshop-interactions" in result.succeeded


def test_different_resource_created_meanwhile_fails_with_the_difference(workshop, state):
    target, loaded, prepared = _staged(workshop, state)
    target.personalize.create_dataset_group(name="segment-workshop", domain="ECOMMERCE")
    result = Applier(
        prepared.ctx,
        prepared.plan,
        prepared.desired,
        prepared.kinds,
        WaitPolicy.for_target("local"),
    ).run()
    assert result.failed == {
        "dataset_group.segment-workshop": "dataset group segment-workshop already exists and "
        "differs: domain is 'ECOMMERCE', the manifest wants (not set)"
    }
    assert set(result.skipped) == {
        "dataset.Interactions",
        "import.segment-workshop-interactions",
        "solution.segment-workshop-solution",
        "solution_version.segment-workshop-solution",
        "campaign.segment-workshop-campaign",
    }


def _run(target, prepared):
    return Applier(
        prepared.ctx,
        prepared.plan,
        prepared.desired,
        prepared.kinds,
        WaitPolicy.for_target("local"),
    ).run()


def test_equal_group_created_meanwhile_is_adopted_with_the_tag(workshop, state):
    target, _, prepared = _staged(workshop, state)
    arn = target.personalize.create_dataset_group(name="segment-workshop")["datasetGroupArn"]
    result = _run(target, prepared)
    assert result.ok, result.failed
    assert "dataset_group.segment-workshop" in result.found
    tags = target.personalize.list_tags_for_resource(resourceArn=arn)["tags"]
    assert tags == [{"tagKey": "preconcile:manifest", "tagValue": "segment-workshop"}]


def test_equal_group_of_another_manifest_created_meanwhile_fails(workshop, state):
    target, _, prepared = _staged(workshop, state)
    target.personalize.create_dataset_group(
        name="segment-workshop", tags=[{"tagKey": "preconcile:manifest", "tagValue": "other"}]
    )
    result = _run(target, prepared)
    assert result.failed == {
        "dataset_group.segment-workshop": "dataset group segment-workshop already exists and "
        "carries the tag preconcile:manifest=other of another manifest"
    }
