"""Rollout gates (issue 11, point 7): a campaign moves to a new version only when its
GetSolutionMetrics reach the manifest's ``rollout`` minimums and do not fall more than
``maxRegression`` below the version it serves; otherwise the version stays trained, the
campaign keeps serving, plan and apply say which metric missed by how much, and apply
exits 1 until ``--skip-rollout-gates`` deploys it anyway."""

from __future__ import annotations

import csv
import random

from edits import replaced
from engine_helpers import plan_json

from personalize_reconcile.backends.local import local_client

SOLUTION = "arn:aws:personalize:us-east-1:000000000000:solution/segment-workshop-solution"
CAMPAIGN = "arn:aws:personalize:us-east-1:000000000000:campaign/segment-workshop-campaign"
ADDRESS = "campaign.segment-workshop-campaign"
NDCG = "normalized_discounted_cumulative_gain_at_10"


def with_rollout(workshop, rollout: str) -> None:
    """Give the workshop's campaign a ``rollout:`` block (YAML lines, indented 6)."""
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "    minProvisionedTPS: 1\n",
            "    minProvisionedTPS: 1\n    rollout:\n" + rollout,
        )
    )


def worse_data(workshop) -> None:
    """New data for the next training: the workshop's items shuffled across its rows
    (seeded), which leaves popularity but no personal taste to learn: the version trained
    on it ranks worse (its NDCG@10 is lower)."""
    path = workshop.parent / "data" / "interactions.csv"
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    item = header.index("ITEM_ID")
    items = [r[item] for r in body]
    random.Random(7).shuffle(items)
    for row, value in zip(body, items, strict=True):
        row[item] = value
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *body])


def other_data(workshop) -> None:
    """New data of the same kind: the workshop without its last 100 rows."""
    path = workshop.parent / "data" / "interactions.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-100]))


def _client(state):
    return local_client("personalize", state_dir=state)


def _serving(client) -> str:
    campaign = client.describe_campaign(campaignArn=CAMPAIGN)["campaign"]
    assert campaign["status"] == "ACTIVE"
    update = campaign.get("latestCampaignUpdate")
    assert update is None or update["status"] == "ACTIVE"
    return campaign["solutionVersionArn"]


def _newest_version(client) -> str:
    return client.describe_solution(solutionArn=SOLUTION)["solution"]["latestSolutionVersion"][
        "solutionVersionArn"
    ]


def _metrics(client, arn: str) -> dict:
    return client.get_solution_metrics(solutionVersionArn=arn)["metrics"]


def _reason(pc) -> str:
    doc = plan_json(pc)
    return next(c for c in doc["resource_changes"] if c["address"] == ADDRESS)["reason"]


def test_a_version_that_passes_its_gate_is_deployed(pc, workshop, state):
    assert pc("apply", "--auto-approve").code == 0
    client = _client(state)
    old = _serving(client)
    with_rollout(
        workshop, f"      minimums: {{coverage: 0.5}}\n      maxRegression: {{{NDCG}: 1}}\n"
    )
    other_data(workshop)
    assert _reason(pc) == (
        "solutionVersionArn changed; deployed only if the new version passes its rollout gate"
    )
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 2 created, 1 updated, 0 replaced, 0 deleted." in applied.out
    new = _newest_version(client)
    assert new != old
    assert _serving(client) == new
    assert pc("plan", "--detailed-exitcode").code == 0


def test_a_version_that_misses_its_gate_stays_trained_and_is_not_deployed(pc, workshop, state):
    assert pc("apply", "--auto-approve").code == 0
    client = _client(state)
    old = _serving(client)
    before = _metrics(client, old)
    with_rollout(workshop, f"      maxRegression: {{{NDCG}: 0.02, precision_at_25: 0.02}}\n")
    worse_data(workshop)

    applied = pc("apply", "--auto-approve")
    assert applied.code == 1, applied.out + applied.err
    new = _newest_version(client)
    after = _metrics(client, new)
    drop = before[NDCG] - after[NDCG]
    assert drop > 0.02 and before["precision_at_25"] - after["precision_at_25"] <= 0.02
    gate = (
        f"{new} misses its rollout gate: {NDCG} {after[NDCG]:.3f} is {drop:.3f} below the "
        f"serving version's {before[NDCG]:.3f} (allowed 0.02)"
    )
    assert applied.err == (
        "\nApply incomplete: 2 created, 0 updated, 0 replaced, 0 deleted; 1 not deployed by "
        "its rollout gate.\n"
        f"  {ADDRESS}: not deployed: {gate}\n"
        "The new versions stay trained and the campaigns serve what they served. To deploy "
        "them anyway: apply --skip-rollout-gates.\n"
    )
    # the version is trained; the campaign still serves the old one, and answers
    version = client.describe_solution_version(solutionVersionArn=new)["solutionVersion"]
    assert version["status"] == "ACTIVE"
    assert _serving(client) == old
    runtime = local_client("personalize-runtime", state_dir=state)
    assert runtime.get_recommendations(campaignArn=CAMPAIGN, userId="6876409312")["itemList"]

    # the next plan does not promise the deployment; apply refuses it again
    assert _reason(pc) == (
        "solutionVersionArn changed; not deployed: "
        f"{gate}; apply --skip-rollout-gates deploys it anyway"
    )
    assert pc("plan", "--detailed-exitcode").code == 2
    again = pc("apply", "--auto-approve")
    assert again.code == 1
    assert f"  {ADDRESS}: not deployed: {gate}\n" in again.err
    assert _serving(client) == old

    # --skip-rollout-gates deploys it anyway
    forced = pc("apply", "--auto-approve", "--skip-rollout-gates")
    assert forced.code == 0, forced.out + forced.err
    assert f"not deployed: {gate}; deployed anyway (--skip-rollout-gates)" in forced.out
    assert "Apply complete: 0 created, 1 updated, 0 replaced, 0 deleted." in forced.out
    assert _serving(client) == new
    done = pc("plan", "--detailed-exitcode")
    assert done.code == 0 and done.out.startswith("No changes.")


