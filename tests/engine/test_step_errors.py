"""How a failed step reads: a failure outside preconcile names what was involved; a bug in
preconcile says so plainly and points to --debug. Faults are injected where the local
target cannot produce them (an unreadable object, a programming error)."""

from __future__ import annotations

from personalize_reconcile.local.objectstore import LocalObjectStore
from personalize_reconcile.resources.campaign import CampaignKind

LOCATION = "s3://personalize-data-000000000000/transformed/interactions.csv"


def test_an_object_that_cannot_be_looked_at_stops_the_import(pc, state, monkeypatch):
    def head(self, uri):
        raise PermissionError(13, "Permission denied", "/srv/state/s3/x")

    puts = []
    monkeypatch.setattr(LocalObjectStore, "head", head)
    monkeypatch.setattr(LocalObjectStore, "put", lambda self, uri, data: puts.append(uri))
    applied = pc("apply", "--auto-approve")
    assert applied.code == 1
    assert (
        "  import.segment-workshop-interactions: cannot check whether the data is already at "
        f"{LOCATION} (bucket personalize-data-000000000000, key transformed/interactions.csv) "
        "before uploading it: PermissionError: [Errno 13] Permission denied: '/srv/state/s3/x' "
        "(uploaded from "
    ) in applied.err
    assert puts == []  # nothing uploaded on a guess


def test_a_missing_object_is_uploaded(pc, state):
    assert pc("apply", "--auto-approve").code == 0
    assert LocalObjectStore(state).head(LOCATION).size > 0


def test_a_bug_in_a_step_is_called_an_internal_error(pc, monkeypatch):
    def create(self, ctx, desired):
        raise KeyError("solutionVersionArn")

    monkeypatch.setattr(CampaignKind, "create", create)
    applied = pc("apply", "--auto-approve")
    assert applied.code == 1
    assert (
        "  campaign.segment-workshop-campaign: internal error in preconcile (KeyError: "
        "'solutionVersionArn'); this is a bug, not a problem with the resource. Run again "
        "with --debug for the traceback, and report it."
    ) in applied.err
