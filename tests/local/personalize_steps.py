"""Building blocks for end-to-end tests of the local target through boto3: a dataset group
with imported interactions, solutions, versions and campaigns, and facts about the Segment
workshop data (``tests/data/segment-workshop``)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from workshop_data import WORKSHOP

from personalize_reconcile.local.objectstore import LocalObjectStore

ROLE = "arn:aws:iam::000000000000:role/PersonalizeRole"
BUCKET = "s3://personalize-data-000000000000"
TIMEOUT = 60


def workshop_with_renamed_items(path: Path, prefix: str) -> Path:
    """Write the workshop CSV to ``path`` with ``prefix`` before every item id (new data
    whose items a retrained model, and only it, knows); return ``path``."""
    with (WORKSHOP / "interactions.csv").open(newline="") as src, path.open("w", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow(next(reader))
        for row in reader:
            writer.writerow([row[0], prefix + row[1], *row[2:]])
    return path


def workshop_facts():
    """The workshop rows (dicts) and its items, most distinct users first (ties: id)."""
    users_per_item = defaultdict(set)
    with (WORKSHOP / "interactions.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        users_per_item[r["ITEM_ID"]].add(r["USER_ID"])
    popular = sorted(users_per_item, key=lambda i: (-len(users_per_item[i]), i))
    return rows, popular


class Group:
    """A dataset group with an imported Interactions dataset, built through boto3."""

    def __init__(
        self,
        personalize,
        wait,
        state_dir: Path,
        csv_path: Path,
        schema: str,
        name: str = "workshop",
    ):
        self.p = personalize
        self.wait = wait
        LocalObjectStore(state_dir).put(f"{BUCKET}/{name}.csv", csv_path)
        self.arn = personalize.create_dataset_group(name=name)["datasetGroupArn"]
        wait(lambda: personalize.describe_dataset_group(datasetGroupArn=self.arn), "datasetGroup")
        schema_arn = personalize.create_schema(name=f"{name}-schema", schema=schema)["schemaArn"]
        ds = personalize.create_dataset(
            name=f"{name}-interactions",
            datasetGroupArn=self.arn,
            datasetType="Interactions",
            schemaArn=schema_arn,
        )["datasetArn"]
        wait(lambda: personalize.describe_dataset(datasetArn=ds), "dataset")
        self.dataset_arn = ds
        self._import(f"{name}-import", f"{BUCKET}/{name}.csv")

    def _import(self, job_name: str, location: str) -> None:
        job = self.p.create_dataset_import_job(
            jobName=job_name,
            datasetArn=self.dataset_arn,
            roleArn=ROLE,
            dataSource={"dataLocation": location},
        )["datasetImportJobArn"]
        done = self.wait(
            lambda: self.p.describe_dataset_import_job(datasetImportJobArn=job),
            "datasetImportJob",
            timeout=TIMEOUT,
        )
        assert done["status"] == "ACTIVE", done.get("failureReason")

    def reimport(self, state_dir: Path, csv_path: Path, tag: str) -> None:
        """A FULL import of another file into the same dataset."""
        LocalObjectStore(state_dir).put(f"{BUCKET}/{tag}.csv", csv_path)
        self._import(f"import-{tag}", f"{BUCKET}/{tag}.csv")

    def new_version(self, solution_arn: str) -> dict:
        ver = self.p.create_solution_version(solutionArn=solution_arn)["solutionVersionArn"]
        return self.wait(
            lambda: self.p.describe_solution_version(solutionVersionArn=ver),
            "solutionVersion",
            timeout=TIMEOUT,
        )

    def version(self, name: str, recipe: str, **solution_args) -> dict:
        """Create a solution and a version; return the finished version."""
        sol = self.p.create_solution(
            name=name,
            datasetGroupArn=self.arn,
            performAutoTraining=False,
            recipeArn=f"arn:aws:personalize:::recipe/{recipe}",
            **solution_args,
        )["solutionArn"]
        self.wait(lambda: self.p.describe_solution(solutionArn=sol), "solution")
        return self.new_version(sol)

    def campaign(self, name: str, version_arn: str) -> str:
        arn = self.p.create_campaign(
            name=name, solutionVersionArn=version_arn, minProvisionedTPS=1
        )["campaignArn"]
        got = self.wait(
            lambda: self.p.describe_campaign(campaignArn=arn), "campaign", timeout=TIMEOUT
        )
        assert got["status"] == "ACTIVE", got.get("failureReason")
        return arn


def make_group(personalize, wait, state_dir, name, datasets):
    """A dataset group with the given (type, schema, csv bytes) datasets imported."""
    store = LocalObjectStore(state_dir)
    grp = personalize.create_dataset_group(name=name)["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=grp), "datasetGroup")
    for dtype, schema, data in datasets:
        key = f"{name}-{dtype.lower()}"
        store.put(f"{BUCKET}/nba/{key}.csv", data)
        schema_arn = personalize.create_schema(name=key, schema=schema)["schemaArn"]
        ds = personalize.create_dataset(
            name=key, datasetGroupArn=grp, datasetType=dtype, schemaArn=schema_arn
        )["datasetArn"]
        wait(lambda ds=ds: personalize.describe_dataset(datasetArn=ds), "dataset")
        job = personalize.create_dataset_import_job(
            jobName=key,
            datasetArn=ds,
            roleArn=ROLE,
            dataSource={"dataLocation": f"{BUCKET}/nba/{key}.csv"},
        )["datasetImportJobArn"]
        done = wait(
            lambda job=job: personalize.describe_dataset_import_job(datasetImportJobArn=job),
            "datasetImportJob",
        )
        assert done["status"] == "ACTIVE", done.get("failureReason")
    return grp
