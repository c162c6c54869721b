"""A planted shop for tests of filters, promotions and metadata, built through boto3.

Forty items ``i00``..``i39``: item ``iKK`` has ``120 - 2*K`` distinct users (so
Popularity-Count ranks ``i00, i01, ..., i39``), GENRE ``comedy`` / ``drama`` / ``action``
for K % 3 = 0 / 1 / 2, plus ``family`` (multi-value ``comedy|family``) when K % 5 = 0,
and PRICE K (a double). User ``alice`` (AGE 30) purchased ``i00`` and ``i03`` and clicked
``i05``; ``bob`` (AGE 12) has no interactions; ``carol`` viewed ``i39`` and then ``i00``
100 times."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from personalize_steps import BUCKET, ROLE

from personalize_reconcile.local.objectstore import LocalObjectStore

GENRES = ("comedy", "drama", "action")
RECENT = 100
"""Filters read the 100 most recent interactions per user and event type (reference §9)."""
POPULAR = [f"i{k:02d}" for k in range(40)]
"""Popularity-Count's ranking of the shop, best first."""


def genre(k: int) -> str:
    """The GENRE cell of item ``iKK``."""
    return GENRES[k % 3] + ("|family" if k % 5 == 0 else "")


def _schema(name: str, fields: list[dict]) -> str:
    return json.dumps(
        {
            "type": "record",
            "name": name,
            "namespace": "com.amazonaws.personalize.schema",
            "fields": fields,
            "version": "1.0",
        }
    )


INTERACTIONS = _schema(
    "Interactions",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
)
ITEMS = _schema(
    "Items",
    [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "GENRE", "type": "string", "categorical": True},
        {"name": "PRICE", "type": "double"},
    ],
)
USERS = _schema("Users", [{"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"}])


def interactions_csv() -> str:
    out = io.StringIO()
    out.write("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n")
    ts = 1_700_000_000
    for k in range(40):
        for j in range(120 - 2 * k):
            ts += 1
            out.write(f"u{(k * 7 + j) % 150:03d},i{k:02d},click,{ts}\n")
    for item, event in (("i00", "purchase"), ("i03", "purchase"), ("i05", "click")):
        ts += 1
        out.write(f"alice,{item},{event},{ts}\n")
    for item in ["i39"] + ["i00"] * RECENT:  # only the newest 100 views count in filters
        ts += 1
        out.write(f"carol,{item},view,{ts}\n")
    return out.getvalue()


def items_csv(genre_of=genre) -> str:
    rows = [f"i{k:02d},{genre_of(k)},{float(k)}" for k in range(40)]
    return "ITEM_ID,GENRE,PRICE\n" + "\n".join(rows) + "\n"


USERS_CSV = "USER_ID,AGE\nalice,30\nbob,12\n"


class Shop:
    """The planted dataset group and its datasets (``arn``, ``datasets[type]``)."""

    def __init__(self, personalize: Any, wait: Any, state_dir: Path, name: str = "shop") -> None:
        self.p, self.wait, self.state_dir, self.name = personalize, wait, state_dir, name
        self.arn = personalize.create_dataset_group(name=name)["datasetGroupArn"]
        wait(lambda: personalize.describe_dataset_group(datasetGroupArn=self.arn), "datasetGroup")
        self.datasets: dict[str, str] = {}
        self.imports = 0
        for dtype, schema, data in (
            ("Interactions", INTERACTIONS, interactions_csv()),
            ("Items", ITEMS, items_csv()),
            ("Users", USERS, USERS_CSV),
        ):
            schema_arn = personalize.create_schema(name=f"{name}-{dtype.lower()}", schema=schema)[
                "schemaArn"
            ]
            ds = personalize.create_dataset(
                name=f"{name}-{dtype.lower()}",
                datasetGroupArn=self.arn,
                datasetType=dtype,
                schemaArn=schema_arn,
            )["datasetArn"]
            wait(lambda ds=ds: personalize.describe_dataset(datasetArn=ds), "dataset")
            self.datasets[dtype] = ds
            self.load(dtype, data)

    def load(self, dtype: str, data: str) -> None:
        """A FULL import of ``data`` (CSV text) into the ``dtype`` dataset."""
        self.imports += 1
        key = f"{BUCKET}/{self.name}-{dtype.lower()}-{self.imports}.csv"
        LocalObjectStore(self.state_dir).put(key, data.encode())
        job = self.p.create_dataset_import_job(
            jobName=f"{self.name}-import-{self.imports}",
            datasetArn=self.datasets[dtype],
            roleArn=ROLE,
            dataSource={"dataLocation": key},
        )["datasetImportJobArn"]
        done = self.wait(
            lambda: self.p.describe_dataset_import_job(datasetImportJobArn=job), "datasetImportJob"
        )
        assert done["status"] == "ACTIVE", done.get("failureReason")

    def campaign(self, name: str, recipe: str, **campaign_args: Any) -> str:
        """Train ``recipe`` on the shop and serve it from campaign ``name``; its ARN."""
        sol = self.p.create_solution(
            name=name,
            datasetGroupArn=self.arn,
            performAutoTraining=False,
            recipeArn=f"arn:aws:personalize:::recipe/{recipe}",
        )["solutionArn"]
        self.wait(lambda: self.p.describe_solution(solutionArn=sol), "solution")
        ver = self.p.create_solution_version(solutionArn=sol)["solutionVersionArn"]
        got = self.wait(
            lambda: self.p.describe_solution_version(solutionVersionArn=ver), "solutionVersion"
        )
        assert got["status"] == "ACTIVE", got.get("failureReason")
        self.version = ver
        arn = self.p.create_campaign(name=name, solutionVersionArn=ver, **campaign_args)[
            "campaignArn"
        ]
        got = self.wait(lambda: self.p.describe_campaign(campaignArn=arn), "campaign")
        assert got["status"] == "ACTIVE", got.get("failureReason")
        return arn

    def filter(self, name: str, expression: str) -> str:
        """Create a filter of the shop's group; its ARN (ACTIVE)."""
        arn = self.p.create_filter(
            name=name, datasetGroupArn=self.arn, filterExpression=expression
        )["filterArn"]
        self.wait(lambda: self.p.describe_filter(filterArn=arn), "filter")
        return arn
