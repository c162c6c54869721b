"""The human plan: Terraform-like marks, before -> after, replacement markers, summary."""

from __future__ import annotations

import re

from edits import replaced
from engine_helpers import OLD_DATA


def test_human_plan_of_a_replace_and_an_update(pc, workshop):
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(
        replaced(
            replaced(
                workshop.read_text(),
                "recipe: aws-user-personalization-v2",
                "recipe: aws-sims",
            ),
            "minProvisionedTPS: 1",
            "minProvisionedTPS: 2",
        )
    )
    result = pc("plan")
    assert result.code == 0
    text = re.sub(
        r"segment-workshop-solution/[0-9a-f]{8}", "segment-workshop-solution/<id>", result.out
    )
    text = re.sub(r"\(d[0-9a-f]{8}-c[0-9a-f]{8}\)", "(<version name>)", text)
    text = re.sub(r"solution-[0-9a-f]{8}\)", "solution-<hex>)", text)
    assert text == (
        "preconcile will make these changes on the local target (us-east-1):\n"
        "\n"
        "  +/- solution.segment-workshop-solution (segment-workshop-solution-<hex>) will be "
        "replaced: recipeArn cannot change in place; the new solution is created first, and "
        "segment-workshop-solution is deleted once everything using it has moved to the new "
        "one\n"
        '      ~ recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization-v2" -> '
        '"arn:aws:personalize:::recipe/aws-sims" # forces replacement\n'
        "    + solution_version.segment-workshop-solution (<version name>) will be created: "
        "the solution's configuration changed since the latest version"
        + OLD_DATA.format(day="2019-05-11")
        + "\n"
        "    ~ campaign.segment-workshop-campaign will be updated in place: moves to the new "
        "solution.segment-workshop-solution once its version is trained; it keeps serving "
        "the old one until then\n"
        "      ~ minProvisionedTPS: 1 -> 2\n"
        '      ~ solutionVersionArn: "arn:aws:personalize:us-east-1:000000000000:solution/'
        'segment-workshop-solution/<id>" -> (known after apply)\n'
        "\n"
        "Plan: 1 to create, 1 to update, 1 to replace, 0 to delete.\n"
        "Apply needs --allow-replace for this plan (see the changes above).\n"
    )


def test_no_changes_message(pc, workshop):
    assert pc("apply", "--auto-approve").code == 0
    result = pc("plan")
    assert result.out == (f"No changes. The live resources match {workshop} (local, us-east-1).\n")


def test_the_plan_names_the_flags_apply_will_need(pc, workshop):
    """A plan with deletes names --allow-delete; one without destructive changes nothing."""
    assert pc("apply", "--auto-approve").code == 0
    original = workshop.read_text()
    workshop.write_text(
        original.replace("segment-workshop-solution", "segment-workshop-solution-b")
    )
    planned = pc("plan")
    assert planned.out.endswith(
        "Plan: 2 to create, 1 to update, 0 to replace, 1 to delete.\n"
        "Apply needs --allow-delete for this plan (see the changes above).\n"
    )
    assert "Apply needs" not in pc("plan", "--json").out
    refused = pc("apply", "--auto-approve")
    assert refused.code == 1
    assert "Run again with --allow-delete to allow this." in refused.err
    workshop.write_text(replaced(original, "minProvisionedTPS: 1", "minProvisionedTPS: 2"))
    planned = pc("plan")
    assert planned.out.endswith("Plan: 0 to create, 1 to update, 0 to replace, 0 to delete.\n")
