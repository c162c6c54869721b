"""`preconcile recommend` on the workshop: a campaign given by its ARN, as `preconcile
output` prints it, answers as the same campaign given by its name."""

from __future__ import annotations

import shutil

from recommend_table import rows


def test_recommend_takes_the_campaign_arn_output_prints(cli, repo_root, tmp_path):
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    state = str(tmp_path / "state")
    manifest = str(tmp_path / "examples" / "workshop.yaml")
    assert cli("apply", manifest, "--auto-approve", "--state-dir", state).code == 0
    arn = "arn:aws:personalize:us-east-1:000000000000:campaign/segment-workshop-campaign"
    assert arn in cli("output", manifest, "--state-dir", state).out
    ask = ["--user-id", "6876409312", "--num-results", "5", "--state-dir", state]
    by_arn = cli("recommend", "--campaign", arn, *ask)
    by_name = cli("recommend", "--campaign", "segment-workshop-campaign", *ask)
    assert by_arn.code == 0, by_arn.err
    assert rows(by_arn.out) == rows(by_name.out)
    missing = cli("recommend", "--campaign", arn + "-2", *ask)
    assert (missing.code, missing.err) == (
        1,
        f"Error: there is no campaign with the ARN '{arn}-2' on the local target (us-east-1); "
        "give its ARN or its name\n",
    )


def test_an_arn_of_another_kind_or_region_is_named(cli, repo_root, tmp_path):
    state = ["--state-dir", str(tmp_path / "state")]
    solution = "arn:aws:personalize:us-east-1:000000000000:solution/segment-workshop-solution"
    wrong_kind = cli("recommend", "--campaign", solution, "--user-id", "u", *state)
    assert (wrong_kind.code, wrong_kind.err) == (
        1,
        f"Error: '{solution}' is not the ARN of a campaign "
        "(arn:aws:personalize:REGION:ACCOUNT:campaign/NAME); give a campaign's ARN or its "
        "name\n",
    )
    elsewhere = "arn:aws:personalize:eu-west-1:000000000000:campaign/c"
    wrong_region = cli("recommend", "--campaign", elsewhere, "--user-id", "u", *state)
    assert (wrong_region.code, wrong_region.err) == (
        1,
        f"Error: the campaign ARN '{elsewhere}' is in 'eu-west-1', and this command runs in "
        "us-east-1; add --region eu-west-1\n",
    )
