"""What the interactions data must hold for a solution's event filters, and how old data
is reported.

One job: the words for an event type that matches no event in the data (with the types
present and the closest one), and for data whose newest interaction is long before the
training, so that ``plan`` (reading a manifest's ``uploadFrom`` files) and the local
target's training say the same thing. Callers: ``engine/datachecks.py`` and
``local/training/data.py``.

Sources: reference §6 ("solutionConfig": ``eventType`` and ``eventsConfig`` keep only the
events of the listed types, so a type absent from the data leaves nothing to train on);
the EVENT_TYPE values are compared exactly, case included, as the service does.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable

SHOWN_TYPES = 12
"""How many event types a message lists before "and N more"."""
OLD_DATA_DAYS = 365
"""Data whose newest interaction is at least this many days before training gets a note."""


def closest_event_type(wanted: str, present: Iterable[str]) -> str | None:
    """The event type of ``present`` that ``wanted`` most likely meant: one equal but for
    case, else the closest spelling (case-insensitive), else ``None``."""
    types = sorted({str(t) for t in present})
    by_lower = {t.lower(): t for t in types}
    if wanted.lower() in by_lower:
        return by_lower[wanted.lower()]
    close = difflib.get_close_matches(wanted.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def missing_event_type(wanted: str, present: Iterable[str], what: str = "eventType") -> str:
    """The sentence for an event filter that matches no event.

    Args:
        wanted: the event type the solution asks for.
        present: the event types in the data (blank ones left out).
        what: how the setting is named (``eventType``, or an ``eventsConfig`` path).

    Returns:
        e.g. ``eventType 'Purchase' matches no event in the Interactions data; its event
        types are 'click' and 'purchase'; did you mean 'purchase'?``
    """
    types = sorted({str(t) for t in present if t})
    head = f"{what} {wanted!r} matches no event in the Interactions data"
    if not types:
        return head + "; the data has no EVENT_TYPE values: leave the event type out"
    shown = [repr(t) for t in types[:SHOWN_TYPES]]
    if len(types) > SHOWN_TYPES:
        listed = ", ".join(shown) + f" and {len(types) - SHOWN_TYPES} more"
    elif len(shown) == 1:
        listed = shown[0]
    else:
        listed = ", ".join(shown[:-1]) + " and " + shown[-1]
    noun = "type is" if len(types) == 1 else "types are"
    sentence = f"{head}; its event {noun} {listed}"
    closest = closest_event_type(wanted, types)
    return sentence + (f"; did you mean {closest!r}?" if closest else "")


def old_data_note(newest: float, now: float, where: str = "the Interactions data") -> str | None:
    """A note when the newest interaction (epoch seconds) is :data:`OLD_DATA_DAYS` or more
    days before ``now`` (epoch seconds), else ``None``.

    Returns:
        e.g. ``the newest interaction in interactions.csv is from 2019-02-11, more than a
        year ago; a model trained on it recommends what was popular then`` (the date, not a
        count of days, so the same data always gets the same words)
    """
    days = int((now - newest) // 86400)
    if days < OLD_DATA_DAYS:
        return None
    day = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).date().isoformat()
    return (
        f"the newest interaction in {where} is from {day}, more than a year ago; a model "
        "trained on it recommends what was popular then"
    )
