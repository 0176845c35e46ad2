"""Landing zone -> raw tables in the working DuckDB file. Pure Python, no Dagster.

Every contract file under ``<landing>/<source>/`` is loaded into ``raw.<source>_<entity>``
with all values as VARCHAR, exactly as written, plus lineage columns. What cannot be
loaded is never dropped silently: a record that cannot be decoded, parsed or whose value
does not have the contract's form goes to ``raw._quarantine`` with its original text and a
reason naming the file, line and column; every file gets a row in ``raw._file_manifest``
(per file: rows_read = rows_loaded + rows_quarantined).

Loading is idempotent: a file already in the manifest with the same sha256 is skipped; a
file re-exported under the same name with other content replaces its previous rows (raw
table, quarantine and manifest) in one transaction.

Records are parsed in Python (encodings, the csv module, json) and handed to DuckDB in
batches of pyarrow tables; the value checks and the inserts of a batch run vectorised in
DuckDB, on a worker thread, while Python parses the next batch. Nothing is ever inserted
row by row. A CSV file that DuckDB's own reader reads exactly as the csv module does (most
exports) is read by DuckDB instead, two to three times faster: see native_csv (and
native_jsonl for JSON lines).

The modules, in the order a file meets them:

- contract: the source contract as data (file types, names, columns, the kind of each
  value); value_kinds: the forms a typed value may take and the SQL that checks them.
- discovery: the contract files under the landing folder, and the first bytes of files
  that are not text exports at all.
- encoding: the first pass over a file's bytes: sha256, size, encoding, line breaks.
- loader: load_landing and load_file_type; one file loaded in one transaction (CSV parsed
  with the csv module), the value checks and inserts run on a worker thread.
- native_csv, native_jsonl: DuckDB's own readers, where they read what Python reads.
- jsonl: JSON lines decoded by the json module into columns of text.
- manifest: the raw, quarantine and manifest tables (DDL, raw column names, new columns).
- results: what happened to each file (statuses, FileResult, LandingReport, LandingError).
- file_policy: which problems of a night's files stop the publish (read by ingestion).

The public API is re-exported here; orchestration.ingestion is the Dagster layer over it.
"""

from orchestration.landing.discovery import LandingFile, discover
from orchestration.landing.loader import load_file_type, load_landing
from orchestration.landing.manifest import MANIFEST_TABLE, QUARANTINE_TABLE
from orchestration.landing.results import (
    DUPLICATE,
    EMPTY,
    ERROR,
    FAILED_STATUSES,
    LOADED,
    REFUSED,
    REPLACED,
    SKIPPED,
    FileResult,
    LandingError,
    LandingReport,
)

__all__ = [
    "DUPLICATE",
    "EMPTY",
    "ERROR",
    "FAILED_STATUSES",
    "LOADED",
    "MANIFEST_TABLE",
    "QUARANTINE_TABLE",
    "REFUSED",
    "REPLACED",
    "SKIPPED",
    "FileResult",
    "LandingError",
    "LandingFile",
    "LandingReport",
    "discover",
    "load_file_type",
    "load_landing",
]
