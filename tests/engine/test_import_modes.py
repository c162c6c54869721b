"""An INCREMENTAL import is allowed only after an earlier import into the dataset
(reference §5); plan refuses a first INCREMENTAL import of a dataset it creates, as apply
would fail on it after creating the group, schema and dataset."""

from __future__ import annotations

import time

from edits import replaced
from engine_helpers import plan_json

from personalize_reconcile.backends.local import local_client

IMPORT = "        roleArn: ${role}\n"
INCREMENTAL = IMPORT + "        importMode: INCREMENTAL\n"
SECOND = INCREMENTAL.replace(
    "        importMode",
    "      - name: more-interactions\n"
    "        dataLocation: s3://${bucket}/transformed/more.csv\n"
    "        uploadFrom: ${data}\n"
    "        roleArn: ${role}\n"
    "        importMode",
)
REFUSED = (
    "Error: the service allows an INCREMENTAL import only after at least one earlier import "
    "into the dataset; nothing was changed:\n"
    "  import.segment-workshop-interactions is the first import of dataset.Interactions, "
    "which this plan creates, and its importMode is INCREMENTAL\n"
    "  To go on, make the first import of the dataset importMode FULL (the default), or "
    "declare a FULL import before it.\n"
)


def test_a_first_incremental_import_of_a_new_dataset_is_refused(pc, workshop, state):
    workshop.write_text(replaced(workshop.read_text(), IMPORT, INCREMENTAL))
    for command in (("plan",), ("apply", "--auto-approve")):
        result = pc(*command)
        assert (result.code, result.out, result.err) == (1, "", REFUSED)
    assert local_client("personalize", state_dir=state).list_dataset_groups()["datasetGroups"] == []


def test_an_incremental_import_after_a_full_one_is_planned_and_applied(pc, workshop, state):
    workshop.write_text(replaced(workshop.read_text(), IMPORT, SECOND))
    planned = pc("plan")
    assert planned.code == 0, planned.err
    assert "Plan: 8 to create, 0 to update, 0 to replace, 0 to delete." in planned.out
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    jobs = local_client("personalize", state_dir=state).list_dataset_import_jobs()[
        "datasetImportJobs"
    ]
    assert sorted(j["status"] for j in jobs) == ["ACTIVE", "ACTIVE"]
    assert pc("plan", "--detailed-exitcode").code == 0


def _plan_line(pc, address: str) -> tuple[str, str]:
    """A plan's output and its line about ``address``."""
    planned = pc("plan")
    assert planned.code == 0, planned.err
    return planned.out, next(x for x in planned.out.splitlines() if address in x)


def _two_imports(workshop) -> tuple:
    """The workshop's data split: the first 3000 rows FULL, the rest INCREMENTAL."""
    data = workshop.parent / "data"
    rows = (data / "interactions.csv").read_text().splitlines(keepends=True)
    (data / "part1.csv").write_text("".join(rows[:3001]))
    (data / "part2.csv").write_text(rows[0] + "".join(rows[3001:]))
    text = replaced(workshop.read_text(), IMPORT, SECOND)
    text = replaced(text, "        uploadFrom: ${data}  ", "        uploadFrom: data/part1.csv  ")
    workshop.write_text(
        replaced(text, "        uploadFrom: ${data}\n", "        uploadFrom: data/part2.csv\n")
    )
    return data / "part1.csv", rows


def test_a_full_import_run_again_runs_the_incremental_ones_after_it_again(pc, workshop, state):
    """FULL replaces the dataset's bulk data (reference §5): the INCREMENTAL import declared
    after it is imported again, so the dataset holds what the manifest declares."""
    part1, rows = _two_imports(workshop)
    assert pc("apply", "--auto-approve").code == 0
    assert pc("plan", "--detailed-exitcode").code == 0
    part1.write_text("".join(rows[:3000]))  # the FULL data changes
    planned = pc("plan")
    assert planned.code == 0, planned.err
    line = next(x for x in planned.out.splitlines() if "import.more-interactions" in x)
    assert line.startswith("    + import.more-interactions (more-interactions-")
    assert (
        ") will be created: import.segment-workshop-interactions (importMode FULL) is "
        "imported first and replaces the dataset's data; imported again after it; "
    ) in line
    assert "Plan: 3 to create, 1 to update, 0 to replace, 0 to delete." in planned.out
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 3 created, 1 updated, 0 replaced, 0 deleted." in applied.out
    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out
    jobs = local_client("personalize", state_dir=state).list_dataset_import_jobs()[
        "datasetImportJobs"
    ]
    assert len(jobs) == 4
    assert all(j["status"] == "ACTIVE" for j in jobs)


