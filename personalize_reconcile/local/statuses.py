"""The status words of the local target's resources, shared by the control plane and the
status machine.

One job: name each status once (reference §2: strings with spaces, as the service spells
them) with the groups several modules test against, so that ``lifecycle`` (the status
machine) and ``control`` (the operations) agree without importing each other.

Callers: the control plane's kind modules (``local/control/``) and the status machine
(``local/lifecycle.py``).
"""

from __future__ import annotations

CREATE_PENDING = "CREATE PENDING"
CREATE_IN_PROGRESS = "CREATE IN_PROGRESS"
ACTIVE = "ACTIVE"
CREATE_FAILED = "CREATE FAILED"
CREATE_STOPPING = "CREATE STOPPING"
CREATE_STOPPED = "CREATE STOPPED"
DELETE_PENDING = "DELETE PENDING"
DELETE_IN_PROGRESS = "DELETE IN_PROGRESS"
STOP_PENDING = "STOP PENDING"
STOP_IN_PROGRESS = "STOP IN_PROGRESS"
INACTIVE = "INACTIVE"
START_PENDING = "START PENDING"
START_IN_PROGRESS = "START IN_PROGRESS"

CREATING = (CREATE_PENDING, CREATE_IN_PROGRESS)
"""A creation (or an update in ``latest*Update``) that has not settled."""
DELETING = (DELETE_PENDING, DELETE_IN_PROGRESS)
"""A delete that has not finished."""

TOGGLES = {
    "stop": (STOP_PENDING, STOP_IN_PROGRESS, INACTIVE),
    "start": (START_PENDING, START_IN_PROGRESS, ACTIVE),
}
"""A recommender's StopRecommender / StartRecommender: action -> (pending, in progress,
settled) statuses (reference §2: ``ACTIVE -> STOP PENDING -> STOP IN_PROGRESS -> INACTIVE
-> START PENDING -> START IN_PROGRESS -> ACTIVE``)."""
TOGGLING = (STOP_PENDING, STOP_IN_PROGRESS, START_PENDING, START_IN_PROGRESS)
"""A stop or start that has not settled."""

HEAVY_KINDS = (
    "dataset-import-job",
    "solution-version",
    "recommender",
    "batch-inference-job",
    "batch-segment-job",
    "dataset-export-job",
    "data-deletion-job",
)
"""Kinds whose CREATE IN_PROGRESS phase does real work in a worker thread."""

LATEST_KEY = {
    "dataset": "latestDatasetUpdate",
    "solution": "latestSolutionUpdate",
    "campaign": "latestCampaignUpdate",
    "recommender": "latestRecommenderUpdate",
}
"""Kinds that can be updated -> the body field that holds the pending update (reference
§2 ``latest*Update``)."""

STOP_REQUESTED = "stop_requested"
"""Key of a solution version's private ``extra``: epoch seconds of its
StopSolutionVersionCreation call (the control plane sets it; the status machine holds
CREATE STOPPING from then on for the stop's minimum duration)."""
