"""Read and validate the CSV of a dataset import job (reference §5).

One job: turn the object(s) at a ``dataLocation`` into typed columns, or fail with the
``failureReason`` the import job shows. No SQLite, no job state: the import job calls this,
then :mod:`personalize_reconcile.local.datastore` to keep the rows.

API:

* ``read_import(store, data_location, schema) -> CsvTable``

  - ``store``: an :class:`~personalize_reconcile.local.objectstore.ObjectStore`.
  - ``data_location``: ``s3://bucket/key.csv`` (one file) or ``s3://bucket/prefix/`` (every
    object under the prefix, in key order, each with its own header).
  - ``schema``: the dataset's Avro schema as a JSON ``str`` or parsed ``dict``, or the
    ``list[Field]`` from :func:`personalize_reconcile.rules.avro.parse_fields`.
  - returns :class:`CsvTable`: ``fields`` (``list[Field]``), ``columns`` (field name ->
    numpy array, one entry per data row, in file order: ``string`` -> ``object`` array of
    ``str`` with ``None`` for null; ``int``/``long`` -> ``int64``; ``float``/``double`` ->
    ``float64`` (NaN for null); ``boolean`` -> ``bool``), ``nulls`` (field name -> ``bool``
    mask, for nullable fields only), ``num_rows`` (``int``), ``objects`` (the
    ``ObjectInfo`` of every file read).
  - raises :class:`CsvImportError` for every problem with the data or its location.

* ``parse_csv(stream, uri, fields) -> CsvTable``: the same for one binary stream (``uri``
  only names it in messages).

* :class:`CsvImportError` (an ``Exception``): ``str(e)`` is the job's ``failureReason``.
  Attributes ``uri`` (``str | None``), ``line`` (1-based line in that file, header = 1;
  ``None`` when not about a line), ``column`` (field name or ``None``), ``problem`` (the
  part after the colon). Shapes::

      Input CSV s3://b/interactions.csv, line 3, column TIMESTAMP: 1549847353000 looks
      like epoch milliseconds (2019-02-11T01:09:13Z); Personalize needs epoch seconds:
      1549847353
      Input CSV s3://b/interactions.csv, line 1, column USER_ID: the header starts with a
      UTF-8 byte-order mark (EF BB BF); save the file as UTF-8 without a BOM
      No object at s3://b/missing.csv

Checked (reference §5): UTF-8; header names equal the schema field names in schema order
(byte-order mark, stray whitespace, wrong case, missing, extra, duplicate and misordered
columns named); every row has as many values as the header; types (``int``/``long``
whole numbers in range, ``float``/``double`` finite decimals, ``boolean`` lower-case
``true``/``false``); TIMESTAMP and CREATION_TIMESTAMP in epoch seconds (milliseconds,
microseconds, fractional seconds and ISO 8601 dates rejected with the converted value);
non-nullable values present (empty = null); lengths (USER_ID, ITEM_ID, ACTION_ID <= 256;
textual <= 20000; other strings <= 1000 characters, ``|`` separators included); no empty
value between ``|`` separators of a multi-value categorical. Blank lines are skipped.
The minimum record count (1000) and INCREMENTAL's need for an earlier import are the
import job's checks, not this module's.
"""
