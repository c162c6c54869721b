"""Generated interactions for domain dataset groups, each with planted patterns that a
recommender's model must find, and a builder of such a group through boto3.

ECOMMERCE (:func:`ecommerce_rows`), 200 users in two taste clusters (even users like the
``a*`` items, odd users the ``b*`` items):

- ``looked`` is viewed by every user: the most viewed item;
- ``best`` is purchased by 180 users: the best seller;
- 60 users purchase both ``kettle`` and ``teapot`` (and nobody else buys either): they
  are bought together;
- 60 users view both ``phone`` and ``case`` (and nobody else views either);
- each user views 8 and purchases 5 items of their own cluster.

VIDEO_ON_DEMAND (:func:`vod_rows`), 200 users in the same two clusters over ``a*``/``b*``
videos:

- ``hit`` is watched by 190 users: the most watched;
- 60 users watch both ``pilot`` and ``finale`` (and nobody else watches either);
- ``rising`` gets 80 events in the last day of the data and none before: trending;
- each user watches 8 and clicks 6 videos of their own cluster.

Same arguments, same rows.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from personalize_reconcile.local.objectstore import LocalObjectStore

START = 1_700_000_000
DAY = 86400
ROLE = "arn:aws:iam::000000000000:role/PersonalizeRole"
BUCKET = "s3://domain-data"

INTERACTIONS_FIELDS = [
    {"name": "USER_ID", "type": "string"},
    {"name": "ITEM_ID", "type": "string"},
    {"name": "EVENT_TYPE", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"},
]
VOD_ITEMS_FIELDS = [
    {"name": "ITEM_ID", "type": "string"},
    {"name": "CREATION_TIMESTAMP", "type": "long"},
    {"name": "GENRES", "type": "string", "categorical": True},
    {"name": "MATURITY", "type": "string", "categorical": True},
]


def schema(name: str, fields: list[dict]) -> str:
    """An Avro schema (JSON text) of dataset type ``name``."""
    return json.dumps(
        {
            "type": "record",
            "name": name,
            "namespace": "com.amazonaws.personalize.schema",
            "fields": fields,
            "version": "1.0",
        }
    )


def _cluster(u: int) -> str:
    return "a" if u % 2 == 0 else "b"


def ecommerce_rows(seed: int = 3, purchases: bool = True) -> list[tuple[str, str, str, int]]:
    """(USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP) rows with the ECOMMERCE patterns above;
    ``purchases=False`` leaves every Purchase event out."""
    rng = random.Random(seed)
    rows = []
    for u in range(200):
        user, c = f"u{u:03d}", _cluster(u)
        events = [("looked", "View")]
        events += [(f"{c}{i:02d}", "View") for i in rng.sample(range(15), 8)]
        if purchases:
            events += [(f"{c}{i:02d}", "Purchase") for i in rng.sample(range(15), 5)]
            if u < 180:
                events.append(("best", "Purchase"))
            if u % 3 == 0 and u < 180:
                events += [("kettle", "Purchase"), ("teapot", "Purchase")]
        if 100 <= u < 160:
            events += [("phone", "View"), ("case", "View")]
        rng.shuffle(events)
        t = START + u * 60
        for item, kind in events:
            t += rng.randint(600, 7200)
            rows.append((user, item, kind, t))
    return rows


def vod_rows(seed: int = 5) -> list[tuple[str, str, str, int]]:
    """(USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP) rows with the VIDEO_ON_DEMAND patterns
    above, over 30 days."""
    rng = random.Random(seed)
    rows = []
    end = START + 30 * DAY
    for u in range(200):
        user, c = f"u{u:03d}", _cluster(u)
        events = [(f"{c}{i:02d}", "Watch") for i in rng.sample(range(15), 8)]
        events += [(f"{c}{i:02d}", "Click") for i in rng.sample(range(15), 6)]
        if u < 190:
            events.append(("hit", "Watch"))
        if 100 <= u < 160:
            events += [("pilot", "Watch"), ("finale", "Watch")]
        for item, kind in events:
            # spread over the first 28 days, so the last day holds only the riser
            rows.append((user, item, kind, START + rng.randint(0, 28 * DAY)))
        if u < 80:
            rows.append((user, "rising", "Watch", end - rng.randint(1, DAY - 1)))
    rows.sort(key=lambda r: (r[3], r[0], r[1]))
    return rows


def vod_items() -> list[tuple[str, int, str, str]]:
    """(ITEM_ID, CREATION_TIMESTAMP, GENRES, MATURITY) for every video of :func:`vod_rows`."""
    ids = [f"{c}{i:02d}" for c in "ab" for i in range(15)]
    ids += ["hit", "pilot", "finale", "rising"]
    return [(i, START, "drama" if i.startswith("a") else "comedy", "PG") for i in ids]


def write_csv(path: Path, header: list[str], rows: list[tuple]) -> Path:
    """Write ``rows`` under ``header`` to ``path``; return it."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


