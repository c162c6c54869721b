"""Checks of a manifest against the local data it uploads: a solution's event types, and
(for ``preconcile validate``) whether each file would pass its import.

One job: when every import of the Interactions dataset names a local ``uploadFrom`` file,
read the EVENT_TYPE column of those files and report a solution whose ``eventType`` (or
whose ``eventsConfig`` event types, all of them) match no event there, with the types
present and the closest one (``rules.events``): training would fail on it. Data that is
only in S3, a file without an EVENT_TYPE column, or one that cannot be read is left to the
import and the training, which report it. :func:`import_data_problems` reads every
``uploadFrom`` file with the import job's rules (through ``backends/uploads.py``) and
reports the first problem of each at its ``uploadFrom`` line. Caller: ``loader.load_manifest``.

Files up to :data:`STDLIB_BYTES` are read with the ``csv`` module; larger ones with
pyarrow's CSV reader (imported only then), reading that one column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from personalize_reconcile.manifest.diagnostics import Diagnostic
from personalize_reconcile.manifest.models import Manifest
from personalize_reconcile.manifest.source import Source
from personalize_reconcile.rules.events import closest_event_type, missing_event_type

STDLIB_BYTES = 16 * 1024 * 1024
"""Files up to this size are read with the ``csv`` module, larger ones with pyarrow."""


def event_type_problems(model: Manifest, src: Source, base_dir: Path) -> list[Diagnostic]:
    """Diagnostics for solutions whose event types match no event in the local data.

    Args:
        model: the validated manifest.
        src: its source (for positions).
        base_dir: the folder ``uploadFrom`` paths are relative to.

    Returns:
        One diagnostic per solution setting, at the setting's line, e.g. ``solutions.s.
        eventType: eventType 'Purchase' matches no event in the Interactions data
        (interactions.csv); its event types are 'click' and 'purchase'`` with the hint
        ``did you mean 'purchase'?``; empty when the data is not all local.
    """
    wanted = list(_wanted(model))
    if not wanted:
        return []
    dataset = model.datasets.interactions
    imports = dataset.imports if dataset is not None else []
    if not imports or any(not i.upload_from for i in imports):
        return []
    present: set[str] = set()
    for imp in imports:
        found = _event_types(base_dir / str(imp.upload_from))
        if found is None:
            return []
        present |= found
    files = ", ".join(sorted({str(i.upload_from) for i in imports}))
    out = []
    for path, what, types in wanted:
        if any(t in present for t in types):
            continue
        event_type = types[0]
        message = missing_event_type(event_type, present, what).replace(
            " in the Interactions data", f" in the Interactions data ({files})"
        )
        closest = closest_event_type(event_type, present)
        if closest is not None:
            message = message.removesuffix(f"; did you mean {closest!r}?")
            hint = f"did you mean {closest!r}? Event types are compared exactly, case included"
        else:
            hint = "use one of the event types in the data, or leave the setting out"
        out.append(src.diagnostic(path, message, hint))
    return out


def _wanted(model: Manifest) -> Iterable[tuple[tuple, str, list[str]]]:
    """(path, setting name, event types) for each event filter of a solution: its
    ``eventType``, and its ``eventsConfig`` list, of which at least one type must occur
    in the data for training to have anything to train on."""
    for name, solution in model.solutions.items():
        if solution.event_type:
            yield ("solutions", name, "eventType"), "eventType", [solution.event_type]
        config = solution.solution_config or {}
        events = config.get("eventsConfig") if isinstance(config, dict) else None
        params = events.get("eventParametersList") if isinstance(events, dict) else None
        types = [
            p["eventType"]
            for p in (params if isinstance(params, list) else [])
            if isinstance(p, dict) and isinstance(p.get("eventType"), str)
        ]
        if types:
            yield (
                ("solutions", name, "solutionConfig", "eventsConfig", "eventParametersList"),
                "eventsConfig.eventParametersList eventType",
                types,
            )


def _event_types(path: Path) -> set[str] | None:
    """The distinct non-blank EVENT_TYPE values of a CSV file, or ``None`` when the file
    cannot be read, has no EVENT_TYPE column or no rows, or is not CSV (left to the
    import)."""
    try:
        if not path.is_file():
            return None
        if path.stat().st_size > STDLIB_BYTES:
            return _event_types_arrow(path)
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                return None
            names = [h.strip().upper() for h in header]
            if "EVENT_TYPE" not in names:
                return None
            at = names.index("EVENT_TYPE")
            found, rows = set(), 0
            for row in reader:
                rows += 1
                if len(row) > at and row[at]:
                    found.add(row[at])
            return found if rows else None  # no rows: the import reports too few records
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _event_types_arrow(path: Path) -> set[str] | None:
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    try:
        head = path.open(encoding="utf-8").readline()
        names = [h.strip().upper() for h in next(csv.reader([head]), [])]
        if "EVENT_TYPE" not in names:
            return None
        column = next(h for h in next(csv.reader([head])) if h.strip().upper() == "EVENT_TYPE")
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                include_columns=[column], column_types={column: pa.string()}
            ),
        )
        if table.num_rows == 0:
            return None
        values = pc.unique(table.column(0)).to_pylist()
        return {v for v in values if v}
    except (OSError, UnicodeDecodeError, csv.Error, pa.ArrowException, StopIteration):
        return None


def import_data_problems(
    model: Manifest, src: Source, base_dir: Path, schemas: dict[str, dict]
) -> list[Diagnostic]:
    """Diagnostics for ``uploadFrom`` files their import job would fail on (reference §5:
    the CSV rules against the dataset's schema, and at least 1000 interaction records),
    at the ``uploadFrom`` line, e.g. ``datasets.Interactions.imports[0].uploadFrom: the data
    would fail its import: Input CSV data/x.csv, line 5, column TIMESTAMP: ...``.

    Args:
        model: the validated manifest.
        src: its source (for positions).
        base_dir: the folder ``uploadFrom`` paths are relative to.
        schemas: schema name -> Avro document.

    Files larger than ``backends.uploads.CHECK_MAX_BYTES`` are not read.
    """
    from personalize_reconcile.backends.uploads import upload_problem

    out = []
    for dtype, dataset in model.datasets.by_type().items():
        schema = schemas.get(dataset.schema_name)
        if schema is None:
            continue
        for i, imp in enumerate(dataset.imports):
            if not imp.upload_from:
                continue
            problem = upload_problem(
                base_dir / str(imp.upload_from), str(imp.upload_from), dtype.upper(), schema
            )
            if problem:
                out.append(
                    src.diagnostic(
                        ("datasets", dtype, "imports", i, "uploadFrom"),
                        f"the data would fail its import: {problem}",
                        "fix the file; plan and apply refuse it too",
                    )
                )
    return out