def test_a_minimum_holds_back_a_new_campaign(pc, workshop, state):
    with_rollout(workshop, "      minimums: {precision_at_25: 0.9}\n")
    assert _reason(pc) == "does not exist; deployed only if the new version passes its rollout gate"
    applied = pc("apply", "--auto-approve")
    assert applied.code == 1
    client = _client(state)
    new = _newest_version(client)
    value = _metrics(client, new)["precision_at_25"]
    gate = f"{new} misses its rollout gate: precision_at_25 {value:.3f} is below the minimum 0.9"
    assert f"  {ADDRESS}: not deployed: {gate}\n" in applied.err
    assert "Apply incomplete: 6 created, 0 updated" in applied.err
    assert client.list_campaigns()["campaigns"] == []
    assert _reason(pc) == (
        f"does not exist; not deployed: {gate}; apply --skip-rollout-gates deploys it anyway"
    )

    # a gate the trained version passes lets the next apply create the campaign
    workshop.write_text(
        replaced(workshop.read_text(), "{precision_at_25: 0.9}", "{precision_at_25: 0.01}")
    )
    assert _reason(pc) == "does not exist; the new version passes its rollout gate"
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 1 created, 0 updated, 0 replaced, 0 deleted." in applied.out
    assert _serving(client) == new


def test_a_gated_recipe_change_keeps_the_old_solution_serving(pc, workshop, state):
    """A new-one-first solution replacement: the new solution is trained, but its version
    misses the gate, so the campaign stays on the old solution and that is not deleted."""
    assert pc("apply", "--auto-approve").code == 0
    client = _client(state)
    old = _serving(client)
    with_rollout(workshop, "      minimums: {precision_at_25: 0.9}\n")
    workshop.write_text(
        replaced(
            workshop.read_text(),
            "recipe: aws-user-personalization-v2",
            "recipe: aws-user-personalization",
        )
    )
    applied = pc("apply", "--auto-approve", "--allow-replace")
    assert applied.code == 1
    [new_solution] = [
        s["solutionArn"]
        for s in client.list_solutions()["solutions"]
        if s["solutionArn"] != SOLUTION
    ]
    new = client.describe_solution(solutionArn=new_solution)["solution"]["latestSolutionVersion"][
        "solutionVersionArn"
    ]
    value = _metrics(client, new)["precision_at_25"]
    gate = f"{new} misses its rollout gate: precision_at_25 {value:.3f} is below the minimum 0.9"
    assert applied.err == (
        "\nApply failed: 1 created, 0 updated, 1 replaced, 0 deleted; 0 failed, 1 not "
        "started, 1 not deployed by its rollout gate.\n"
        f"  {ADDRESS}: not deployed: {gate}\n"
        "Fix the cause and run the same command again; it continues where it stopped.\n"
    )
    assert _serving(client) == old
    assert client.describe_solution(solutionArn=SOLUTION)["solution"]["status"] == "ACTIVE"

    # the next plan keeps the old solution while the campaign serves it
    doc = plan_json(pc)
    kept = next(
        c
        for c in doc["resource_changes"]
        if c["address"] == "solution.segment-workshop-solution#segment-workshop-solution"
    )
    assert (kept["actions"], kept["reason"]) == (
        ["no-op"],
        f"kept: {ADDRESS} still serves it, since its move to the new solution is held back "
        "by its rollout gate",
    )
    again = pc("apply", "--auto-approve")
    assert again.code == 1
    assert f"  {ADDRESS}: not deployed: {gate}\n" in again.err
    assert again.err.startswith(
        "\nApply incomplete: 0 created, 0 updated, 0 replaced, 0 deleted; 1 not deployed by "
        "its rollout gate.\n"
    )
    assert _serving(client) == old

    forced = pc("apply", "--auto-approve", "--skip-rollout-gates", "--allow-delete")
    assert forced.code == 0, forced.out + forced.err
    assert "Apply complete: 0 created, 1 updated, 0 replaced, 1 deleted." in forced.out
    assert _serving(client) == new
    assert [s["solutionArn"] for s in client.list_solutions()["solutions"]] == [new_solution]
