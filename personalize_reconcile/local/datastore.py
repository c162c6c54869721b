"""Imported rows per dataset, kept under the state dir for training (reference §5).

One job: durable storage of the records a dataset import job read, per dataset ARN.

API (class :class:`DatasetStore`, one per state dir; safe across threads and processes):

* ``DatasetStore(state_dir)``: data lives in ``<state_dir>/datasets/<name>.sqlite``, one
  SQLite file per dataset (WAL, ``synchronous=FULL``; every write is one transaction, so
  a crash or a second process never leaves half an import).
* ``store_import(dataset_arn, table, mode="FULL", dataset_type=None) -> int``: keep the
  rows of a :class:`~personalize_reconcile.local.csvimport.CsvTable`; returns the number
  of records now stored. ``mode``: ``"FULL"`` replaces the bulk data (records put one by
  one are kept); ``"INCREMENTAL"`` adds rows and, for Items/Users/Actions, replaces the
  record with the same ITEM_ID/USER_ID/ACTION_ID (Interactions and Action_Interactions
  rows are appended). ``dataset_type`` defaults to the ARN's last segment
  (``.../dataset/<group>/INTERACTIONS``). Raises :class:`NoEarlierImportError` for
  INCREMENTAL into a dataset with no earlier bulk import, ``ValueError`` for a bad mode.
* ``has_import(dataset_arn) -> bool``: whether a bulk import has been stored.
* ``count(dataset_arn) -> int``: records stored (0 for an unknown dataset).
* ``load(dataset_arn) -> StoredData``: ``fields`` (``list[Field]``, the latest import's
  schema), ``columns`` (name -> numpy array, same dtypes as ``CsvTable``, rows in import
  order), ``nulls`` (name -> bool mask for nullable fields), ``num_rows``. An unknown
  dataset gives empty columns and ``fields == []``.
* ``drop(dataset_arn) -> None``: forget the dataset (it was deleted). No error if absent.

Errors: :class:`DatastoreError` (base), :class:`NoEarlierImportError`; ``str()`` is a
one-sentence message, e.g. ``INCREMENTAL import into arn:...:dataset/g/ITEMS needs an
earlier FULL or INCREMENTAL import of that dataset; use importMode FULL first``.
"""