class DomainGroup:
    """A domain dataset group built through boto3, with datasets and finished imports."""

    def __init__(self, personalize, wait, state_dir: Path, domain: str, name: str = "shop"):
        self.p = personalize
        self.wait = wait
        self.state_dir = state_dir
        self.domain = domain
        self.name = name
        self.arn = personalize.create_dataset_group(name=name, domain=domain)["datasetGroupArn"]
        wait(lambda: personalize.describe_dataset_group(datasetGroupArn=self.arn), "datasetGroup")

    def dataset(self, dtype: str, fields: list[dict]) -> str:
        """Create the ``dtype`` dataset (``Interactions``, ``Items``); return its ARN."""
        schema_arn = self.p.create_schema(
            name=f"{self.name}-{dtype.lower()}", schema=schema(dtype, fields), domain=self.domain
        )["schemaArn"]
        arn = self.p.create_dataset(
            name=f"{self.name}-{dtype.lower()}",
            datasetGroupArn=self.arn,
            datasetType=dtype,
            schemaArn=schema_arn,
        )["datasetArn"]
        self.wait(lambda: self.p.describe_dataset(datasetArn=arn), "dataset")
        return arn

    def load(self, dataset_arn: str, tmp: Path, header: list[str], rows: list[tuple]) -> None:
        """Import ``rows`` into the dataset and wait for the job to be ACTIVE."""
        key = dataset_arn.rsplit("/", 1)[-1].lower()
        path = write_csv(tmp / f"{self.name}-{key}.csv", header, rows)
        location = f"{BUCKET}/{self.name}/{key}.csv"
        LocalObjectStore(self.state_dir).put(location, path)
        job = self.p.create_dataset_import_job(
            jobName=f"{self.name}-{key}",
            datasetArn=dataset_arn,
            roleArn=ROLE,
            dataSource={"dataLocation": location},
        )["datasetImportJobArn"]
        done = self.wait(
            lambda: self.p.describe_dataset_import_job(datasetImportJobArn=job),
            "datasetImportJob",
        )
        assert done["status"] == "ACTIVE", done.get("failureReason")

    def interactions(self, tmp: Path, rows: list[tuple]) -> str:
        """The Interactions dataset with ``rows`` imported; returns its ARN."""
        arn = self.dataset("Interactions", INTERACTIONS_FIELDS)
        self.load(arn, tmp, ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"], rows)
        return arn

    def recommender(self, name: str, use_case: str, **kwargs) -> str:
        """Create a recommender of ``use_case`` (short name); return its ARN."""
        return self.p.create_recommender(
            name=name,
            datasetGroupArn=self.arn,
            recipeArn=f"arn:aws:personalize:::recipe/{use_case}",
            **kwargs,
        )["recommenderArn"]

    def settled(self, arn: str) -> dict:
        """Wait for the recommender to be ACTIVE or CREATE FAILED; return its Describe."""
        return self.wait(
            lambda: self.p.describe_recommender(recommenderArn=arn), "recommender", timeout=120
        )
