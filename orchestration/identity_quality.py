"""How good is identity resolution? Pairwise precision, recall and F1 against a truth.

A truth exists for generated data (`<landing>/_truth/source_records.csv`: which real
person each source record belongs to). It is read here only to *measure* the warehouse,
never to build it. Pairwise: every two records put in one fan form a predicted pair; every
two records of one person a true pair.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from orchestration.settings import connect_duckdb, sql_literal

TRUTH_FILE = Path("_truth") / "source_records.csv"
# Ticket holders often carry only a name: they are reported apart from the core records.
HOLDER = "ticket_holder"


@dataclass(frozen=True)
class PairwiseScores:
    scope: str
    records: int
    persons: int
    fans: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    persons_split: int
    fans_mixing_persons: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_row(self) -> dict:
        return {
            **asdict(self),
            "precision": round(self.precision, 5),
            "recall": round(self.recall, 5),
            "f1": round(self.f1, 5),
        }


_SCOPES = {
    "core": f"record_type <> '{HOLDER}'",
    "ticket_holders": f"record_type = '{HOLDER}'",
    "all": "true",
}


def pairwise_scores(
    con: duckdb.DuckDBPyConnection, predicted: str, truth: str
) -> list[PairwiseScores]:
    """Scores of the relation `predicted` (record_type, record_id, fan_id) against `truth`
    (record_type, record_id, person_id), for core records, ticket holders and all.

    For holders, a pair counts when at least one side is a holder, so a holder wrongly put
    in a buyer's fan counts against the holders' precision.
    """
    con.execute(
        f"""
        create or replace temp table scored_records as
        select p.record_type, p.record_id, p.fan_id, t.person_id
        from {predicted} as p
        inner join {truth} as t
            on p.record_type = t.record_type and p.record_id = cast(t.record_id as varchar)
        """
    )
    results = []
    for scope, where in _SCOPES.items():
        in_scope = f"(select * from scored_records where {where})"
        if scope == "ticket_holders":
            # pairs touching a holder = pairs over all records minus pairs among core records
            counts = _pair_counts(con, "scored_records")
            core = _pair_counts(con, f"(select * from scored_records where {_SCOPES['core']})")
            pair_counts = tuple(a - b for a, b in zip(counts[:3], core[:3], strict=True))
            others = _pair_counts(con, in_scope)[3:]
            counts = (*pair_counts, *others)
        else:
            counts = _pair_counts(con, in_scope)
        true_pairs, predicted_pairs, correct, records, persons, fans, split, mixing = counts
        results.append(
            PairwiseScores(
                scope=scope,
                records=records,
                persons=persons,
                fans=fans,
                true_pairs=true_pairs,
                predicted_pairs=predicted_pairs,
                correct_pairs=correct,
                persons_split=split,
                fans_mixing_persons=mixing,
            )
        )
    return results


def _pair_counts(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, ...]:
    row = con.execute(
        f"""
        with r as (select * from {relation}),
        by_person as (select person_id, count(*) as n, count(distinct fan_id) as fans
                      from r group by person_id),
        by_fan as (select fan_id, count(*) as n, count(distinct person_id) as persons
                   from r group by fan_id),
        by_cell as (select fan_id, person_id, count(*) as n from r group by fan_id, person_id)
        select
            (select coalesce(sum(n * (n - 1) / 2), 0) from by_person),
            (select coalesce(sum(n * (n - 1) / 2), 0) from by_fan),
            (select coalesce(sum(n * (n - 1) / 2), 0) from by_cell),
            (select count(*) from r),
            (select count(*) from by_person),
            (select count(*) from by_fan),
            (select count(*) from by_person where fans > 1),
            (select count(*) from by_fan where persons > 1)
        """
    ).fetchone()
    return tuple(int(v) for v in row)


def evaluate_warehouse(warehouse: Path, landing: Path) -> list[PairwiseScores] | None:
    """Scores of marts.fan_source_records in the working file, or None without a truth."""
    truth = landing / TRUTH_FILE
    if not truth.exists():
        return None
    with connect_duckdb(warehouse, read_only=True) as con:
        truth_sql = f"read_csv('{truth}', all_varchar = true)"
        return pairwise_scores(con, "marts.fan_source_records", truth_sql)


def format_scores(scores: list[PairwiseScores]) -> str:
    header = f"{'scope':<15}{'precision':>10}{'recall':>9}{'F1':>8}{'split':>8}{'mixed':>8}"
    lines = [header]
    for s in scores:
        lines.append(
            f"{s.scope:<15}{s.precision:>10.4f}{s.recall:>9.4f}{s.f1:>8.4f}"
            f"{s.persons_split:>8}{s.fans_mixing_persons:>8}"
        )
    return "\n".join(lines)


QUALITY_TABLE = "marts.identity_quality"
QUALITY_TABLE_DOC = (
    "Identity resolution against the generator's truth, pairwise, one row per scope (all "
    "records, and each tool's): empty on real exports, which carry no truth."
)
# column -> (type, description); scope is the key
_COLUMNS = {
    "scope": ("varchar", "Records compared: all, or one tool's."),
    "records": ("bigint", "Source records in the scope."),
    "persons": ("bigint", "Real people behind them (truth)."),
    "fans": ("bigint", "Fan ids they were given."),
    "true_pairs": ("bigint", "Record pairs of one person (truth)."),
    "predicted_pairs": ("bigint", "Record pairs given one fan id."),
    "correct_pairs": ("bigint", "Pairs both of one person and of one fan id."),
    "persons_split": ("bigint", "People whose records carry more than one fan id."),
    "fans_mixing_persons": ("bigint", "Fan ids holding records of more than one person."),
    "precision": ("double", "correct_pairs / predicted_pairs (1 when none predicted)."),
    "recall": ("double", "correct_pairs / true_pairs (1 when none true)."),
    "f1": ("double", "Harmonic mean of precision and recall."),
}


def write_quality_table(warehouse: Path, scores: list[PairwiseScores] | None) -> None:
    """(Re)write marts.identity_quality: one row per scope, none without a truth."""
    columns = ", ".join(f"{name} {kind}" for name, (kind, _) in _COLUMNS.items())
    with connect_duckdb(warehouse) as con:
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table {QUALITY_TABLE} ({columns}, primary key (scope))")
        con.execute(f"comment on table {QUALITY_TABLE} is {sql_literal(QUALITY_TABLE_DOC)}")
        for name, (_, description) in _COLUMNS.items():
            con.execute(f"comment on column {QUALITY_TABLE}.{name} is {sql_literal(description)}")
        for score in scores or []:
            row = score.as_row()
            con.execute(
                f"insert into {QUALITY_TABLE} values ({', '.join('?' for _ in _COLUMNS)})",
                [row[name] for name in _COLUMNS],
            )