def test_an_incremental_import_older_than_the_full_one_is_imported_again(pc, workshop, state):
    """An apply that stopped after the FULL import ran again: the next plan still imports
    the INCREMENTAL data again, since the FULL job is newer than its job."""
    part1, rows = _two_imports(workshop)
    assert pc("apply", "--auto-approve").code == 0
    part1.write_text("".join(rows[:3000]))
    doc = plan_json(pc)
    full = next(
        c for c in doc["resource_changes"] if c["address"] == "import.segment-workshop-interactions"
    )
    # the FULL import made as that apply would have, and nothing after it
    stored = state / "s3" / "personalize-data-000000000000" / "transformed" / "interactions.csv"
    stored.write_text(part1.read_text())
    client = local_client("personalize", state_dir=state)
    dataset = client.list_datasets()["datasets"][0]["datasetArn"]
    arn = client.create_dataset_import_job(
        jobName=full["name"],
        datasetArn=dataset,
        dataSource={
            "dataLocation": "s3://personalize-data-000000000000/transformed/interactions.csv"
        },
        roleArn="arn:aws:iam::000000000000:role/service-role/PersonalizeExecutionRole",
        importMode="FULL",
    )["datasetImportJobArn"]
    deadline = time.monotonic() + 60
    while (
        client.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]["status"]
        != "ACTIVE"
    ):
        assert time.monotonic() < deadline, "the FULL import is not ACTIVE after 60 s"
        time.sleep(0.02)
    planned, line = _plan_line(pc, "import.more-interactions")
    assert (
        "will be created: import.segment-workshop-interactions (importMode FULL) replaced the "
        "dataset's data since this data was imported; imported again; "
    ) in line
    assert "import.segment-workshop-interactions " not in planned.replace(line, "")
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert pc("plan", "--detailed-exitcode").code == 0


def test_going_back_to_earlier_data_imports_it_again_and_settles(pc, workshop, state):
    """Data A, then B (a FULL import replaces A), then A again: A's first job is older
    than B's, so A is imported again; the next plan has no changes."""
    data = workshop.parent / "data" / "interactions.csv"
    first = data.read_text()
    assert pc("apply", "--auto-approve").code == 0
    data.write_text("".join(first.splitlines(keepends=True)[:3000]))
    assert pc("apply", "--auto-approve").code == 0
    data.write_text(first)
    _, line = _plan_line(pc, "import.segment-workshop-interactions")
    assert (
        "will be created: a FULL import of other data replaced the dataset's data since this "
        "data was imported; imported again"
    ) in line
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "Apply complete: 2 created, 1 updated, 0 replaced, 0 deleted." in applied.out
    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out
    client = local_client("personalize", state_dir=state)
    jobs = client.list_dataset_import_jobs()["datasetImportJobs"]
    newest = max(jobs, key=lambda j: j["creationDateTime"])
    assert newest["jobName"].startswith("segment-workshop-interactions-")
    assert len(jobs) == 3


def test_a_first_incremental_import_of_a_dataset_without_data_is_refused(pc, workshop, state):
    """The dataset exists (applied without imports) but holds no import yet."""
    text = workshop.read_text()
    workshop.write_text(text[: text.index("    imports:\n")])  # the group, schema and dataset
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    workshop.write_text(replaced(text, IMPORT, INCREMENTAL))
    refused = pc("plan")
    assert (refused.code, refused.out) == (1, "")
    assert refused.err == REFUSED.replace(
        "which this plan creates", "which holds no completed import"
    )


def test_switching_the_import_mode_says_the_data_was_imported_with_the_other(pc, workshop, state):
    assert pc("apply", "--auto-approve").code == 0
    workshop.write_text(replaced(workshop.read_text(), IMPORT, INCREMENTAL))
    _, line = _plan_line(pc, "import.segment-workshop-interactions")
    assert line.endswith(
        "will be created: this data was imported with importMode FULL; importing it as "
        "INCREMENTAL; it holds 118 exact duplicate rows (the first is line 9800), which "
        "training counts once"
    )


def _settles(pc) -> None:
    applied = pc("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    again = pc("plan", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err


def test_toggling_a_later_imports_mode_settles_every_time(pc, workshop, state):
    _two_imports(workshop)
    _settles(pc)
    incremental = workshop.read_text()
    full = incremental.replace("        importMode: INCREMENTAL\n", "        importMode: FULL\n")
    for text in (full, incremental, full, full):
        workshop.write_text(text)
        _settles(pc)


def test_going_back_to_earlier_incremental_data_settles(pc, workshop, state):
    """INCREMENTAL data C, then D, then C again: C is imported again (D's records with
    other ids stay, as INCREMENTAL only adds and replaces)."""
    _, rows = _two_imports(workshop)
    part2 = workshop.parent / "data" / "part2.csv"
    c = part2.read_text()
    d = rows[0] + "".join(r.replace(",155", ",156") for r in rows[3001:4301])
    for text in (c, d, c, c):
        part2.write_text(text)
        _settles(pc)
