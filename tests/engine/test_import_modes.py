"""An INCREMENTAL import is allowed only after an earlier import into the dataset
(reference §5); plan refuses a first INCREMENTAL import of a dataset it creates, as apply
would fail on it after creating the group, schema and dataset."""

from __future__ import annotations

from edits import replaced

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
