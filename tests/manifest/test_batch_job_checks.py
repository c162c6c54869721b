"""``batchInferenceJobs:`` / ``batchSegmentJobs:`` checks: each bad manifest (the
workshop with a batch job) gives its exact diagnostics with file:line:col, and exit 1,
before any API call."""

from __future__ import annotations

import shutil

import pytest

JOB = """
batchInferenceJobs:
  nightly-recs:
    solution: segment-workshop-solution
    jobInput: s3://${bucket}/batch/users.jsonl
    uploadFrom: data/batch-users.jsonl
    jobOutput: s3://${bucket}/batch/out/
    numResults: 5
    roleArn: ${role}
"""
AFFINITY = ("solutions:\n", "solutions:\n  affinity:\n    recipe: aws-item-affinity\n")
TREND = ("solutions:\n", "solutions:\n  trend:\n    recipe: aws-trending-now\n")

CASES = {
    "misspelt-solution-and-local-output": (
        [],
        [
            ("solution: segment-workshop-solution", "solution: segment-workshop-solutoin"),
            ("jobOutput: s3://${bucket}/batch/out/", "jobOutput: /tmp/out/"),
        ],
        "workshop.yaml:51:15  batchInferenceJobs.nightly-recs.solution: solution "
        "'segment-workshop-solutoin' is not declared under `solutions`\n"
        "    hint: did you mean 'segment-workshop-solution'?\n"
        "workshop.yaml:54:16  batchInferenceJobs.nightly-recs.jobOutput: jobOutput "
        "'/tmp/out/' is not an s3:// location with a key\n"
        "    hint: write s3://bucket/batch/output/\n",
    ),
    "long-name-missing-upload-too-many-results": (
        [],
        [
            ("uploadFrom: data/batch-users.jsonl", "uploadFrom: data/missing.jsonl"),
            ("numResults: 5", "numResults: 501"),
            ("nightly-recs:", "n" * 55 + ":"),
        ],
        "workshop.yaml:50:3  batchInferenceJobs."
        + "n" * 55
        + ": batch job name '"
        + "n" * 55
        + "' is 55 characters long; the limit is 54\n"
        "    hint: shorten it to 54 characters or fewer\n"
        "workshop.yaml:53:17  batchInferenceJobs." + "n" * 55 + ".uploadFrom: uploadFrom file "
        "'data/missing.jsonl' does not exist (looked for data/missing.jsonl)\n"
        "    hint: give the path of a JSON Lines file, relative to the manifest's folder\n"
        "workshop.yaml:55:17  batchInferenceJobs." + "n" * 55 + ".numResults: input should "
        "be less than or equal to 500\n",
    ),
    "trending-now-has-no-batch": (
        [TREND],
        [("solution: segment-workshop-solution", "solution: trend")],
        "workshop.yaml:53:15  batchInferenceJobs.nightly-recs.solution: solution 'trend' uses "
        "aws-trending-now, which gives no batch recommendations\n"
        "    hint: use a solution with another recipe\n",
    ),
    "segmentation-solution-in-batch-inference": (
        [AFFINITY],
        [("solution: segment-workshop-solution", "solution: affinity")],
        "workshop.yaml:53:15  batchInferenceJobs.nightly-recs.solution: solution 'affinity' "
        "uses aws-item-affinity, a USER_SEGMENTATION recipe: its batch jobs are batch segment "
        "jobs\n"
        "    hint: move the job to batchSegmentJobs\n",
    ),
    "batch-segment-job-needs-segmentation": (
        [],
        [("batchInferenceJobs:", "batchSegmentJobs:")],
        "workshop.yaml:51:15  batchSegmentJobs.nightly-recs.solution: solution "
        "'segment-workshop-solution' uses aws-user-personalization-v2; a batch segment job "
        "needs a USER_SEGMENTATION recipe\n"
        "    hint: use a solution with aws-item-affinity or aws-item-attribute-affinity, or "
        "move the job to batchInferenceJobs\n",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_batch_jobs(case, cli, repo_root, tmp_path):
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    folder = tmp_path / "examples"
    (folder / "data" / "batch-users.jsonl").write_text('{"userId": "1"}\n')
    manifest = folder / "workshop.yaml"
    before, after, expected = CASES[case]
    text = manifest.read_text()
    for old, new in before:
        text = text.replace(old, new, 1)
    job = JOB
    for old, new in after:
        assert old in job, old
        job = job.replace(old, new, 1)
    manifest.write_text(text + job)
    result = cli("validate", "workshop.yaml", cwd=folder)
    assert result.code == 1
    assert result.err.rsplit("\n\n", 1)[0] + "\n" == expected
